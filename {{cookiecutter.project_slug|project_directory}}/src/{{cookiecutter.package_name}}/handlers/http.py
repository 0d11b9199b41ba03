"""HTTP for the API handlers: headers, media types, the caller's identity, links, and the JSON error body.

Everything here reads the REST API (v1) proxy event as API Gateway builds it (``headers`` holds the last
value of each header, ``multiValueHeaders`` every value; ``requestContext.path`` the path the client
called, stage or custom domain base path included) and knows nothing of the domain.
"""

import json
import re
from collections.abc import Iterable, Mapping
from functools import partial
from typing import Any

from aws_lambda_powertools.event_handler import Response, content_types
from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from aws_lambda_powertools.shared.json_encoder import Encoder
from pydantic import BaseModel, Field

JSON_CONTENT_TYPE = "application/json"
IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY_LENGTH = 128
# An assumed role's ARN ends with the session name, which changes when a client's credentials are renewed.
ASSUMED_ROLE_SESSION = re.compile(r"^(arn:[^:]+:sts::\d{12}:assumed-role/[^/]+)/[^/]+$")

# Every JSON body with its keys sorted: an answer replayed from the idempotency record (which Powertools
# stores with sorted keys) is then byte-identical to the first one, whatever order a dict was built in.
canonical_json = partial(json.dumps, separators=(",", ":"), sort_keys=True, cls=Encoder)


class InvalidIdempotencyKey(Exception):
    """The Idempotency-Key header is missing, sent with several different values, or not a usable key."""


class UnsupportedMediaType(Exception):
    """The body is declared as something other than JSON."""


def header_values(event: Mapping[str, Any], name: str) -> list[str]:
    """Every value of the header ``name`` (any case) in the order sent: one per header line.

    ``multiValueHeaders`` has them all; an event without it (a hand-built one) falls back to ``headers``.
    """
    for field in ("multiValueHeaders", "headers"):
        headers = event.get(field) or {}
        values = [
            value
            for header, header_value in headers.items()
            if header.lower() == name.lower()
            for value in (header_value if isinstance(header_value, list) else [header_value])
        ]
        if values:
            return [str(value) for value in values]
    return []


def idempotency_key_from(event: Mapping[str, Any]) -> str:
    """The request's Idempotency-Key; raises InvalidIdempotencyKey when it is missing, ambiguous or unusable.

    The same value on several header lines is one key; different values are refused rather than one of
    them chosen, because the client cannot know which one a retry would be matched by.
    """
    values = {value.strip() for value in header_values(event, IDEMPOTENCY_KEY_HEADER)} - {""}
    if not values:
        raise InvalidIdempotencyKey(f"the {IDEMPOTENCY_KEY_HEADER} header is required")
    if len(values) > 1:
        raise InvalidIdempotencyKey(
            f"the {IDEMPOTENCY_KEY_HEADER} header was sent {len(values)} times with different values; send one"
        )
    (key,) = values
    if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise InvalidIdempotencyKey(f"the {IDEMPOTENCY_KEY_HEADER} header is over {MAX_IDEMPOTENCY_KEY_LENGTH} chars")
    if not all("!" <= character <= "~" for character in key):
        raise InvalidIdempotencyKey(f"the {IDEMPOTENCY_KEY_HEADER} header must be printable ASCII without spaces")
    return key


def _media_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def is_json_content_type(event: Mapping[str, Any]) -> bool:
    """True for application/json in any case, parameters allowed (RFC 9110 section 8.3.1: media types are
    case-insensitive), and for no Content-Type, which API Gateway reads as JSON."""
    values = [value for value in header_values(event, "Content-Type") if value.strip()]
    return not values or _media_type(values[-1]) == JSON_CONTENT_TYPE


def with_json_media_type_in_lowercase(event: dict[str, Any]) -> dict[str, Any]:
    """The event with a JSON Content-Type's media type in lowercase, its parameters kept.

    Powertools' request validation matches ``application/json`` case-sensitively (FACTS: its
    ``_get_body`` uses ``startswith``), so ``Application/JSON`` would be refused as a body it cannot read.
    """
    if not is_json_content_type(event):
        return event

    def lowercase(value: str) -> str:
        media_type, separator, parameters = value.partition(";")
        return media_type.strip().lower() + separator + parameters if media_type.strip() else value

    rewritten = dict(event)
    if event.get("headers"):
        rewritten["headers"] = {
            name: lowercase(value) if name.lower() == "content-type" else value
            for name, value in event["headers"].items()
        }
    if event.get("multiValueHeaders"):
        rewritten["multiValueHeaders"] = {
            name: [lowercase(value) for value in values] if name.lower() == "content-type" else values
            for name, values in event["multiValueHeaders"].items()
        }
    return rewritten


def caller_principal(event: Mapping[str, Any]) -> str | None:
    """The IAM principal that signed the request, or None when the method has no IAM authorization.

    API Gateway puts the signer's ARN in ``requestContext.identity.userArn`` for ``AWS_IAM`` methods only.
    An assumed role's session name is dropped (``arn:aws:sts::<account>:assumed-role/<role>``): a client
    whose credentials were renewed under a new session is still the same caller, and finds its keys.
    """
    arn = ((event.get("requestContext") or {}).get("identity") or {}).get("userArn")
    if not arn:
        return None
    session = ASSUMED_ROLE_SESSION.match(arn)
    return session.group(1) if session else str(arn)


def base_path(event: Mapping[str, Any]) -> str:
    """The part of the called path before the API's own routes: ``/prod`` on the execute-api endpoint (the
    stage), a custom domain's base path, or ``""``. ``requestContext.path`` is what the client called and
    ``path`` the route within the API."""
    called = str((event.get("requestContext") or {}).get("path") or "")
    route = str(event.get("path") or "")
    return called[: -len(route)].rstrip("/") if route and called.endswith(route) else ""


def link(event: Mapping[str, Any], route: str) -> str:
    """An absolute path to ``route`` (``/orders/<id>``) that resolves against the URL the client called."""
    return base_path(event) + route


def error_response(status_code: int, code: str, message: str, **details: Any) -> Response[dict[str, Any]]:
    """The JSON error body every API handler answers with: ``{"error": code, "message": ..., **details}``, an
    ApiError (``details``: its optional fields)."""
    return Response(
        status_code=status_code,
        content_type=content_types.APPLICATION_JSON,
        body={"error": code, "message": message, **details},
    )


def field_problems(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Powertools' request validation errors (pydantic's shape: ``type``, ``loc``, ``msg``, ``ctx``) as the
    ApiError's ``fields``: each field's dotted path in the body (``items.0.quantity``; "" for the body itself).

    A body that is not JSON is one problem of the body as a whole, at the character where parsing stopped
    (Powertools puts that offset where a field's name would be: ``("body", 16)``).
    """
    problems = []
    for detail in errors:
        if detail.get("type") == "json_invalid":
            reason = detail.get("ctx", {}).get("error", detail["msg"])
            problems.append({"field": "", "message": f"not JSON: {reason} at character {detail['loc'][-1]}"})
        else:
            path = ".".join(str(part) for part in detail["loc"] if part != "body")
            problems.append({"field": path, "message": detail["msg"]})
    return problems


class FieldProblem(BaseModel):
    field: str = Field(description="the field's dotted path in the body, e.g. items.0.quantity")
    message: str


class ApiError(BaseModel):
    """The body of every error the API's handlers answer (`error_response`).

    `error` is a stable code to branch on, `message` is for people; `fields` lists a refused body's problems
    (`invalid_request` only). Single backticks: this docstring is the schema's description in openapi.json.
    """

    error: str
    message: str
    fields: list[FieldProblem] | None = None


def error_responses(descriptions: Mapping[int, str]) -> dict[int, OpenAPIResponse]:
    """A route's error answers for its OpenAPI description: ``{status: description}`` -> ApiError bodies.

    Each description names the ``error`` codes of that status, so a client knows what to branch on.
    """
    return {
        status: {"description": description, "content": {JSON_CONTENT_TYPE: {"model": ApiError}}}
        for status, description in descriptions.items()
    }
