"""POST /{{ cookiecutter.domain_plural | kebab }}: create once per Idempotency-Key, together with its outbox event."""

from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger, Metrics{% if cookiecutter.tracing == "enabled" %}, Tracer{% endif %}
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.openapi.exceptions import (
    RequestUnsupportedContentType,
    RequestValidationError,
)
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from {{ cookiecutter.package_name }}.configuration import CreateConfiguration
from {{ cookiecutter.package_name }}.dal.entities import AlreadyCreated, EntityStore
from {{ cookiecutter.package_name }}.errors import KeyReusedWithOtherPayload
from {{ cookiecutter.package_name }}.handlers.http import (
    IDEMPOTENCY_KEY_HEADER,
    JSON_CONTENT_TYPE,
    InvalidIdempotencyKey,
    UnsupportedMediaType,
    caller_principal,
    canonical_json,
    error_response,
    error_responses,
    field_problems,
    idempotency_key_from,
    is_json_content_type,
    link,
    with_json_media_type_in_lowercase,
)
from {{ cookiecutter.package_name }}.logic.intake import created_response, is_same_request, plan_creation
from {{ cookiecutter.package_name }}.models import {{ cookiecutter.domain | pascal }}Accepted, {{ cookiecutter.domain | pascal }}Request

logger = Logger()
{%- if cookiecutter.tracing == "enabled" %}
# Its only calls are AWS calls: X-Ray patches botocore alone, not every library it could trace that is installed.
tracer = Tracer(patch_modules=["botocore"])
{%- endif %}
metrics = Metrics()
app = APIGatewayRestResolver(enable_validation=True, serializer=canonical_json)
COLLECTION = "/{{ cookiecutter.domain_plural | kebab }}"

configuration = CreateConfiguration.from_environment()


# The AWS side is built on the first request, not at import: importing the handler is the cold start.
@cache
def dynamodb() -> Any:
    """This execution environment's one DynamoDB client, shared by the store and the idempotency records."""
    return boto3.client("dynamodb")


@cache
def store() -> EntityStore:
    return EntityStore(dynamodb(), configuration.entity_table_name, outbox_table=configuration.outbox_table_name)


def _count_replay(response: Any, idempotent_data: DataRecord) -> Any:
    metrics.add_metric(name="Replayed", unit=MetricUnit.Count, value=1)
    return response


# A key belongs to its caller: the record, the derived id and the replay are per (principal, key).
idempotency_config = IdempotencyConfig(
    event_key_jmespath="[principal, idempotency_key]",
    payload_validation_jmespath="request",
    raise_on_no_idempotency_key=True,
    expires_after_seconds=configuration.idempotency_ttl_seconds,
    response_hook=_count_replay,
)


# The answers below are this route's part of openapi.json (infra/openapi.py): one per status the handler returns.
@app.post(
    COLLECTION,
    summary="Create one {{ cookiecutter.domain }} per Idempotency-Key",
    description=(
        f"The same {IDEMPOTENCY_KEY_HEADER} and body again (a retry) answers the first 201, byte for byte, and"
        " creates nothing; the key with another body is a 422. The saga runs after the answer: GET the Location"
        " for its progress."
    ),
    responses={
        201: {
            "description": "created (or the replay of the request that created it)",
            "headers": {"Location": {"description": "the same path as links.self", "schema": {"type": "string"}}},
            "content": {JSON_CONTENT_TYPE: {"model": {{ cookiecutter.domain | pascal }}Accepted}},
        },
        **error_responses(
            {
                400: f"invalid_request (the body; `fields` lists why) or invalid_idempotency_key (the"
                f" {IDEMPOTENCY_KEY_HEADER} header is missing, sent with different values or not printable ASCII)",
                409: "request_in_progress: the first request with this key is still running; retry after Retry-After",
                415: f"unsupported_media_type: send the body as {JSON_CONTENT_TYPE}",
                422: "idempotency_key_reused: this key was already used with another body",
            }
        ),
    },
)
def create_{{ cookiecutter.domain }}(body: {{ cookiecutter.domain | pascal }}Request) -> Response[dict[str, Any]]:
    event = app.current_event.raw_event
    if not is_json_content_type(event):
        raise UnsupportedMediaType
    if not isinstance(app.current_event.json_body, dict):
        # Powertools validates the first element of a top-level array as the body; the gateway's model refuses it.
        raise RequestValidationError([{"loc": ("body",), "msg": "the body must be a JSON object", "type": "dict_type"}])
    command = {
        "principal": caller_principal(event),
        "idempotency_key": idempotency_key_from(event),
        "request": body.model_dump(mode="json"),
    }
    created = create_once_per_key()(command=command)
    location = link(event, f"{COLLECTION}/{created['id']}")
    return Response(
        status_code=201,
        content_type=content_types.APPLICATION_JSON,
        body={**created, "links": {"self": location}},
        headers={"Location": location},
    )


def create_once(command: dict[str, Any]) -> dict[str, Any]:
    """Runs once per key while the idempotency record lives (``create_once_per_key``); errors are raised so they are
    never cached."""
    request = {{ cookiecutter.domain | pascal }}Request.model_validate(command["request"])
    creation = plan_creation(
        request, command["idempotency_key"], datetime.now(UTC), configuration.outbox_retention, command["principal"]
    )
    try:
        store().create_with_event(creation.entity, creation.outbox_event)
    except AlreadyCreated:
        # The idempotency record expired but the {{ cookiecutter.domain }} it created did not: the stored one answers.
        existing = store().get(creation.entity["id"])
        if not is_same_request(existing, request):
            raise KeyReusedWithOtherPayload(command["idempotency_key"]) from None
        metrics.add_metric(name="Replayed", unit=MetricUnit.Count, value=1)
        return created_response(existing)
    metrics.add_metric(name="Created", unit=MetricUnit.Count, value=1)
    return created_response(creation.entity)


@cache
def create_once_per_key() -> Callable[..., dict[str, Any]]:
    """``create_once`` behind Powertools' idempotency: its records in the idempotency table, keyed by the function's
    name (``<module>.create_once``) and the command's principal and key."""
    persistence = DynamoDBPersistenceLayer(table_name=configuration.idempotency_table_name, boto3_client=dynamodb())
    once: Callable[..., dict[str, Any]] = idempotent_function(
        create_once, data_keyword_argument="command", config=idempotency_config, persistence_store=persistence
    )
    return once


def _rejected(status_code: int, code: str, message: str, **details: Any) -> Response[dict[str, Any]]:
    metrics.add_metric(name="Rejected", unit=MetricUnit.Count, value=1)
    logger.info("request rejected", status_code=status_code, error=code)
    return error_response(status_code, code, message, **details)


@app.exception_handler([RequestValidationError, RequestUnsupportedContentType])
def _invalid_body(error: RequestValidationError | RequestUnsupportedContentType) -> Response[dict[str, Any]]:
    # Powertools reads form and multipart bodies too; only JSON is declared, so any other type is refused as such.
    if not is_json_content_type(app.current_event.raw_event):
        return _not_json()
    fields = field_problems(error.errors())
    return _rejected(400, "invalid_request", "the body is not a valid {{ cookiecutter.domain }}", fields=fields)


@app.exception_handler(ValueError)
def _unreadable_body(error: ValueError) -> Response[dict[str, Any]]:
    # Powertools parses a form or multipart body before the route runs and raises ValueError for a malformed one
    # (multipart without a boundary; found by schemathesis): a body not declared as JSON is refused as such, like any
    # other, and any other ValueError stays the error it is.
    if is_json_content_type(app.current_event.raw_event):
        raise error
    return _not_json()


@app.exception_handler(UnsupportedMediaType)
def _unsupported_media_type(_error: UnsupportedMediaType) -> Response[dict[str, Any]]:
    return _not_json()


def _not_json() -> Response[dict[str, Any]]:
    return _rejected(415, "unsupported_media_type", f"send the body as {JSON_CONTENT_TYPE}")


@app.exception_handler(InvalidIdempotencyKey)
def _invalid_key(error: InvalidIdempotencyKey) -> Response[dict[str, Any]]:
    return _rejected(400, "invalid_idempotency_key", str(error))


@app.exception_handler([IdempotencyValidationError, KeyReusedWithOtherPayload])
def _key_reused(_error: Exception) -> Response[dict[str, Any]]:
    return _rejected(422, "idempotency_key_reused", "this Idempotency-Key was already used with a different body")


@app.exception_handler(IdempotencyAlreadyInProgressError)
def _in_progress(_error: IdempotencyAlreadyInProgressError) -> Response[dict[str, Any]]:
    response = _rejected(409, "request_in_progress", "a request with this Idempotency-Key is still being processed")
    response.headers["Retry-After"] = "1"
    return response


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
{%- if cookiecutter.tracing == "enabled" %}
@tracer.capture_lambda_handler
{%- endif %}
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    idempotency_config.register_lambda_context(context)
    return app.resolve(with_json_media_type_in_lowercase(event), context)
