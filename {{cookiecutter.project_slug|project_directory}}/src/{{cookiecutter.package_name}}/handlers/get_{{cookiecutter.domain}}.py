"""GET /{{ cookiecutter.domain_plural | kebab }}/{id}: the {{ cookiecutter.domain }} with its status and saga progress."""

from typing import Any

import boto3
from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext

from {{ cookiecutter.package_name }}.configuration import ReadConfiguration
from {{ cookiecutter.package_name }}.dal.entities import EntityStore
from {{ cookiecutter.package_name }}.errors import EntityNotFound
from {{ cookiecutter.package_name }}.handlers.http import caller_principal, canonical_json, error_response
from {{ cookiecutter.package_name }}.logic.views import entity_view, is_visible_to

logger = Logger()
tracer = Tracer()
app = APIGatewayRestResolver(serializer=canonical_json)
store = EntityStore(boto3.client("dynamodb"), ReadConfiguration.from_environment().entity_table_name)


@app.get("/{{ cookiecutter.domain_plural | kebab }}/<entity_id>")
def get_{{ cookiecutter.domain }}(entity_id: str) -> dict[str, Any]:
    entity = store.get(entity_id)
    # Another caller's {{ cookiecutter.domain }} is answered as a missing one: an id reveals nothing it does not own.
    if not is_visible_to(entity, caller_principal(app.current_event.raw_event)):
        raise EntityNotFound(entity_id)
    return entity_view(entity)


@app.exception_handler(EntityNotFound)
def _not_found(error: EntityNotFound) -> Response[dict[str, Any]]:
    return error_response(404, "not_found", f"no {{ cookiecutter.domain }} has the id {error}")


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    return app.resolve(event, context)
