"""The outbox stream -> relay hop: a retried crash, an isolated poison record, harmless redelivery."""

import json

import pytest

from local.aws import ServiceOnEmbeddedAws
from tests.local.support import Client, executions_of, only_execution, relay_mapping, stream_sequence_numbers

pytestmark = pytest.mark.usefixtures("settled")

RELAY = "outbox_relay"
RELAY_FAILURES_QUEUE = "RelayFailuresQueueUrl"


def test_a_relay_crash_is_retried_and_the_saga_runs_once(aws: ServiceOnEmbeddedAws, client: Client) -> None:
    # Given a relay that crashes on its next invocation
    aws.arm_fault(RELAY, "crash_before")
    (poller,) = aws.pollers
    invocations = poller.log.invocations
    # When an accepted request's outbox record is delivered
    entity_id = client.create()
    aws.settle()
    # Then the mapping retried the record, one execution ran, and the entity completed
    assert poller.log.invocations - invocations == 2
    assert aws.faults.armed() == {}
    assert only_execution(aws, entity_id)["status"] == "SUCCEEDED"
    assert client.entity(entity_id)["status"] == "COMPLETED"


def halvings_to_isolate_the_first_record(batch_size: int) -> int:
    """How often a batch is bisected until its first record stands alone (the first half is the smaller)."""
    halvings = 0
    while batch_size > 1:
        batch_size //= 2
        halvings += 1
    return halvings


def test_a_poison_record_is_isolated_and_sent_to_the_on_failure_destination_while_its_batch_completes(
    aws: ServiceOnEmbeddedAws, client: Client
) -> None:
    mapping = relay_mapping(aws)
    if mapping.max_retry_attempts < 0:
        pytest.skip("the relay mapping retries forever: a poison record blocks its shard instead of being isolated")
    if not mapping.bisect or mapping.batch_size < 2:
        pytest.skip("the relay mapping does not bisect batches, so a poison record cannot be isolated")
    # Given new outbox records that the stream delivers in one batch
    entity_ids = [client.create() for _ in range(min(3, mapping.batch_size))]
    poison, healthy = entity_ids[0], entity_ids[1:]
    # And a relay that fails on every attempt at the first record: once per bisection until it stands alone, then
    # on every retry the mapping allows. Whether bisections count as retries or not, the failures left over fall
    # on the rest of the batch, which still has retries left.
    failures = halvings_to_isolate_the_first_record(len(entity_ids)) + mapping.max_retry_attempts + 1
    aws.arm_fault(RELAY, "crash_before", count=failures)
    (poller,) = aws.pollers
    given_up_before = len(poller.log.sent_to_on_failure)
    # When the stream is delivered
    aws.settle()
    # Then only the first record was given up on, alone, once its retries were exhausted
    assert aws.faults.armed() == {}
    given_up = poller.log.sent_to_on_failure[given_up_before:]
    assert len(given_up) == 1
    sequence_number = stream_sequence_numbers(aws)[poison]
    batch = given_up[0]["DDBStreamBatchInfo"]
    assert (batch["batchSize"], batch["startSequenceNumber"], batch["endSequenceNumber"]) == (
        1,
        sequence_number,
        sequence_number,
    )
    assert given_up[0]["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert given_up[0]["requestContext"]["approximateInvokeCount"] > mapping.max_retry_attempts
    # And its entity is still PENDING with no execution, while the rest of its batch completed
    assert executions_of(aws, poison) == []
    assert client.entity(poison)["status"] == "PENDING"
    for entity_id in healthy:
        assert only_execution(aws, entity_id)["status"] == "SUCCEEDED"
        assert client.entity(entity_id)["status"] == "COMPLETED"
    # And the on-failure destination holds the batch's metadata, from which the outbox row can be redriven
    if not mapping.on_failure:
        assert RELAY_FAILURES_QUEUE not in aws.stack.outputs
        return
    bodies = [json.loads(message["Body"]) for message in aws.queue_messages(RELAY_FAILURES_QUEUE)]
    mine = [body for body in bodies if body["DDBStreamBatchInfo"]["startSequenceNumber"] == sequence_number]
    assert len(mine) == 1
    assert mine[0]["DDBStreamBatchInfo"]["streamArn"] == poller.mapping.stream_arn


def test_redelivered_stream_records_start_nothing_already_started(aws: ServiceOnEmbeddedAws, client: Client) -> None:
    # Given accepted requests whose sagas have run
    entity_ids = [client.create() for _ in range(2)]
    aws.settle()
    runs = aws.execution_counts()
    # When the stream redelivers every record from its start, as after a relay restart
    redelivered = aws.redeliver_streams()
    aws.settle()
    # Then the relay saw them again, but no event that had an execution got another one
    assert redelivered >= len(entity_ids)
    rerun = aws.execution_counts()
    assert {name: rerun[name] for name in runs} == runs
    # (an event given up on earlier, a poison record say, gets its first execution: that is a redrive)
    assert all(rerun[name] == 1 for name in rerun.keys() - runs.keys())
    for entity_id in entity_ids:
        assert len(executions_of(aws, entity_id)) == 1
        assert client.entity(entity_id)["status"] == "COMPLETED"
