"""One module per emulated AWS service (Lambda, API Gateway, DynamoDB and its streams, Step Functions), plus
Powertools idempotency on the virtual clock; each patches moto (or Powertools) where it falls short of AWS."""
