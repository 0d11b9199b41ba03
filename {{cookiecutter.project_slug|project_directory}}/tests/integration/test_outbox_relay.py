"""The relay against the deployed outbox stream and state machine: one execution per outbox event."""

import copy
from typing import Any

import pytest
from embedded_aws.engine.deploy import DeployedStack
from embedded_aws.services.awslambda import LambdaRuntime
from embedded_aws.services.events import stream_event

from tests.integration.support import executions_named, outbox_records_for


@pytest.fixture
def relay(functions: LambdaRuntime) -> Any:
    return functions.function("outbox_relay")


def test_a_record_delivered_twice_in_a_batch_and_again_later_starts_one_execution(
    relay: Any, created: tuple[str, list[dict[str, Any]]], stepfunctions: Any, stack: DeployedStack
) -> None:
    # Given the outbox record of a new {{ cookiecutter.domain }}
    stream_arn, records = created
    event_id = records[0]["dynamodb"]["NewImage"]["event_id"]["S"]
    # When the stream delivers it twice in one batch, then redelivers the batch
    first = relay.invoke(stream_event(records * 2, stream_arn))
    again = relay.invoke(stream_event(records, stream_arn))
    # Then every delivery succeeds and exactly one execution, named after the event, exists
    assert first == again == {"batchItemFailures": []}
    assert len(executions_named(stepfunctions, stack, event_id)) == 1


def test_a_bad_record_is_reported_alone(
    relay: Any, created: tuple[str, list[dict[str, Any]]], stepfunctions: Any, stack: DeployedStack
) -> None:
    # Given a batch with a good record and a record missing its entity id
    stream_arn, records = created
    poison = copy.deepcopy(records[0])
    del poison["dynamodb"]["NewImage"]["entity_id"]
    poison["dynamodb"]["SequenceNumber"] = "999999999999999999999"
    # When the relay processes the batch
    response = relay.invoke(stream_event([poison, *records], stream_arn))
    # Then only the bad record is reported for retry, and the good one started its execution
    assert response == {"batchItemFailures": [{"itemIdentifier": "999999999999999999999"}]}
    event_id = records[0]["dynamodb"]["NewImage"]["event_id"]["S"]
    assert len(executions_named(stepfunctions, stack, event_id)) == 1


def test_the_relay_never_writes_back_to_the_outbox(
    relay: Any, created: tuple[str, list[dict[str, Any]]], dynamodb: Any, stack: DeployedStack
) -> None:
    stream_arn, records = created
    entity_id = records[0]["dynamodb"]["NewImage"]["entity_id"]["S"]
    relay.invoke(stream_event(records, stream_arn))
    _, after = outbox_records_for(dynamodb, stack, entity_id)
    assert [record["eventName"] for record in after] == ["INSERT"]
