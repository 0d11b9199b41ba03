"""What a redrive reads and calls: the on-failure queue, the outbox stream and table, the relay function."""

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from {{ cookiecutter.package_name }}.logic.redrive import FailedBatch, FailureMessage

# Long enough to redrive a batch before another run could receive the same message; kept ones are released.
VISIBILITY_TIMEOUT_SECONDS = 300
READ_LIMIT = 1000  # GetRecords' maximum
# What the stream answers for records past its 24-hour retention, or for a stream since replaced.
STREAM_GONE = {"TrimmedDataAccessException", "ResourceNotFoundException", "ExpiredIteratorException"}


class SqsFailureQueue:
    def __init__(self, client: Any, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def messages(self) -> Iterator[FailureMessage]:
        """Every message visible now; each stays hidden for the visibility timeout once received."""
        while True:
            received = self._client.receive_message(
                QueueUrl=self._queue_url, MaxNumberOfMessages=10, VisibilityTimeout=VISIBILITY_TIMEOUT_SECONDS
            ).get("Messages", [])
            if not received:
                return
            for message in received:
                yield FailureMessage(body=message["Body"], receipt=message["ReceiptHandle"])

    def delete(self, message: FailureMessage) -> None:
        self._client.delete_message(QueueUrl=self._queue_url, ReceiptHandle=message.receipt)

    def release(self, message: FailureMessage) -> None:
        self._client.change_message_visibility(
            QueueUrl=self._queue_url, ReceiptHandle=message.receipt, VisibilityTimeout=0
        )


class DynamoDbOutboxStream:
    def __init__(self, client: Any) -> None:
        self._client = client

    def records(self, batch: FailedBatch) -> list[dict[str, Any]]:
        last = int(batch.last_sequence_number)
        records: list[dict[str, Any]] = []
        try:
            iterator = self._client.get_shard_iterator(
                StreamArn=batch.stream_arn,
                ShardId=batch.shard_id,
                ShardIteratorType="AT_SEQUENCE_NUMBER",
                SequenceNumber=batch.first_sequence_number,
            )["ShardIterator"]
            while iterator:
                response = self._client.get_records(ShardIterator=iterator, Limit=READ_LIMIT)
                page = response["Records"]
                records.extend(record for record in page if _sequence_number(record) <= last)
                if not page or _sequence_number(page[-1]) >= last:
                    break
                iterator = response.get("NextShardIterator")
        except ClientError as error:
            if error.response["Error"]["Code"] in STREAM_GONE:
                return []
            raise
        # The mapping only delivered INSERTs; other records in the range were filtered out, not failed.
        return [record for record in records if record["eventName"] == "INSERT"]


class DynamoDbOutboxRows:
    def __init__(self, client: Any, table_name: str) -> None:
        self._client = client
        self._table_name = table_name

    def written_between(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        # occurred_at is an ISO 8601 UTC timestamp, so string order is time order.
        pages = self._client.get_paginator("scan").paginate(
            TableName=self._table_name,
            ConsistentRead=True,
            FilterExpression="occurred_at BETWEEN :start AND :end",
            ExpressionAttributeValues={":start": {"S": start.isoformat()}, ":end": {"S": end.isoformat()}},
        )
        return [item for page in pages for item in page["Items"]]


class RelayFunction:
    """The deployed relay, invoked with a stream event as its mapping would invoke it."""

    def __init__(self, client: Any, function_name: str, stream_arn: str) -> None:
        self._client = client
        self._function_name = function_name
        self._stream_arn = stream_arn

    def dispatch(self, records: list[dict[str, Any]]) -> list[str]:
        event = {"Records": [self._lambda_record(record) for record in records]}
        response = self._client.invoke(FunctionName=self._function_name, Payload=json.dumps(event).encode())
        if "FunctionError" in response:
            return [record["dynamodb"]["SequenceNumber"] for record in records]
        result = json.loads(response["Payload"].read() or b"null") or {}
        return [str(failure["itemIdentifier"]) for failure in result.get("batchItemFailures", [])]

    def _lambda_record(self, record: dict[str, Any]) -> dict[str, Any]:
        dynamodb = dict(record["dynamodb"])
        created = dynamodb.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            # GetRecords answers with a datetime; a Lambda event carries epoch seconds.
            dynamodb["ApproximateCreationDateTime"] = created.timestamp()
        return {**record, "eventSourceARN": self._stream_arn, "dynamodb": dynamodb}


def _sequence_number(record: dict[str, Any]) -> int:
    return int(record["dynamodb"]["SequenceNumber"])
