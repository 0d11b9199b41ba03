"""Which records a redrive hands to the relay, in what batches, and which queue messages it deletes."""

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from {{ cookiecutter.package_name }}.logic.redrive import (
    ARRIVAL_SLACK,
    FailedBatch,
    FailureMessage,
    InvalidFailureMessage,
    redrive_queue,
)

ARRIVED = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def outbox_row(event_id: str, occurred_at: datetime) -> dict[str, Any]:
    return {
        "event_id": {"S": event_id},
        "event_type": {"S": "created"},
        "entity_id": {"S": f"entity-{event_id}"},
        "occurred_at": {"S": occurred_at.isoformat()},
    }


def failure_message(first: int, last: int, receipt: str = "r-1") -> FailureMessage:
    body = {
        "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": 4},
        "DDBStreamBatchInfo": {
            "shardId": "shard-1",
            "startSequenceNumber": str(first),
            "endSequenceNumber": str(last),
            "approximateArrivalOfFirstRecord": ARRIVED.isoformat(),
            "approximateArrivalOfLastRecord": (ARRIVED + timedelta(seconds=1)).isoformat(),
            "batchSize": last - first + 1,
            "streamArn": "arn:aws:dynamodb:us-east-1:123456789012:table/outbox/stream/label",
        },
    }
    return FailureMessage(body=json.dumps(body), receipt=receipt)


class Queue:
    def __init__(self, *messages: FailureMessage) -> None:
        self.waiting = list(messages)
        self.deleted: list[str] = []
        self.released: list[str] = []

    def messages(self) -> Iterator[FailureMessage]:
        while self.waiting:
            yield self.waiting.pop(0)

    def delete(self, message: FailureMessage) -> None:
        self.deleted.append(message.receipt)

    def release(self, message: FailureMessage) -> None:
        self.released.append(message.receipt)


class Stream:
    """A stream holding the records with these sequence numbers (the others were trimmed)."""

    def __init__(self, rows_by_sequence_number: dict[int, dict[str, Any]]) -> None:
        self._rows = rows_by_sequence_number

    def records(self, batch: FailedBatch) -> list[dict[str, Any]]:
        first, last = int(batch.first_sequence_number), int(batch.last_sequence_number)
        return [
            {"eventName": "INSERT", "dynamodb": {"NewImage": row, "SequenceNumber": str(number)}}
            for number, row in self._rows.items()
            if first <= number <= last
        ]


class Rows:
    def __init__(self, *rows: dict[str, Any]) -> None:
        self._rows = rows
        self.windows: list[tuple[datetime, datetime]] = []

    def written_between(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        self.windows.append((start, end))
        return [row for row in self._rows if start <= datetime.fromisoformat(row["occurred_at"]["S"]) <= end]


class Relay:
    def __init__(self, failing_event_ids: set[str] | None = None) -> None:
        self.batches: list[list[str]] = []
        self._failing = failing_event_ids or set()

    def dispatch(self, records: list[dict[str, Any]]) -> list[str]:
        self.batches.append([record["dynamodb"]["NewImage"]["event_id"]["S"] for record in records])
        return [
            record["dynamodb"]["SequenceNumber"]
            for record in records
            if record["dynamodb"]["NewImage"]["event_id"]["S"] in self._failing
        ]


def test_a_batch_still_in_the_stream_is_redriven_from_its_records_and_deleted() -> None:
    # Given a failure message for records 11-12, which the stream still holds
    stream = Stream({11: outbox_row("e-11", ARRIVED), 12: outbox_row("e-12", ARRIVED)})
    queue, rows, relay = Queue(failure_message(11, 12)), Rows(), Relay()
    # When the queue is redriven
    report = redrive_queue(queue, stream, rows, relay, batch_size=10)
    # Then the relay got exactly those records, the outbox rows were not needed, and the message is deleted
    assert relay.batches == [["e-11", "e-12"]]
    assert rows.windows == []
    assert (report.batches[0].source, queue.deleted, queue.released) == ("stream", ["r-1"], [])


def test_a_batch_the_stream_dropped_is_redriven_from_the_outbox_rows_of_its_arrival_window() -> None:
    # Given a failure message whose records the stream no longer holds (one of two is left)
    stream = Stream({12: outbox_row("e-12", ARRIVED)})
    in_window = [outbox_row("e-11", ARRIVED - ARRIVAL_SLACK), outbox_row("e-12", ARRIVED)]
    too_early = outbox_row("e-10", ARRIVED - ARRIVAL_SLACK - timedelta(seconds=1))
    queue, rows, relay = Queue(failure_message(11, 12)), Rows(too_early, *in_window), Relay()
    # When the queue is redriven
    report = redrive_queue(queue, stream, rows, relay, batch_size=10)
    # Then every row of the widened arrival window went to the relay, in order, and the message is deleted
    assert relay.batches == [["e-11", "e-12"]]
    assert (report.batches[0].source, queue.deleted) == ("outbox rows", ["r-1"])


def test_records_go_to_the_relay_in_batches_no_larger_than_its_mapping() -> None:
    # Given a window with five outbox rows
    rows = Rows(*(outbox_row(f"e-{index}", ARRIVED + timedelta(milliseconds=index)) for index in range(5)))
    relay = Relay()
    # When they are redriven with a batch size of two
    redrive_queue(Queue(failure_message(1, 5)), Stream({}), rows, relay, batch_size=2)
    # Then the relay saw three batches, in order of occurrence
    assert relay.batches == [["e-0", "e-1"], ["e-2", "e-3"], ["e-4"]]


def test_a_batch_with_an_event_the_relay_failed_on_stays_queued() -> None:
    # Given two batches, and a relay that fails on an event of the second
    stream = Stream({1: outbox_row("e-1", ARRIVED), 2: outbox_row("e-2", ARRIVED)})
    queue = Queue(failure_message(1, 1, receipt="first"), failure_message(2, 2, receipt="second"))
    # When the queue is redriven
    report = redrive_queue(queue, stream, Rows(), Relay(failing_event_ids={"e-2"}), batch_size=10)
    # Then the first batch is deleted, the second released for the next run, and the failure reported
    assert (queue.deleted, queue.released, report.failed_event_ids) == (["first"], ["second"], ["e-2"])


def test_a_message_that_is_not_a_stream_failure_is_counted_and_left_in_the_queue() -> None:
    # Given a message some other producer sent to the queue
    queue = Queue(FailureMessage(body='{"hello": "world"}', receipt="stranger"))
    # When the queue is redriven
    report = redrive_queue(queue, Stream({}), Rows(), Relay(), batch_size=10)
    # Then it is neither redriven nor deleted
    assert (report.invalid_messages, report.batches, queue.deleted, queue.released) == (1, [], [], ["stranger"])


def test_a_batch_whose_events_cannot_be_found_stays_queued() -> None:
    # Given a failure message whose records and outbox rows are all gone
    queue = Queue(failure_message(7, 7))
    # When the queue is redriven
    report = redrive_queue(queue, Stream({}), Rows(), Relay(), batch_size=10)
    # Then nothing was dispatched and the message stays for someone to look at
    assert (report.events, queue.deleted, queue.released) == (0, [], ["r-1"])


@pytest.mark.parametrize("body", ["not json", "{}", '{"DDBStreamBatchInfo": {"batchSize": "x"}}'])
def test_failure_messages_are_parsed_strictly(body: str) -> None:
    with pytest.raises(InvalidFailureMessage):
        FailedBatch.from_message(body)
