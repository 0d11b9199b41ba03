"""The REST API: routes, validation, authorization, stage settings and the API functions' access."""

from typing import Any

from aws_cdk.assertions import Match, Template

from infra.request_validation import gateway_error_templates, request_body_schema
from infra.saga_model import pascal
from infra.settings import SETTINGS
from tests.infra.support import (
    actions_on,
    all_actions,
    function_by_handler,
    function_role_statements,
    logical_id_of_type,
    resources_of_type,
)

from {{ cookiecutter.package_name }}.models import {{ cookiecutter.domain | pascal }}Request

CREATE_HANDLER = f"create_{SETTINGS.domain}"
GET_HANDLER = f"get_{SETTINGS.domain}"


def method(template_json: dict[str, Any], http_method: str) -> dict[str, Any]:
    methods = [
        resource["Properties"]
        for resource in resources_of_type(template_json, "AWS::ApiGateway::Method").values()
        if resource["Properties"]["HttpMethod"] == http_method
    ]
    assert len(methods) == 1
    properties: dict[str, Any] = methods[0]
    return properties


def test_routes_are_the_collection_and_its_items(template_json: dict[str, Any]) -> None:
    # Given the domain's plural, whose kebab-case form is the collection's path
    # When the stack is synthesized
    paths = {
        resource["Properties"]["PathPart"]
        for resource in resources_of_type(template_json, "AWS::ApiGateway::Resource").values()
    }
    # Then POST /<collection> and GET /<collection>/{id} exist, and nothing else
    assert paths == {SETTINGS.route.removeprefix("/"), "{id}"}
    assert {
        m["Properties"]["HttpMethod"] for m in resources_of_type(template_json, "AWS::ApiGateway::Method").values()
    } == {"POST", "GET"}


def test_methods_use_the_configured_authorization(template: Template) -> None:
    # Given api_auth chosen at generation
    expected = "AWS_IAM" if SETTINGS.api_auth == "iam" else "NONE"
    # When the stack is synthesized
    # Then every method requires SigV4 signatures, or none
    template.all_resources_properties("AWS::ApiGateway::Method", {"AuthorizationType": expected})


def test_post_requires_an_idempotency_key_and_a_body_of_the_handlers_model(template_json: dict[str, Any]) -> None:
    # Given the POST method
    post = method(template_json, "POST")
    # When API Gateway validates a request
    validator = template_json["Resources"][post["RequestValidatorId"]["Ref"]]["Properties"]
    model = template_json["Resources"][post["RequestModels"]["application/json"]["Ref"]]["Properties"]
    # Then it rejects a missing Idempotency-Key header and any body the handler's request model would refuse:
    # the deployed model is the one derived from the pydantic model (tests/unit/test_request_validation.py
    # proves it accepts exactly what the handler accepts)
    assert post["RequestParameters"] == {"method.request.header.Idempotency-Key": True}
    assert validator["ValidateRequestBody"] is True
    assert validator["ValidateRequestParameters"] is True
    assert model["ContentType"] == "application/json"
    assert model["Schema"] == request_body_schema({{ cookiecutter.domain | pascal }}Request)
    # And the create function receives it through the Lambda proxy integration
    create_function, _ = function_by_handler(template_json, CREATE_HANDLER)
    assert post["Integration"]["Type"] == "AWS_PROXY"
    assert create_function in str(post["Integration"]["Uri"])


def test_what_the_validator_refuses_is_answered_in_the_handlers_error_shape(template_json: dict[str, Any]) -> None:
    # Given the API's gateway responses
    # When API Gateway refuses a body or a header before any handler runs
    responses = {
        resource["Properties"]["ResponseType"]: resource["Properties"]
        for resource in resources_of_type(template_json, "AWS::ApiGateway::GatewayResponse").values()
    }
    # Then it answers 400 with an ApiError body, as the handler does for the same request
    assert {
        response_type: (response["StatusCode"], response["ResponseTemplates"]["application/json"])
        for response_type, response in responses.items()
    } == {response_type: ("400", body) for response_type, body in gateway_error_templates(SETTINGS.domain).items()}


def test_get_is_proxied_to_the_get_function(template_json: dict[str, Any]) -> None:
    # Given the GET method
    get = method(template_json, "GET")
    # When it is invoked
    get_function, _ = function_by_handler(template_json, GET_HANDLER)
    # Then the get function answers it
    assert get["Integration"]["Type"] == "AWS_PROXY"
    assert get_function in str(get["Integration"]["Uri"])


def test_stage_writes_access_logs_and_traces_per_setting(template: Template) -> None:
    # Given the tracing option
    # When the stack is synthesized
    # Then the stage logs every request and traces only when tracing is enabled
    template.has_resource_properties(
        "AWS::ApiGateway::Stage",
        {
            "AccessLogSetting": {"DestinationArn": Match.any_value(), "Format": Match.string_like_regexp("requestId")},
            "TracingEnabled": SETTINGS.tracing_enabled,
        },
    )


def test_create_function_gets_the_ttls_and_tables_it_needs(template_json: dict[str, Any]) -> None:
    # Given the idempotency TTL (hours) and outbox retention (days) chosen at generation
    # When the stack is synthesized
    _, function = function_by_handler(template_json, CREATE_HANDLER)
    variables = function["Properties"]["Environment"]["Variables"]
    # Then the create function receives them in the units its code reads
    assert variables["IDEMPOTENCY_TTL_SECONDS"] == str(SETTINGS.idempotency_ttl_hours * 3600)
    assert variables["OUTBOX_RETENTION_DAYS"] == str(SETTINGS.outbox_retention_days)
    assert {"ENTITY_TABLE_NAME", "OUTBOX_TABLE_NAME", "IDEMPOTENCY_TABLE_NAME"} <= variables.keys()


def test_create_function_cannot_start_executions_or_touch_the_saga(template_json: dict[str, Any]) -> None:
    # Given the create function's role
    _, function = function_by_handler(template_json, CREATE_HANDLER)
    statements = function_role_statements(template_json, function)
    # When looking at everything it may do
    allowed = all_actions(statements)
    # Then it cannot start a saga (only the relay does, from the outbox) and only puts (and reads back) entities
    assert not any(action.startswith("states:") for action in allowed)
    entity_table = logical_id_of_type(template_json, "AWS::DynamoDB::Table", f"{pascal(SETTINGS.domain_plural)}Table")
    outbox_table = logical_id_of_type(template_json, "AWS::DynamoDB::Table", "OutboxTable")
    assert actions_on(statements, entity_table) == {"dynamodb:PutItem", "dynamodb:GetItem"}
    assert actions_on(statements, outbox_table) == {"dynamodb:PutItem"}


def test_get_function_only_reads_the_entity_table(template_json: dict[str, Any]) -> None:
    # Given the get function's role
    _, function = function_by_handler(template_json, GET_HANDLER)
    statements = function_role_statements(template_json, function)
    # When looking at its DynamoDB permissions
    dynamodb = {action for action in all_actions(statements) if action.startswith("dynamodb:")}
    entity_table = logical_id_of_type(template_json, "AWS::DynamoDB::Table", f"{pascal(SETTINGS.domain_plural)}Table")
    # Then it can read one entity and nothing else
    assert dynamodb == {"dynamodb:GetItem"}
    assert actions_on(statements, entity_table) == {"dynamodb:GetItem"}
