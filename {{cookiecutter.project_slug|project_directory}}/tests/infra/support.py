"""Queries over the synthesized template, so tests name resources by role rather than by logical id."""

import json
from typing import Any

from infra.saga_asl import RETRIABLE_FAILURES_QUEUE_PLACEHOLDER, placeholders
from infra.saga_steps import SAGA_STEPS
from infra.settings import SETTINGS

Resource = dict[str, Any]


def expected_failure_queues() -> set[str]:
    """Without the dlq none; with it the relay's, and the retriable steps' one if the ASL reports there."""
    if not SETTINGS.dlq_enabled:
        return set()
    if RETRIABLE_FAILURES_QUEUE_PLACEHOLDER in placeholders(SAGA_STEPS, dlq_enabled=True):
        return {"RelayFailuresQueue", "RetriableFailuresQueue"}
    return {"RelayFailuresQueue"}


def resources_of_type(template_json: dict[str, Any], resource_type: str) -> dict[str, Resource]:
    return {
        logical_id: resource
        for logical_id, resource in template_json["Resources"].items()
        if resource["Type"] == resource_type
    }


def function_by_handler(template_json: dict[str, Any], handler: str) -> tuple[str, Resource]:
    """The one function whose Handler is ``<package>.handlers.<handler>.handler``."""
    matches = [
        (logical_id, resource)
        for logical_id, resource in resources_of_type(template_json, "AWS::Lambda::Function").items()
        if resource["Properties"]["Handler"].endswith(f".handlers.{handler}.handler")
    ]
    assert len(matches) == 1, f"expected one function with handler {handler}, found {[m[0] for m in matches]}"
    return matches[0]


def logical_id_of_type(template_json: dict[str, Any], resource_type: str, id_fragment: str) -> str:
    """The one resource of that type whose logical id contains the fragment (e.g. ``OutboxTable``)."""
    matches = [
        logical_id for logical_id in resources_of_type(template_json, resource_type) if id_fragment in logical_id
    ]
    assert len(matches) == 1, f"expected one {resource_type} named like {id_fragment}, found {matches}"
    return matches[0]


def role_statements(template_json: dict[str, Any], role_logical_id: str) -> list[dict[str, Any]]:
    """Every policy statement attached to the role, inline or through AWS::IAM::Policy."""
    statements: list[dict[str, Any]] = []
    role = template_json["Resources"][role_logical_id]["Properties"]
    for policy in role.get("Policies", []):
        statements.extend(policy["PolicyDocument"]["Statement"])
    for policy in resources_of_type(template_json, "AWS::IAM::Policy").values():
        if {"Ref": role_logical_id} in policy["Properties"]["Roles"]:
            statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def function_role_statements(template_json: dict[str, Any], function: Resource) -> list[dict[str, Any]]:
    role_logical_id = function["Properties"]["Role"]["Fn::GetAtt"][0]
    return role_statements(template_json, role_logical_id)


def as_list(value: Any) -> list[Any]:
    """IAM elements hold a single value or a list of them."""
    return value if isinstance(value, list) else [value]


def actions(statement: dict[str, Any]) -> set[str]:
    return set(as_list(statement["Action"]))


def actions_on(statements: list[dict[str, Any]], logical_id: str) -> set[str]:
    """Actions allowed on any resource whose ARN or name is derived from the logical id."""
    return {
        action
        for statement in statements
        if statement["Effect"] == "Allow" and logical_id in json.dumps(statement["Resource"])
        for action in actions(statement)
    }


def all_actions(statements: list[dict[str, Any]]) -> set[str]:
    return {action for statement in statements if statement["Effect"] == "Allow" for action in actions(statement)}
