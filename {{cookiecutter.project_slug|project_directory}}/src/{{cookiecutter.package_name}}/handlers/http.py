"""The JSON error body every API handler answers with."""

from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types


def error_response(status_code: int, code: str, message: str, **details: Any) -> Response[dict[str, Any]]:
    return Response(
        status_code=status_code,
        content_type=content_types.APPLICATION_JSON,
        body={"error": code, "message": message, **details},
    )
