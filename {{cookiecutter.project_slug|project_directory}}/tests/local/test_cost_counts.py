"""What an order is billed for, metered on the emulation (benchmarks/metering.py), against a hand count.

Hand-computed expectation for a successful order of a saga with N steps (the default has N = 3), while the items it
writes stay under 1 KB (the entity and its outbox event are checked below; the idempotency record holds the 201's
body, smaller than the entity): past 1 KB, each write of an item costs one unit per KB. A saga of many steps grows
the entity's progress maps past 1 KB (five steps: about 1.1 KB); while it stays under 2 KB, each of the entity's
updates (2N + 1, below) then costs one or two units, so the write count lies between the hand count and 2N + 1 more.

- API requests: 2 (the POST, then one GET of the final status).
- Lambda invocations: create 1, outbox_relay 1, each step's action 1, get 1 (no compensation runs).
- DynamoDB write request units: the idempotency record's conditional put (1) and its completion update (1); the
  transaction that writes the entity and its outbox event (2 items x 1 unit x 2 for a transaction = 4); per step,
  ``start_step`` and ``record_action`` update the entity (2 x N); the state machine's own final status update (1);
  with EXPRESS, the relay's dispatch claim put and its update (2). So 7 + 2N, plus 2 with EXPRESS (default: 13).
- DynamoDB read request units: per step, a strongly consistent GetItem of the entity (1 x N), and the GET's
  strongly consistent GetItem (1): N + 1 (default: 4). The outbox stream's reads by the relay's mapping are free.
- Step Functions: one execution; STANDARD bills N + 2 state transitions: the execution enters each step's Task
  state once (N), then Mark completed (1), then the Succeed state (1). Each added step adds one transition.
"""

from collections.abc import Iterator

import pytest

from benchmarks.billing import standard_state_transitions
from benchmarks.capacity import WRITE_UNIT_BYTES, item_size
from benchmarks.metering import Meter
from infra.saga_steps import SAGA_STEPS
from infra.settings import SETTINGS
from local.aws import ServiceOnEmbeddedAws
from tests.local.support import CREATE_HANDLER, VALID_BODY, Client, new_key, only_execution, scheduled_functions

pytestmark = pytest.mark.usefixtures("settled")
N = len(SAGA_STEPS)
EXPRESS_CLAIM_UNITS = 2 if SETTINGS.workflow_type == "EXPRESS" else 0


@pytest.fixture
def meter(aws: ServiceOnEmbeddedAws) -> Iterator[Meter]:
    with Meter(aws).installed() as installed:
        yield installed


def test_a_successful_order_is_billed_one_transition_per_step_plus_two(
    aws: ServiceOnEmbeddedAws, client: Client
) -> None:
    # Given an accepted order
    entity_id = client.create()
    # When its saga runs to the end
    aws.settle()
    # Then its history bills N + 2 transitions and invoked each step's function once
    history = aws.execution_history(only_execution(aws, entity_id)["executionArn"])
    assert standard_state_transitions(history) == N + 2
    assert len(scheduled_functions(history)) == N


def test_a_successful_order_meters_as_counted_by_hand(aws: ServiceOnEmbeddedAws, meter: Meter) -> None:
    # Given a metered window
    meter.start()
    # When an order is created, runs to the end and its status is read once
    created = meter.api(
        "POST", SETTINGS.route, {"Content-Type": "application/json", "Idempotency-Key": new_key()}, VALID_BODY
    )
    assert created.status_code == 201, created
    aws.settle()
    entity = meter.api("GET", f"{SETTINGS.route}/{created.body['id']}")
    usage = meter.stop()
    (execution,) = meter.executions()
    # Then it used what the module docstring counts: exactly while every item it wrote stayed under 1 KB, and
    # within one more unit per update of the entity while that stays under 2 KB
    assert entity.body["status"] == "COMPLETED"
    largest = max(item_size(item) for item in written_items(aws, created.body["id"]))
    assert largest < 2 * WRITE_UNIT_BYTES
    hand_count = 7 + 2 * N + EXPRESS_CLAIM_UNITS
    updates_past_1_kb = 0 if largest < WRITE_UNIT_BYTES else 2 * N + 1
    assert hand_count <= usage.total_write_units <= hand_count + updates_past_1_kb
    assert usage.api_requests == 2
    assert dict(usage.invocations) == {CREATE_HANDLER: 1, "outbox_relay": 1, f"get_{SETTINGS.domain}": 1} | {
        step.name: 1 for step in SAGA_STEPS
    }
    assert usage.total_read_units == N + 1
    # The direct integration is metered too: the final status, written over the entity at its largest
    assert usage.write_units["state machine: UpdateItem"] == (1 if largest < WRITE_UNIT_BYTES else 2)
    assert (execution.status, execution.transitions) == ("SUCCEEDED", N + 2)
    assert usage.sqs_requests == 0


def written_items(aws: ServiceOnEmbeddedAws, entity_id: str) -> list[dict[str, dict[str, object]]]:
    """The order's entity item and its outbox event, as stored now (their largest versions: they only grow)."""
    import boto3

    dynamodb = boto3.client("dynamodb")
    entity = dynamodb.get_item(TableName=aws.stack.outputs["EntityTableName"], Key={"id": {"S": entity_id}})["Item"]
    events = dynamodb.scan(
        TableName=aws.stack.outputs["OutboxTableName"],
        FilterExpression="entity_id = :id",
        ExpressionAttributeValues={":id": {"S": entity_id}},
    )["Items"]
    return [entity, *events]
