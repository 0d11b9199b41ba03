"""GET /{{ cookiecutter.domain_plural | kebab }}/{id}: the {{ cookiecutter.domain }} with its status and saga progress."""

from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger{% if cookiecutter.tracing == "enabled" %}, Tracer{% endif %}
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from {{ cookiecutter.package_name }}.configuration import ReadConfiguration
from {{ cookiecutter.package_name }}.dal.entities import EntityStore
from {{ cookiecutter.package_name }}.errors import EntityNotFound
from {{ cookiecutter.package_name }}.handlers.http import (
    JSON_CONTENT_TYPE,
    caller_principal,
    canonical_json,
    error_response,
    error_responses,
)
from {{ cookiecutter.package_name }}.logic.views import entity_view, is_visible_to
from {{ cookiecutter.package_name }}.models import {{ cookiecutter.domain | pascal }}View

logger = Logger()
{%- if cookiecutter.tracing == "enabled" %}
# Its only calls are AWS calls: X-Ray patches botocore alone, not every library it could trace that is installed.
tracer = Tracer(patch_modules=["botocore"])
{%- endif %}
app = APIGatewayRestResolver(serializer=canonical_json)
configuration = ReadConfiguration.from_environment()


# Built on the first request, not at import: importing the handler is the cold start.
@cache
def store() -> EntityStore:
    return EntityStore(boto3.client("dynamodb"), configuration.entity_table_name)


# The answers below are this route's part of openapi.json (infra/openapi.py).
@app.get(
    "/{{ cookiecutter.domain_plural | kebab }}/<entity_id>",
    summary="The {{ cookiecutter.domain }} with its status and its saga's progress",
    responses={
        200: {
            "description": "the {{ cookiecutter.domain }}",
            "content": {JSON_CONTENT_TYPE: {"model": {{ cookiecutter.domain | pascal }}View}},
        },
        **error_responses(
            {
                404: "not_found: no {{ cookiecutter.domain }} with this id that the caller may read",
            }
        ),
    },
)
def get_{{ cookiecutter.domain }}(entity_id: str) -> dict[str, Any]:
    entity = store().get(entity_id)
    # Another caller's {{ cookiecutter.domain }} is answered as a missing one: an id reveals nothing it does not own.
    if not is_visible_to(entity, caller_principal(app.current_event.raw_event)):
        raise EntityNotFound(entity_id)
    return entity_view(entity)


@app.not_found
def _no_such_route(_error: NotFoundError) -> Response[dict[str, Any]]:
    # Powertools' route pattern refuses some characters (a control character in the id) and would answer its own
    # 404 body; such an id is answered as any missing one, in the API's error body (found by schemathesis).
    return error_response(404, "not_found", "no {{ cookiecutter.domain }} has this id")


@app.exception_handler(EntityNotFound)
def _not_found(error: EntityNotFound) -> Response[dict[str, Any]]:
    return error_response(404, "not_found", f"no {{ cookiecutter.domain }} has the id {error}")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
{%- if cookiecutter.tracing == "enabled" %}
@tracer.capture_lambda_handler
{%- endif %}
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
