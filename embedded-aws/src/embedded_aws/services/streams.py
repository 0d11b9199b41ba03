"""DynamoDB stream -> Lambda mappings polled as AWS polls them, with the deployed mapping's settings.

moto would invoke the function synchronously inside each write, ignoring the batch size, filter and
failure settings, and drop the records afterwards (embedded_aws.engine.deploy detaches that). This poller reads the
stream through the DynamoDB Streams API instead and honours FilterCriteria, BatchSize,
ReportBatchItemFailures (checkpoint at the lowest failed sequence number), BisectBatchOnFunctionError,
MaximumRetryAttempts, MaximumRecordAgeInSeconds and the OnFailure destination (batch metadata only,
as on AWS: the records themselves stay in the table). Records leave the stream after 24 hours of
virtual time, as on AWS; moto would keep them forever. A mapping polls only while its State, as moto's
Lambda backend holds it (Enabled in the template, UpdateEventSourceMapping), is Enabled; enabled again,
it goes on from where it stopped.
"""

import json
import threading
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from unittest.mock import patch

import boto3
from botocore.exceptions import ClientError
from moto.awslambda.models import lambda_backends
from moto.core.exceptions import JsonRESTError
from moto.dynamodb.models import table as dynamodb_tables
from moto.dynamodb.models.table import StreamShard
from moto.dynamodbstreams.models import DynamoDBStreamsBackend

from embedded_aws.engine.clock import VirtualClock
from embedded_aws.engine.deploy import DeployedStack
from embedded_aws.engine.resources import Resolver
from embedded_aws.services.awslambda import Invocation, LambdaServiceException
from embedded_aws.services.events import stream_event

UNLIMITED = -1
READ_LIMIT = 1000  # GetRecords' maximum
STREAM_RETENTION_SECONDS = 24 * 60 * 60
# The one State in which Lambda polls; AWS also reports Creating, Enabling, Disabling, Disabled, Updating, Deleting.
POLLING_STATE = "Enabled"


@dataclass(frozen=True)
class StreamMapping:
    uuid: str
    function_name: str
    stream_arn: str
    batch_size: int
    filter_patterns: list[dict[str, Any]]
    report_batch_item_failures: bool
    bisect_on_error: bool
    max_retry_attempts: int
    max_record_age_seconds: int
    on_failure_arn: str | None


def stream_mappings(stack: DeployedStack, resolver: Resolver) -> list[StreamMapping]:
    """The DynamoDB stream mappings exactly as the template declares them."""
    mappings = []
    for logical_id, properties in stack.resources_of_type("AWS::Lambda::EventSourceMapping").items():
        spec = resolver.resolve(properties["Properties"])
        if ":dynamodb:" not in spec["EventSourceArn"]:
            continue
        mappings.append(
            StreamMapping(
                # The mapping's physical id: its UUID in moto's Lambda backend, which holds its State.
                uuid=stack.physical_ids[logical_id],
                function_name=spec["FunctionName"],
                stream_arn=spec["EventSourceArn"],
                batch_size=int(spec.get("BatchSize", 100)),
                filter_patterns=[
                    json.loads(item["Pattern"]) for item in spec.get("FilterCriteria", {}).get("Filters", [])
                ],
                report_batch_item_failures="ReportBatchItemFailures" in spec.get("FunctionResponseTypes", []),
                bisect_on_error=bool(spec.get("BisectBatchOnFunctionError", False)),
                max_retry_attempts=int(spec.get("MaximumRetryAttempts", UNLIMITED)),
                max_record_age_seconds=int(spec.get("MaximumRecordAgeInSeconds", UNLIMITED)),
                on_failure_arn=spec.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination"),
            )
        )
    return mappings


def stream_records(stream_arn: str) -> list[dict[str, Any]]:
    """Every record still in a DynamoDB stream, oldest first per shard, as the Streams API's GetRecords gives them.

    Read from TRIM_HORIZON through the API (not moto's backend), so what it shows is what a reader would get.
    """
    streams = boto3.client("dynamodbstreams")
    records: list[dict[str, Any]] = []
    for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            response = streams.get_records(ShardIterator=iterator, Limit=READ_LIMIT)
            records.extend(response["Records"])
            iterator = response.get("NextShardIterator") if response["Records"] else None
    return records


def records_stamped_by(clock: VirtualClock) -> Any:
    """Stream records get their ApproximateCreationDateTime from the virtual clock, as their age is judged by it."""

    def now() -> datetime:
        return datetime.fromtimestamp(clock.time(), UTC).replace(tzinfo=None)

    return patch.object(dynamodb_tables, "utcnow", now)


class TrimmedDataAccessException(JsonRESTError):
    """What DynamoDB Streams answers a read that starts before the oldest record it still keeps."""

    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("TrimmedDataAccessException", message)


def records_kept_for_retention(clock: VirtualClock, retention_seconds: float = STREAM_RETENTION_SECONDS) -> ExitStack:
    """Stream reads and iterators first drop the records older than the retention, by the virtual clock.

    So TRIM_HORIZON starts at the oldest record left, and a read that starts at a dropped record fails
    with TrimmedDataAccessException, as on AWS. Shards change only inside a request, and embedded_aws.services.dynamodb
    serializes the requests that touch them.
    """

    def trim(shard: StreamShard) -> None:
        oldest_kept = datetime.fromtimestamp(clock.time() - retention_seconds, UTC).replace(tzinfo=None)
        expired = 0
        while expired < len(shard.items) and _created(shard.items[expired].record) < oldest_kept:
            expired += 1
        del shard.items[:expired]
        shard.starting_sequence_number += expired

    get = StreamShard.get
    get_shard_iterator = DynamoDBStreamsBackend.get_shard_iterator

    def get_within_retention(shard: StreamShard, start: int, quantity: int) -> list[dict[str, Any]]:
        trim(shard)
        if start < shard.starting_sequence_number:
            oldest = shard.starting_sequence_number
            raise TrimmedDataAccessException(f"Sequence number {start} is past the retention; the oldest is {oldest}")
        return get(shard, start, quantity)

    def iterator_within_retention(backend: DynamoDBStreamsBackend, arn: str, *args: Any) -> Any:
        shard = backend._get_table_from_arn(arn).stream_shard
        if shard is not None:
            trim(shard)
        return get_shard_iterator(backend, arn, *args)

    stack = ExitStack()
    stack.enter_context(patch.object(StreamShard, "get", get_within_retention))
    stack.enter_context(patch.object(DynamoDBStreamsBackend, "get_shard_iterator", iterator_within_retention))
    return stack


def _created(record: dict[str, Any]) -> datetime:
    created: datetime = record["dynamodb"]["ApproximateCreationDateTime"]
    return created


def matches(pattern: dict[str, Any], value: dict[str, Any]) -> bool:
    """Event-pattern matching for the exact-value rules CDK's FilterRule.isEqual/or produce."""
    for key, rule in pattern.items():
        if isinstance(rule, dict):
            if not isinstance(value.get(key), dict) or not matches(rule, value[key]):
                return False
        elif value.get(key) not in rule:
            return False
    return True


@dataclass
class DeliveryLog:
    """What a poller did, for tests and the local state endpoint."""

    invocations: int = 0
    delivered: list[str] = field(default_factory=list)
    sent_to_on_failure: list[dict[str, Any]] = field(default_factory=list)


class StreamPoller:
    def __init__(
        self,
        mapping: StreamMapping,
        invoke: Callable[[str, dict[str, Any]], Invocation],
        clock: VirtualClock,
    ) -> None:
        self.mapping = mapping
        self._invoke = invoke
        self._clock = clock
        self._streams = boto3.client("dynamodbstreams")
        # Where the next read starts: the iterator the last read returned, as a poller keeps it.
        self._iterator: str | None = None
        # Records read but not yet handed to the function: the mapping was disabled between two batches.
        self._undelivered: list[dict[str, Any]] = []
        self._shard_id = ""
        self._lock = threading.Lock()
        self.log = DeliveryLog()

    def state(self) -> str | None:
        """The mapping's State as Lambda reports it (GetEventSourceMapping); None once it was deleted.

        Read from moto's backend on every poll, so an UpdateEventSourceMapping through any client takes
        effect at the next batch; a settle polls thousands of times, the API would dominate the run.
        """
        region, account = self.mapping.stream_arn.split(":")[3:5]
        mapping = lambda_backends[account][region].get_event_source_mapping(self.mapping.uuid)
        return None if mapping is None else str(mapping.get_configuration()["State"])

    def poll(self) -> int:
        """Deliver every record written since the last checkpoint; returns how many records it handed on.

        Nothing is read or delivered while the mapping is not enabled, and it is asked again before each
        batch: enabled again, the poller goes on from the first record it has not delivered, as AWS does.
        """
        with self._lock:
            if self.state() != POLLING_STATE:
                return 0
            self._undelivered += [
                record for record in self._read() if matches_any(self.mapping.filter_patterns, record)
            ]
            handed_on = 0
            while self._undelivered and self.state() == POLLING_STATE:
                batch = self._undelivered[: self.mapping.batch_size]
                del self._undelivered[: len(batch)]
                self._deliver(batch)
                handed_on += len(batch)
            return handed_on

    def redeliver(self) -> int:
        """Rewind to the start of the stream, as a shard re-read after a relay restart would."""
        with self._lock:
            self._iterator = None
            self._undelivered.clear()
        return self.poll()

    def _read(self) -> list[dict[str, Any]]:
        if self._iterator is None:
            # This service's streams have one shard: a table's stream splits only under load moto does not model.
            (shard,) = self._streams.describe_stream(StreamArn=self.mapping.stream_arn)["StreamDescription"]["Shards"]
            self._shard_id = shard["ShardId"]
            self._iterator = self._streams.get_shard_iterator(
                StreamArn=self.mapping.stream_arn, ShardId=self._shard_id, ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
        records: list[dict[str, Any]] = []
        while True:
            try:
                response = self._streams.get_records(ShardIterator=self._iterator, Limit=READ_LIMIT)
            except ClientError as error:
                if error.response["Error"]["Code"] != "TrimmedDataAccessException":
                    raise
                # Records left the stream before this poller read them (it lagged a day): as on AWS they are
                # lost to it, and it goes on from the oldest record left.
                self._iterator = None
                return records + self._read()
            self._iterator = response["NextShardIterator"]
            records.extend(response["Records"])
            if len(response["Records"]) < READ_LIMIT:
                return records

    def _deliver(self, batch: list[dict[str, Any]]) -> None:
        pending: list[tuple[list[dict[str, Any]], int]] = [(batch, 0)]
        while pending:
            records, attempts = pending.pop(0)
            records = self._drop_expired(records, attempts)
            if not records:
                continue
            failed_from, function_error = self._invoke_batch(records)
            if failed_from is None:
                self.log.delivered.extend(record["dynamodb"]["SequenceNumber"] for record in records)
                continue
            self.log.delivered.extend(record["dynamodb"]["SequenceNumber"] for record in records[:failed_from])
            remaining, attempts = records[failed_from:], attempts + 1
            limit = self.mapping.max_retry_attempts
            if limit != UNLIMITED and attempts > limit:
                self._send_to_on_failure(remaining, attempts, "RetryAttemptsExhausted")
            elif function_error and self.mapping.bisect_on_error and len(remaining) > 1:
                half = len(remaining) // 2
                pending[:0] = [(remaining[:half], attempts), (remaining[half:], attempts)]
            else:
                pending.insert(0, (remaining, attempts))

    def _invoke_batch(self, records: list[dict[str, Any]]) -> tuple[int | None, bool]:
        """The index of the first record to retry (None: all succeeded), and whether the whole invoke failed."""
        self.log.invocations += 1
        try:
            outcome = self._invoke(self.mapping.function_name, stream_event(records, self.mapping.stream_arn))
        except LambdaServiceException:
            return 0, True
        if outcome.failed:
            return 0, True
        failures = (
            (outcome.payload or {}).get("batchItemFailures", []) if self.mapping.report_batch_item_failures else []
        )
        if not failures:
            return None, False
        sequence_numbers = [record["dynamodb"]["SequenceNumber"] for record in records]
        failed = [item.get("itemIdentifier") for item in failures]
        if any(identifier not in sequence_numbers for identifier in failed):
            # An empty or unknown identifier fails the whole batch, as on AWS.
            return 0, True
        return min(sequence_numbers.index(identifier) for identifier in failed), False

    def _drop_expired(self, records: list[dict[str, Any]], attempts: int) -> list[dict[str, Any]]:
        if self.mapping.max_record_age_seconds == UNLIMITED:
            return records
        oldest_allowed = self._clock.time() - self.mapping.max_record_age_seconds
        expired = [record for record in records if _arrival(record) < oldest_allowed]
        if expired:
            self._send_to_on_failure(expired, attempts, "RecordAgeExceeded")
        return [record for record in records if _arrival(record) >= oldest_allowed]

    def _send_to_on_failure(self, records: list[dict[str, Any]], attempts: int, condition: str) -> None:
        message = {
            "requestContext": {
                "requestId": str(uuid.uuid4()),
                "functionArn": self.mapping.function_name,
                "condition": condition,
                "approximateInvokeCount": attempts,
            },
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "version": "1.0",
            "timestamp": datetime.now(UTC).isoformat(),
            "DDBStreamBatchInfo": {
                "shardId": self._shard_id,
                "startSequenceNumber": records[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": records[-1]["dynamodb"]["SequenceNumber"],
                "approximateArrivalOfFirstRecord": datetime.fromtimestamp(_arrival(records[0]), UTC).isoformat(),
                "approximateArrivalOfLastRecord": datetime.fromtimestamp(_arrival(records[-1]), UTC).isoformat(),
                "batchSize": len(records),
                "streamArn": self.mapping.stream_arn,
            },
        }
        self.log.sent_to_on_failure.append(message)
        if self.mapping.on_failure_arn:
            sqs = boto3.client("sqs")
            queue_url = sqs.get_queue_url(QueueName=self.mapping.on_failure_arn.rsplit(":", 1)[1])["QueueUrl"]
            sqs.send_message(QueueUrl=queue_url, MessageBody=json.dumps(message))


def matches_any(patterns: list[dict[str, Any]], record: dict[str, Any]) -> bool:
    return not patterns or any(matches(pattern, record) for pattern in patterns)


def _arrival(record: dict[str, Any]) -> float:
    created = record["dynamodb"]["ApproximateCreationDateTime"]
    return created.timestamp() if isinstance(created, datetime) else float(created)
