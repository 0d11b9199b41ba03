"""The events AWS services send to the functions, built as API Gateway and DynamoDB Streams build them."""

import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

HeaderLines = Mapping[str, str] | Sequence[tuple[str, str]]


def header_lines(headers: HeaderLines | None) -> list[tuple[str, str]]:
    """Headers as the lines a client sends: a mapping's items, or the lines themselves (a name may repeat)."""
    return list(headers.items()) if isinstance(headers, Mapping) else list(headers or [])


def rest_api_event(
    method: str,
    path: str,
    *,
    resource: str,
    headers: HeaderLines | None = None,
    body: Any = None,
    path_parameters: dict[str, str] | None = None,
    base_path: str = "/prod",
    identity: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A REST API (v1) Lambda proxy event: header case kept, body as a string.

    ``headers``: a mapping, or the header lines as sent (a name may repeat). As API Gateway builds them,
    ``multiValueHeaders`` holds every value of a header in order, ``headers`` its last one; names that differ
    only in case are one header, named as first sent. ``base_path``: what precedes the API's routes in the
    URL called (the stage ``/prod``, a custom domain's base path, or ""), seen in ``requestContext.path``.
    ``identity``: ``requestContext.identity`` (only ``sourceIp`` when None).
    """
    raw_body = body if body is None or isinstance(body, str) else json.dumps(body)
    lines = header_lines(headers)
    multi_value_headers: dict[str, list[str]] = {}
    names: dict[str, str] = {}
    for name, value in lines:
        multi_value_headers.setdefault(names.setdefault(name.lower(), name), []).append(value)
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": {name: values[-1] for name, values in multi_value_headers.items()},
        "multiValueHeaders": multi_value_headers,
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": f"{base_path}{path}",
            "stage": "prod",
            "requestId": str(uuid.uuid4()),
            "identity": identity if identity is not None else {"sourceIp": "127.0.0.1"},
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
