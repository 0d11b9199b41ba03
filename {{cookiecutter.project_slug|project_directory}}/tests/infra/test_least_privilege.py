"""Least privilege, read from the synthesized template: no wildcard grants, nothing readable in the clear."""

import json
from typing import Any

from infra.nag import RESOURCELESS_ACTIONS
from tests.infra.support import resources_of_type


def statements(template_json: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every IAM statement in the stack, with the logical id of the policy or role holding it."""
    found = [
        (logical_id, statement)
        for logical_id, policy in resources_of_type(template_json, "AWS::IAM::Policy").items()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    found += [
        (logical_id, statement)
        for logical_id, role in resources_of_type(template_json, "AWS::IAM::Role").items()
        for inline in role["Properties"].get("Policies", [])
        for statement in inline["PolicyDocument"]["Statement"]
    ]
    return found


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_no_statement_grants_a_wildcard_action(template_json: dict[str, Any]) -> None:
    # Given every IAM statement of the stack
    # When its actions are read
    wildcards = [
        (logical_id, action)
        for logical_id, statement in statements(template_json)
        for action in as_list(statement["Action"])
        if "*" in action
    ]
    # Then each one names its actions exactly
    assert wildcards == []


def test_a_wildcard_resource_is_granted_only_for_actions_that_take_no_resource(template_json: dict[str, Any]) -> None:
    # Given every IAM statement of the stack
    # When its resources are read
    too_broad = [
        (logical_id, statement["Action"], resource)
        for logical_id, statement in statements(template_json)
        for resource in as_list(statement["Resource"])
        if "*" in json.dumps(resource)
        and not (resource == "*" and set(as_list(statement["Action"])) <= RESOURCELESS_ACTIONS.keys())
    ]
    # Then "*" appears only for actions AWS cannot scope to a resource (listed, with reasons, in infra/nag.py)
    assert too_broad == []


def test_no_role_can_be_assumed_by_anyone_but_its_service(template_json: dict[str, Any]) -> None:
    # Given the stack's roles
    # When their trust policies are read
    principals = {
        principal
        for role in resources_of_type(template_json, "AWS::IAM::Role").values()
        for statement in role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        for principal in as_list(statement["Principal"].get("Service", "not a service"))
    }
    # Then only the Lambda and Step Functions services may assume them
    assert principals <= {"lambda.amazonaws.com", "states.amazonaws.com"}


def test_every_queue_is_encrypted_at_rest(template_json: dict[str, Any]) -> None:
    # Given the stack's queues (if any)
    queues = resources_of_type(template_json, "AWS::SQS::Queue")
    # When their properties are read
    unencrypted = [
        logical_id
        for logical_id, queue in queues.items()
        if not (queue["Properties"].get("SqsManagedSseEnabled") or queue["Properties"].get("KmsMasterKeyId"))
    ]
    # Then every message is stored encrypted
    assert unencrypted == []
