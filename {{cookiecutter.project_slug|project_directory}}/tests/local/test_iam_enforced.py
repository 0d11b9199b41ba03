"""IAM on the embedded AWS: every call a function makes is authorized against its own role's synthesized policies.

Removing one grant from a deployed role (as if the stack forgot it) makes the flow fail locally with the
AccessDeniedException AWS would answer, naming the action, instead of on the first real deploy.
"""

import json
from datetime import datetime, timedelta

import pytest
from embedded_aws.engine.iam import SWITCH, Enforcer, is_enforced

from infra.saga_steps import SAGA_STEPS
from infra.settings import SETTINGS
from local.aws import ServiceOnEmbeddedAws
from ops.redrive import redrive
from tests.local.support import Client, Invoked, outbox_events

pytestmark = [
    pytest.mark.usefixtures("settled"),
    pytest.mark.skipif(not is_enforced(), reason=f"IAM enforcement switched off ({SWITCH}=off)"),
]


def enforcer(aws: ServiceOnEmbeddedAws) -> Enforcer:
    assert aws.iam is not None, f"IAM is enforced unless {SWITCH}=off"
    return aws.iam


def denials(invoked: list[Invoked], function_name: str) -> list[str]:
    return [
        json.dumps(call.outcome.payload)
        for call in invoked
        if call.function_name == function_name and "AccessDenied" in json.dumps(call.outcome.payload)
    ]


@pytest.mark.parametrize(
    ("short_name", "action"),
    [(SAGA_STEPS[0].name, "dynamodb:UpdateItem"), ("outbox_relay", "states:StartExecution")],
)
def test_given_a_role_missing_one_grant_when_the_flow_runs_then_the_call_is_denied_naming_it(
    aws: ServiceOnEmbeddedAws,
    client: Client,
    invoked: list[Invoked],
    monkeypatch: pytest.MonkeyPatch,
    short_name: str,
    action: str,
) -> None:
    # Given the function's deployed role without its grant of ``action``
    function_name = aws.function_name(short_name)
    identities = enforcer(aws).identities
    monkeypatch.setitem(identities, function_name, identities[function_name].without(action))
    # When an order is accepted and its flow runs
    entity_id = client.create()
    aws.settle()
    # Then the function's call failed as on AWS, naming the action and its role's session
    denied = denials(invoked, function_name)
    assert denied, [call.outcome for call in invoked if call.function_name == function_name]
    assert f"is not authorized to perform: {action} on resource: arn:aws:" in denied[0]
    assert ":assumed-role/" in denied[0]
    # And once the grant is back, `make redrive` hands what the relay gave up on back to it: the order ends
    monkeypatch.undo()
    occurred_at = datetime.fromisoformat(outbox_events(aws, entity_id)[0]["occurred_at"])
    window = (occurred_at - timedelta(milliseconds=1), occurred_at + timedelta(milliseconds=1))
    redrive(SETTINGS.service_name, None if SETTINGS.dlq_enabled else window)
    aws.settle()
    assert client.entity(entity_id)["status"] in {"COMPLETED", "FAILED"}


def test_given_the_synthesized_roles_when_the_flow_runs_then_calls_were_authorized(
    aws: ServiceOnEmbeddedAws, client: Client
) -> None:
    # Given enforcement on (the default), when an order runs to its end
    before = enforcer(aws).checked
    entity_id = client.create()
    aws.settle()
    # Then the functions' and the state machine's calls went through the evaluator and every one was allowed
    assert enforcer(aws).checked > before
    assert client.entity(entity_id)["status"] == "COMPLETED"
