"""``python -m ops.redrive`` (``make redrive``): hand given-up outbox events back to the relay, idempotently.

Reads the stack's outputs, then redrives every batch in the relay's on-failure queue (see
``{{ cookiecutter.package_name }}.logic.redrive``): its records are read back from the stream, or from the outbox
rows once the stream has dropped them, and the deployed relay is invoked with them, as its stream
mapping would. A batch leaves the queue once every event in it was dispatched. With ``--from`` and
``--to`` it redrives every event that occurred in that window instead (for an outage the queue does
not cover, or a service generated without it). Running it twice starts nothing twice: the relay starts
each event's execution at most once.

Uses the usual AWS credentials and region; ``AWS_ENDPOINT_URL=http://localhost:5000`` points it at
``make serve``.
"""

import argparse
import sys
from collections.abc import Sequence
from datetime import datetime

import boto3

from infra.settings import RELAY_BATCH_SIZE, SETTINGS

from {{ cookiecutter.package_name }}.dal.redrive import (
    DynamoDbOutboxRows,
    DynamoDbOutboxStream,
    RelayFunction,
    SqsFailureQueue,
)
from {{ cookiecutter.package_name }}.logic.redrive import RedriveReport, redrive_queue, redrive_window

FAILURE_QUEUE_OUTPUT = "RelayFailuresQueueUrl"


def redrive(stack_name: str, window: tuple[datetime, datetime] | None = None) -> RedriveReport:
    outputs = stack_outputs(stack_name)
    dynamodb = boto3.client("dynamodb")
    outbox_table = outputs["OutboxTableName"]
    rows = DynamoDbOutboxRows(dynamodb, outbox_table)
    relay = RelayFunction(
        boto3.client("lambda"),
        outputs["OutboxRelayFunctionName"],
        stream_arn=dynamodb.describe_table(TableName=outbox_table)["Table"]["LatestStreamArn"],
    )
    if window is not None:
        return RedriveReport(batches=[redrive_window(*window, rows, relay, RELAY_BATCH_SIZE)])
    if FAILURE_QUEUE_OUTPUT not in outputs:
        raise SystemExit(
            f"{stack_name} has no relay on-failure queue (generated with dlq=disabled): "
            "redrive a time window with --from and --to"
        )
    queue = SqsFailureQueue(boto3.client("sqs"), outputs[FAILURE_QUEUE_OUTPUT])
    return redrive_queue(queue, DynamoDbOutboxStream(boto3.client("dynamodbstreams")), rows, relay, RELAY_BATCH_SIZE)


def stack_outputs(stack_name: str) -> dict[str, str]:
    (stack,) = boto3.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"]
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def summary(report: RedriveReport) -> str:
    lines = [
        f"batch from {batch.source}: {len(batch.event_ids)} events, {len(batch.failed_event_ids)} not dispatched"
        + ("" if batch.done else " (kept for the next run)")
        for batch in report.batches
    ]
    lines.append(
        f"{len(report.batches)} batches, {report.events} events redriven, {len(report.failed_event_ids)} failed"
    )
    if report.invalid_messages:
        lines.append(f"{report.invalid_messages} messages in the queue are not stream failure records (left there)")
    return "\n".join(lines)


def utc_datetime(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone: write it as 2024-05-01T10:00:00+00:00")
    return moment


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make redrive", description=__doc__.split("\n\n")[0])
    parser.add_argument("--stack-name", default=SETTINGS.service_name)
    parser.add_argument("--from", dest="start", type=utc_datetime, help="redrive events that occurred from (ISO 8601)")
    parser.add_argument("--to", dest="end", type=utc_datetime, help="... up to this moment (ISO 8601)")
    arguments = parser.parse_args(argv)
    if (arguments.start is None) != (arguments.end is None):
        parser.error("--from and --to go together")
    window = (arguments.start, arguments.end) if arguments.start is not None else None
    report = redrive(arguments.stack_name, window)
    print(summary(report))
    return 1 if report.failed_event_ids else 0


if __name__ == "__main__":
    sys.exit(main())
