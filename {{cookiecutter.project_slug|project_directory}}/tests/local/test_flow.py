"""The whole flow on the embedded AWS: API -> idempotency -> transaction -> stream -> relay -> saga -> status."""

from typing import Any

import pytest

from infra.saga_asl import MARK_COMPLETED
from infra.saga_steps import SAGA_STEPS
from local.aws import ServiceOnEmbeddedAws
from tests.local.support import (
    VALID_BODY,
    Client,
    entered_tasks,
    executions_of,
    new_key,
    only_execution,
    outbox_events,
    scheduled_functions,
    state_name,
    table_contents,
)

pytestmark = pytest.mark.usefixtures("settled")


def test_an_accepted_request_runs_every_step_in_order_to_completed(aws: ServiceOnEmbeddedAws, client: Client) -> None:
    # Given a new request accepted by the API
    response = client.post(VALID_BODY, new_key())
    assert response.status_code == 201
    assert response.body["status"] == "PENDING"
    entity_id = response.body["id"]
    # When the outbox stream is delivered and the saga runs to its end
    aws.settle()
    # Then one execution ran every step once, in the declared order, and marked the entity COMPLETED
    execution = only_execution(aws, entity_id)
    assert execution["status"] == "SUCCEEDED"
    history = aws.execution_history(execution["executionArn"])
    assert entered_tasks(history) == [state_name(step.name) for step in SAGA_STEPS] + [MARK_COMPLETED]
    assert scheduled_functions(history) == [aws.function_name(step.name) for step in SAGA_STEPS]
    # And the entity records each step once, in that order
    entity = client.entity(entity_id)
    assert entity["status"] == "COMPLETED"
    assert sorted(entity["steps"], key=lambda step: entity["steps"][step]["at"]) == [step.name for step in SAGA_STEPS]
    assert (entity["compensations"], entity["failures"]) == ({}, {})
    assert "failure_reason" not in entity


def test_a_replayed_request_gets_the_same_answer_and_one_entity_and_one_execution(
    aws: ServiceOnEmbeddedAws, client: Client
) -> None:
    # Given an accepted request whose saga has run
    key = new_key()
    first = client.post(VALID_BODY, key)
    aws.settle()
    stored = table_contents()
    # When the client sends the very same request again, twice
    replays = [client.post(VALID_BODY, key) for _ in range(2)]
    aws.settle()
    # Then it gets the first answer each time, and nothing new was stored or started
    assert all((replay.status_code, replay.body) == (first.status_code, first.body) for replay in replays)
    assert table_contents() == stored
    assert len(outbox_events(aws, first.body["id"])) == 1
    assert len(executions_of(aws, first.body["id"])) == 1
    assert client.entity(first.body["id"])["status"] == "COMPLETED"


FRESH_KEY = "<a new key>"
REJECTED_REQUESTS: dict[str, tuple[Any, str | None]] = {
    "no Idempotency-Key": (VALID_BODY, None),
    "blank Idempotency-Key": (VALID_BODY, "  "),
    "Idempotency-Key too long": (VALID_BODY, "k" * 129),
    "invalid body": ({**VALID_BODY, "items": [{"sku": "sku-1", "quantity": 0}]}, FRESH_KEY),
    "unknown field": ({**VALID_BODY, "coupon": "FREE"}, FRESH_KEY),
    "not JSON": ("{not json", FRESH_KEY),
}


@pytest.mark.parametrize(("body", "key"), REJECTED_REQUESTS.values(), ids=REJECTED_REQUESTS.keys())
def test_a_rejected_request_writes_nothing_anywhere(
    aws: ServiceOnEmbeddedAws, client: Client, body: Any, key: str | None
) -> None:
    # Given a settled system
    stored, executions = table_contents(), len(aws.executions())
    # When a request the API must refuse arrives
    response = client.post(body, new_key() if key == FRESH_KEY else key)
    # Then it is refused with 400 and a JSON error, and no table, stream record or execution changed
    assert response.status_code == 400
    assert response.body["error"]
    assert table_contents() == stored
    assert aws.pump_streams() == 0
    assert len(aws.executions()) == executions


def test_the_same_key_with_another_body_is_refused_and_writes_nothing(
    aws: ServiceOnEmbeddedAws, client: Client
) -> None:
    # Given an accepted request whose saga has run
    key = new_key()
    first = client.post(VALID_BODY, key)
    aws.settle()
    stored, executions = table_contents(), len(aws.executions())
    # When the same key comes with another body
    response = client.post({**VALID_BODY, "customer_id": "someone-else"}, key)
    # Then it is refused with 422 and nothing was written or started
    assert (response.status_code, response.body["error"]) == (422, "idempotency_key_reused")
    assert table_contents() == stored
    assert aws.pump_streams() == 0
    assert len(aws.executions()) == executions
    assert client.entity(first.body["id"])["customer_id"] == VALID_BODY["customer_id"]
