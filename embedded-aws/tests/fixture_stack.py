"""Driving the fixture stack (fixture_app/app.py) as a client would, and reading what it left behind.

Names and settings come from the deployment (stack outputs, function environments, mapping properties), so the
tests hold whatever the fixture app declares.
"""

import uuid
from pathlib import Path
from typing import Any

import boto3
from embedded_aws.engine.runtime import EmbeddedAws
from embedded_aws.services.apigateway import ApiResponse, LocalApi
from embedded_aws.services.streams import StreamPoller, stream_records

REGION = "eu-west-1"
HANDLERS = Path(__file__).resolve().parent / "fixture_app" / "handlers"
COLLECTION = "/items"
CREATE, RELAY, COMPLETE, AUDIT = "fixture_create", "fixture_relay", "fixture_complete", "fixture_audit"


def new_key() -> str:
    return f"key-{uuid.uuid4()}"


class Client:
    """A client of the fixture's REST API, answered by the local API from the deployed routes."""

    def __init__(self, aws: EmbeddedAws) -> None:
        self._api = LocalApi(aws)

    def post(self, key: str) -> ApiResponse:
        return self._api.request("POST", COLLECTION, [("Idempotency-Key", key)], {})

    def create(self) -> str:
        """A new item's id; its execution has not run yet (``aws.settle()`` runs it)."""
        response = self.post(new_key())
        assert response.status_code == 201, response
        return str(response.body["id"])

    def status(self, item_id: str) -> str:
        response = self._api.request("GET", f"{COLLECTION}/{item_id}")
        assert response.status_code == 200, response
        return str(response.body["status"])


def poller_of(aws: EmbeddedAws, short_name: str) -> StreamPoller:
    """The stream mapping that invokes the named function."""
    (poller,) = [poller for poller in aws.pollers if poller.mapping.function_name == aws.function_name(short_name)]
    return poller


def event_id_of(aws: EmbeddedAws, item_id: str) -> str:
    """The id of the item's one outbox row."""
    (row,) = boto3.client("dynamodb").scan(
        TableName=aws.stack.outputs["OutboxTableName"],
        FilterExpression="entity_id = :id",
        ExpressionAttributeValues={":id": {"S": item_id}},
    )["Items"]
    return str(row["event_id"]["S"])


def executions_of(aws: EmbeddedAws, item_id: str) -> list[dict[str, Any]]:
    """Every execution the relay started for the item (executions are named after the outbox row's event id)."""
    event_id = event_id_of(aws, item_id)
    return [execution for execution in aws.executions() if execution["name"] == event_id]


def only_execution(aws: EmbeddedAws, item_id: str) -> dict[str, Any]:
    executions = executions_of(aws, item_id)
    assert len(executions) == 1, executions
    return executions[0]


def stream_sequence_numbers(aws: EmbeddedAws) -> dict[str, str]:
    """The outbox stream's INSERT records still in the stream: sequence number by item id."""
    stream_arn = poller_of(aws, RELAY).mapping.stream_arn
    numbers = {}
    for record in stream_records(stream_arn):
        if record["eventName"] == "INSERT":
            numbers[record["dynamodb"]["NewImage"]["entity_id"]["S"]] = record["dynamodb"]["SequenceNumber"]
    return numbers


def live_idempotency_records(aws: EmbeddedAws) -> int:
    """Idempotency records that have not expired by the emulation's clock (Powertools' ``expiration``, epoch s)."""
    pages = (
        boto3.client("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=aws.stack.outputs["IdempotencyTableName"],
            Select="COUNT",
            FilterExpression="expiration > :now",
            ExpressionAttributeValues={":now": {"N": str(int(aws.clock.time()))}},
        )
    )
    return sum(page["Count"] for page in pages)
