"""IAM enforced on the running fixture stack: functions call as their own roles, the state machine's tasks as its role.

A module of its own: the denials below leave items that never complete, so this module's embedded AWS is not
shared with the other modules' (conftest.py's ``aws`` has module scope).
"""

import json

import pytest
from embedded_aws.engine.iam import STATE_MACHINE, Enforcer
from embedded_aws.engine.runtime import EmbeddedAws
from fixture_stack import RELAY, Client, executions_of, only_execution

pytestmark = pytest.mark.usefixtures("settled")


def enforcer(aws: EmbeddedAws) -> Enforcer:
    assert aws.iam is not None, "IAM enforcement is on by default"
    return aws.iam


def test_given_the_synthesized_roles_when_an_item_flows_then_every_call_was_checked_and_allowed(
    aws: EmbeddedAws, client: Client
) -> None:
    # Given the stack's own roles, when an item is created and its execution runs
    checked = enforcer(aws).checked
    item_id = client.create()
    aws.settle()
    # Then it completed, and the functions' and the state machine's calls went through the evaluator
    assert client.status(item_id) == "COMPLETED"
    assert enforcer(aws).checked > checked


def test_given_the_state_machine_without_its_invoke_grant_when_an_execution_runs_then_its_task_is_denied(
    aws: EmbeddedAws, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the state machine's role without lambda:InvokeFunction (the relay and the functions keep theirs)
    identities = enforcer(aws).identities
    monkeypatch.setitem(identities, STATE_MACHINE, identities[STATE_MACHINE].without("lambda:InvokeFunction"))
    # When an item's execution reaches its Lambda task
    item_id = client.create()
    aws.settle()
    # Then the task failed as on AWS, naming the action and the state machine's role session, and nothing completed
    execution = only_execution(aws, item_id)
    assert execution["status"] == "FAILED"
    failure = json.dumps(aws.execution_history(execution["executionArn"]), default=str)
    assert "is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:" in failure
    assert ":assumed-role/" in failure
    assert client.status(item_id) != "COMPLETED"


def test_given_the_relay_without_its_start_grant_when_a_row_is_relayed_then_no_execution_starts(
    aws: EmbeddedAws, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the relay's role without states:StartExecution
    name = aws.function_name(RELAY)
    identities = enforcer(aws).identities
    monkeypatch.setitem(identities, name, identities[name].without("states:StartExecution"))
    # When an item's outbox row reaches the relay (and its retries run out)
    item_id = client.create()
    aws.settle()
    # Then no execution was started for it
    assert executions_of(aws, item_id) == []
