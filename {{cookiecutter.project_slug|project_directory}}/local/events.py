"""The events AWS services send to the functions, built as API Gateway and DynamoDB Streams build them."""

import json
import uuid
from datetime import datetime
from typing import Any


def rest_api_event(
    method: str,
    path: str,
    *,
    resource: str,
    headers: dict[str, str] | None = None,
    body: Any = None,
    path_parameters: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A REST API (v1) Lambda proxy event: header case kept, body as a string."""
    raw_body = body if body is None or isinstance(body, str) else json.dumps(body)
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers or {},
        "multiValueHeaders": {name: [value] for name, value in (headers or {}).items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"/prod{path}",
            "stage": "prod",
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": raw_body,
        "isBase64Encoded": False,
    }


def stream_event(records: list[dict[str, Any]], stream_arn: str) -> dict[str, Any]:
    """The event a DynamoDB stream mapping sends for a batch of records read with GetRecords."""
    return {"Records": [_lambda_record(record, stream_arn) for record in records]}


def _lambda_record(record: dict[str, Any], stream_arn: str) -> dict[str, Any]:
    dynamodb = dict(record["dynamodb"])
    created = dynamodb.get("ApproximateCreationDateTime")
    if isinstance(created, datetime):
        # GetRecords returns a datetime; the Lambda event carries epoch seconds.
        dynamodb["ApproximateCreationDateTime"] = created.timestamp()
    return {**record, "eventSourceARN": stream_arn, "dynamodb": dynamodb}
