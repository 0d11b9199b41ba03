"""`make redrive` on the embedded AWS: given-up outbox events reach their saga, and a second run starts nothing."""

from collections import Counter
from datetime import datetime, timedelta

import pytest

from infra.settings import SETTINGS
from local.aws import ServiceOnEmbeddedAws
from ops.redrive import main, redrive
from tests.local.support import Client, event_id_of, executions_of, only_execution, outbox_events, relay_mapping

pytestmark = pytest.mark.usefixtures("settled")

RELAY = "outbox_relay"
RELAY_FAILURES_QUEUE = "RelayFailuresQueueUrl"

needs_on_failure_queue = pytest.mark.skipif(
    not SETTINGS.dlq_enabled, reason="generated without the relay's on-failure queue: only window redrives apply"
)


def given_up_entity(aws: ServiceOnEmbeddedAws, client: Client) -> str:
    """An accepted entity whose outbox record the stream mapping gave up on after its retries."""
    mapping = relay_mapping(aws)
    if mapping.max_retry_attempts < 0:
        pytest.skip("the relay mapping retries forever: nothing is ever given up")
    aws.arm_fault(RELAY, "crash_before", count=mapping.max_retry_attempts + 1)
    entity_id = client.create()
    aws.settle()
    assert aws.faults.armed() == {}
    assert executions_of(aws, entity_id) == []
    return entity_id


@needs_on_failure_queue
def test_a_given_up_event_is_redriven_from_the_on_failure_queue_and_a_second_run_starts_nothing(
    aws: ServiceOnEmbeddedAws, client: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given an entity whose outbox record was given up on and reported to the on-failure queue
    entity_id = given_up_entity(aws, client)
    assert aws.queue_messages(RELAY_FAILURES_QUEUE)
    # When the redrive runs
    report = redrive(SETTINGS.service_name)
    aws.settle()
    # Then its event was read back from the stream and dispatched, its saga ran once, and the queue is empty
    (batch,) = [batch for batch in report.batches if event_id_of(aws, entity_id) in batch.event_ids]
    assert (batch.source, batch.failed_event_ids) == ("stream", [])
    assert only_execution(aws, entity_id)["status"] == "SUCCEEDED"
    assert client.entity(entity_id)["status"] == "COMPLETED"
    assert aws.queue_messages(RELAY_FAILURES_QUEUE) == []
    # When it runs again, as `make redrive` runs it
    before = aws.execution_counts()
    exit_code = main([])
    aws.settle()
    # Then it found nothing to do and started nothing (the handlers run in this process and print their logs too)
    assert (exit_code, capsys.readouterr().out.splitlines()[-1]) == (0, "0 batches, 0 events redriven, 0 failed")
    assert aws.execution_counts() == before


@needs_on_failure_queue
def test_a_batch_stays_queued_until_the_relay_dispatched_it(aws: ServiceOnEmbeddedAws, client: Client) -> None:
    # Given a given-up entity, and a relay that crashes on the redrive's first invocation
    entity_id = given_up_entity(aws, client)
    aws.arm_fault(RELAY, "crash_before")
    # When the redrive runs
    failed = redrive(SETTINGS.service_name)
    aws.settle()
    # Then it reports the event as not dispatched, started nothing for it, and left its batch in the queue
    event_id = event_id_of(aws, entity_id)
    assert event_id in failed.failed_event_ids
    assert executions_of(aws, entity_id) == []
    assert aws.queue_messages(RELAY_FAILURES_QUEUE)
    # When it runs again with the relay healthy
    retried = redrive(SETTINGS.service_name)
    aws.settle()
    # Then the event is dispatched and the queue is empty
    assert retried.failed_event_ids == []
    assert only_execution(aws, entity_id)["status"] == "SUCCEEDED"
    assert aws.queue_messages(RELAY_FAILURES_QUEUE) == []


def test_a_window_redrive_dispatches_what_was_given_up_and_nothing_twice(
    aws: ServiceOnEmbeddedAws, client: Client
) -> None:
    # Given a completed entity and, right after it, one whose outbox record was given up on
    completed = client.create()
    aws.settle()
    given_up = given_up_entity(aws, client)
    moments = [datetime.fromisoformat(outbox_events(aws, entity)[0]["occurred_at"]) for entity in (completed, given_up)]
    window = (min(moments) - timedelta(milliseconds=1), max(moments) + timedelta(milliseconds=1))
    before = aws.execution_counts()
    # When the window around both is redriven, twice
    for _ in range(2):
        report = redrive(SETTINGS.service_name, window)
        aws.settle()
        # Then both events were handed to the relay each time, and none failed
        assert {event_id_of(aws, completed), event_id_of(aws, given_up)} <= set(report.batches[0].event_ids)
        assert report.failed_event_ids == []
    # And only the given-up entity got an execution: one, however often it was redriven
    after = aws.execution_counts()
    assert after - before == Counter({event_id_of(aws, given_up): 1})
    assert client.entity(given_up)["status"] == "COMPLETED"
    assert only_execution(aws, completed)["status"] == "SUCCEEDED"


@pytest.mark.skipif(SETTINGS.dlq_enabled, reason="generated with the relay's on-failure queue")
def test_without_an_on_failure_queue_the_redrive_asks_for_a_window() -> None:
    with pytest.raises(SystemExit, match="--from and --to"):
        redrive(SETTINGS.service_name)


@pytest.mark.parametrize(
    "arguments",
    [["--from", "2026-01-01T00:00:00+00:00"], ["--from", "2026-01-01T00:00:00", "--to", "2026-01-01T01:00:00"]],
    ids=["from without to", "no time zone"],
)
def test_a_window_needs_both_ends_with_a_time_zone(arguments: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(arguments)
    assert exit_info.value.code == 2
    assert "--from" in capsys.readouterr().err
