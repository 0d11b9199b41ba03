"""Redrive: hand outbox events whose delivery was given up back to the relay (pure, no AWS).

When the stream mapping gives up on a batch (retries exhausted, records too old) it sends the batch's
metadata to the on-failure queue: shard, first and last sequence numbers, arrival times; never the
records. The records are read back from the stream while it still holds them (24 hours). After
that, the outbox rows written in the batch's arrival window stand in for them: the window may catch
events that were dispatched long ago, which is harmless because the relay starts each event's
execution at most once (STANDARD by execution name, EXPRESS by its dispatch claim).
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

# Arrival times are approximate (rounded to the second, and a row is written before its record
# arrives): widen the window so that no row of the batch falls outside it.
ARRIVAL_SLACK = timedelta(minutes=1)


class InvalidFailureMessage(Exception):
    """A message in the on-failure queue is not a stream mapping's failed-batch record."""


@dataclass(frozen=True)
class FailedBatch:
    """What the on-failure queue says about a batch the stream mapping gave up on."""

    stream_arn: str
    shard_id: str
    first_sequence_number: str
    last_sequence_number: str
    size: int
    first_arrival: datetime
    last_arrival: datetime

    @classmethod
    def from_message(cls, body: str) -> "FailedBatch":
        try:
            info = json.loads(body)["DDBStreamBatchInfo"]
            return cls(
                stream_arn=info["streamArn"],
                shard_id=info["shardId"],
                first_sequence_number=info["startSequenceNumber"],
                last_sequence_number=info["endSequenceNumber"],
                size=int(info["batchSize"]),
                first_arrival=datetime.fromisoformat(info["approximateArrivalOfFirstRecord"]),
                last_arrival=datetime.fromisoformat(info["approximateArrivalOfLastRecord"]),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise InvalidFailureMessage(f"not a DynamoDB stream failure record: {error!r}") from error

    def arrival_window(self) -> tuple[datetime, datetime]:
        return self.first_arrival - ARRIVAL_SLACK, self.last_arrival + ARRIVAL_SLACK


@dataclass(frozen=True)
class FailureMessage:
    body: str
    receipt: str


class FailureQueue(Protocol):
    def messages(self) -> Iterator[FailureMessage]: ...

    def delete(self, message: FailureMessage) -> None: ...

    def release(self, message: FailureMessage) -> None:
        """Make a received message visible again at once, for the next run."""
        ...


class OutboxStream(Protocol):
    def records(self, batch: FailedBatch) -> list[dict[str, Any]]:
        """The batch's records, or fewer (none) when the stream no longer holds them."""
        ...


class OutboxRows(Protocol):
    def written_between(self, start: datetime, end: datetime) -> list[dict[str, Any]]:
        """Outbox rows (DynamoDB items) whose event occurred in [start, end]."""
        ...


class Relay(Protocol):
    def dispatch(self, records: list[dict[str, Any]]) -> list[str]:
        """Run the relay on outbox stream records; the sequence numbers of the records it failed to dispatch."""
        ...


@dataclass(frozen=True)
class BatchRedrive:
    source: str  # "stream" or "outbox rows": where the batch's events were found
    event_ids: list[str]
    failed_event_ids: list[str]

    @property
    def done(self) -> bool:
        return bool(self.event_ids) and not self.failed_event_ids


@dataclass
class RedriveReport:
    batches: list[BatchRedrive] = field(default_factory=list)
    invalid_messages: int = 0

    @property
    def events(self) -> int:
        return sum(len(batch.event_ids) for batch in self.batches)

    @property
    def failed_event_ids(self) -> list[str]:
        return [event_id for batch in self.batches for event_id in batch.failed_event_ids]


def records_of(batch: FailedBatch, stream: OutboxStream, rows: OutboxRows) -> tuple[str, list[dict[str, Any]]]:
    """The batch's stream records: from the stream if it still holds all of them, else from the outbox rows."""
    records = stream.records(batch)
    if len(records) == batch.size:
        return "stream", records
    return "outbox rows", records_from_rows(rows.written_between(*batch.arrival_window()))


def records_from_rows(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """INSERT stream records as the outbox table's stream would carry them (NEW_IMAGE), numbered in order."""
    ordered = sorted(rows, key=lambda row: (row["occurred_at"]["S"], row["event_id"]["S"]))
    return [
        {
            "eventID": row["event_id"]["S"],
            "eventName": "INSERT",
            "eventSource": "aws:dynamodb",
            "dynamodb": {
                "Keys": {"event_id": row["event_id"]},
                "NewImage": row,
                "SequenceNumber": str(position),
                "StreamViewType": "NEW_IMAGE",
            },
        }
        for position, row in enumerate(ordered, start=1)
    ]


def dispatch(records: list[dict[str, Any]], relay: Relay, batch_size: int) -> list[str]:
    """Hand the records to the relay in batches no larger than its mapping's; the event ids it failed on."""
    failed: list[str] = []
    for start in range(0, len(records), batch_size):
        chunk = records[start : start + batch_size]
        failed_sequence_numbers = set(relay.dispatch(chunk))
        failed.extend(
            _event_id(record) for record in chunk if record["dynamodb"]["SequenceNumber"] in failed_sequence_numbers
        )
    return failed


def redrive_batch(
    batch: FailedBatch, stream: OutboxStream, rows: OutboxRows, relay: Relay, batch_size: int
) -> BatchRedrive:
    source, records = records_of(batch, stream, rows)
    return _redrive(source, records, relay, batch_size)


def redrive_window(start: datetime, end: datetime, rows: OutboxRows, relay: Relay, batch_size: int) -> BatchRedrive:
    """Redrive every event that occurred in [start, end]: for outages the on-failure queue does not cover."""
    return _redrive("outbox rows", records_from_rows(rows.written_between(start, end)), relay, batch_size)


def _redrive(source: str, records: list[dict[str, Any]], relay: Relay, batch_size: int) -> BatchRedrive:
    return BatchRedrive(
        source=source,
        event_ids=[_event_id(record) for record in records],
        failed_event_ids=dispatch(records, relay, batch_size),
    )


def redrive_queue(
    queue: FailureQueue, stream: OutboxStream, rows: OutboxRows, relay: Relay, batch_size: int
) -> RedriveReport:
    """Redrive every batch in the on-failure queue; a batch leaves the queue once all its events were dispatched.

    A batch whose events could not all be dispatched, or found, stays queued for the next run; it is
    released only after this run has received everything, so that this run does not take it again.
    """
    report = RedriveReport()
    kept: list[FailureMessage] = []
    for message in queue.messages():
        try:
            batch = FailedBatch.from_message(message.body)
        except InvalidFailureMessage:
            report.invalid_messages += 1
            kept.append(message)
            continue
        outcome = redrive_batch(batch, stream, rows, relay, batch_size)
        report.batches.append(outcome)
        if outcome.done:
            queue.delete(message)
        else:
            kept.append(message)
    for message in kept:
        queue.release(message)
    return report


def _event_id(record: dict[str, Any]) -> str:
    return str(record["dynamodb"]["NewImage"]["event_id"]["S"])
