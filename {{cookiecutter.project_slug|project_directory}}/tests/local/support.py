"""Driving the whole flow on the embedded AWS as a client would, and reading what it left behind.

Everything the tests expect is derived from the service's own declarations (SETTINGS, SAGA_STEPS,
the generated ASL and the deployed template), so the same tests hold for every rendered option.
"""

import json
import uuid
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from embedded_aws.services.apigateway import LOCAL_CALLER_HEADER, ApiResponse, LocalApi
from embedded_aws.services.awslambda import Invocation
from embedded_aws.services.streams import stream_records

from infra.saga_definition import ASL_PATH
from infra.saga_model import SagaStep, pascal, retriable_steps
from infra.saga_steps import SAGA_STEPS
from infra.settings import SETTINGS
from local.aws import ServiceOnEmbeddedAws

PROJECT_ROOT = Path(__file__).resolve().parents[2]
COLLECTION = SETTINGS.route
VALID_BODY = {"customer_id": "c-1", "items": [{"sku": "sku-1", "quantity": 2}]}

RETRIABLE = [step for step in SAGA_STEPS if step.name in retriable_steps(SAGA_STEPS)]
# The steps whose business error fails the saga: every step but the retriable ones.
PIVOTAL = [step for step in SAGA_STEPS if step.name not in retriable_steps(SAGA_STEPS)]
COMPENSATABLE = [step for step in SAGA_STEPS if step.compensation]
CREATE_HANDLER = f"create_{SETTINGS.domain}"
IDEMPOTENCY_TTL_SECONDS = SETTINGS.idempotency_ttl_hours * 3600


def sigv4_signed(
    method: str,
    path: str,
    headers: list[tuple[str, str]],
    body: str | None,
    *,
    region: str = SETTINGS.aws_region,
    credentials: tuple[str, str] = ("AKIDANYONE", "any-secret"),
    service: str = "execute-api",
) -> list[tuple[str, str]]:
    """``headers`` with the SigV4 headers a client adds to this request to `make serve` (localhost:3000), as
    `curl --aws-sigv4` or REST Client sign it: botocore signs; ``credentials`` (access key, secret) are any."""
    request = AWSRequest(method=method, url=f"http://localhost:3000{path}", data=body, headers=dict(headers))
    SigV4Auth(Credentials(*credentials), service, region).add_auth(request)
    return list(request.headers.items())


def new_key() -> str:
    return f"key-{uuid.uuid4()}"


class Client:
    """A client of the service's REST API, answered locally by the deployed routes and functions."""

    def __init__(self, aws: ServiceOnEmbeddedAws) -> None:
        self._api = LocalApi(aws)

    def post(
        self, body: Any, key: str | None, *, content_type: str = "application/json", caller: str | None = None
    ) -> ApiResponse:
        """POST to the collection; ``caller``: the IAM principal that signs it (the local API's default if None)."""
        headers = {"Content-Type": content_type} | ({"Idempotency-Key": key} if key is not None else {})
        return self.request("POST", COLLECTION, list(headers.items()), body, caller=caller)

    def get(self, entity_id: str, *, caller: str | None = None) -> ApiResponse:
        return self.request("GET", f"{COLLECTION}/{entity_id}", caller=caller)

    def request(
        self,
        method: str,
        path: str,
        header_lines: list[tuple[str, str]] | None = None,
        body: Any = None,
        *,
        caller: str | None = None,
    ) -> ApiResponse:
        """Any request, its header lines as sent (a name may repeat); ``caller`` as for post."""
        lines = list(header_lines or []) + ([(LOCAL_CALLER_HEADER, caller)] if caller is not None else [])
        return self._api.request(method, path, lines, body)

    def create(self, key: str | None = None) -> str:
        """A new accepted entity's id; its saga has not run yet (``aws.settle()`` runs it)."""
        response = self.post(VALID_BODY, key or new_key())
        assert response.status_code == 201, response
        return str(response.body["id"])

    def entity(self, entity_id: str) -> dict[str, Any]:
        response = self.get(entity_id)
        assert response.status_code == 200, response
        body: dict[str, Any] = response.body
        return body


# -- what the flow left behind -------------------------------------------------------------------------------


def outbox_events(aws: ServiceOnEmbeddedAws, entity_id: str) -> list[dict[str, Any]]:
    """The outbox rows of one entity (exactly one, when all is well)."""
    dynamodb = boto3.client("dynamodb")
    items = dynamodb.scan(
        TableName=aws.stack.outputs["OutboxTableName"],
        FilterExpression="entity_id = :id",
        ExpressionAttributeValues={":id": {"S": entity_id}},
    )["Items"]
    return [{name: next(iter(value.values())) for name, value in item.items()} for item in items]


def event_id_of(aws: ServiceOnEmbeddedAws, entity_id: str) -> str:
    (event,) = outbox_events(aws, entity_id)
    return str(event["event_id"])


def executions_of(aws: ServiceOnEmbeddedAws, entity_id: str) -> list[dict[str, Any]]:
    """Every execution started for the entity's outbox event (executions are named after the event id)."""
    event_id = event_id_of(aws, entity_id)
    return [execution for execution in aws.executions() if execution["name"] == event_id]


def only_execution(aws: ServiceOnEmbeddedAws, entity_id: str) -> dict[str, Any]:
    executions = executions_of(aws, entity_id)
    assert len(executions) == 1, executions
    return executions[0]


def table_contents() -> dict[str, list[dict[str, Any]]]:
    """Every item of every table, sorted: equal snapshots mean nothing was written in between."""
    dynamodb = boto3.client("dynamodb")
    return {
        name: sorted(
            (item for page in dynamodb.get_paginator("scan").paginate(TableName=name) for item in page["Items"]),
            key=lambda item: json.dumps(item, sort_keys=True),
        )
        for name in dynamodb.list_tables()["TableNames"]
    }


def item_counts() -> dict[str, int]:
    """Every table's item count, as DescribeTable reports it (moto counts live; AWS refreshes it every few hours)."""
    dynamodb = boto3.client("dynamodb")
    return {
        name: int(dynamodb.describe_table(TableName=name)["Table"]["ItemCount"])
        for name in dynamodb.list_tables()["TableNames"]
    }


def idempotency_table(aws: ServiceOnEmbeddedAws) -> str:
    return str(aws.lambdas.function(CREATE_HANDLER).environment["IDEMPOTENCY_TABLE_NAME"])


def live_idempotency_records(aws: ServiceOnEmbeddedAws) -> int:
    """Idempotency records that have not expired by the emulation's clock (Powertools' ``expiration``, epoch s)."""
    dynamodb = boto3.client("dynamodb")
    pages = dynamodb.get_paginator("scan").paginate(
        TableName=idempotency_table(aws),
        Select="COUNT",
        FilterExpression="expiration > :now",
        ExpressionAttributeValues={":now": {"N": str(int(aws.clock.time()))}},
    )
    return sum(page["Count"] for page in pages)


def stream_sequence_numbers(aws: ServiceOnEmbeddedAws) -> dict[str, str]:
    """The outbox stream's INSERT records: sequence number by entity id."""
    (poller,) = aws.pollers
    stream_arn = poller.mapping.stream_arn
    numbers = {}
    for record in stream_records(stream_arn):
        if record["eventName"] == "INSERT":
            numbers[record["dynamodb"]["NewImage"]["entity_id"]["S"]] = record["dynamodb"]["SequenceNumber"]
    return numbers


@dataclass(frozen=True)
class Invoked:
    """One invocation of a function, whoever made it (API, stream mapping, state machine), and its outcome."""

    function_name: str
    event: dict[str, Any]
    outcome: Invocation


def action_outcomes(aws: ServiceOnEmbeddedAws, invoked: list[Invoked], action: str, entity_id: str) -> list[str]:
    """What each successful invocation of a saga action for the entity reported: recorded / already recorded."""
    function_name = aws.function_name(action)
    return [
        call.outcome.payload["outcome"]
        for call in invoked
        if call.function_name == function_name and call.event.get("entity_id") == entity_id and not call.outcome.failed
    ]


def queue_bodies(aws: ServiceOnEmbeddedAws, output_name: str) -> list[dict[str, Any]]:
    return [json.loads(message["Body"]) for message in aws.queue_messages(output_name)]


# -- reading an execution's history --------------------------------------------------------------------------


def entered_tasks(history: list[dict[str, Any]]) -> list[str]:
    """The Task states the execution entered, in order (a retry does not enter its state again)."""
    return [event["stateEnteredEventDetails"]["name"] for event in history if event["type"] == "TaskStateEntered"]


def scheduled_functions(history: list[dict[str, Any]]) -> list[str]:
    """The function each Lambda task invoked, in order: one entry per attempt, retries included."""
    names = []
    for event in history:
        if event["type"] == "TaskScheduled" and event["taskScheduledEventDetails"]["resourceType"] == "lambda":
            parameters = json.loads(event["taskScheduledEventDetails"]["parameters"])
            names.append(str(parameters["FunctionName"]).rsplit(":", 1)[1])
    return names


def task_failures(history: list[dict[str, Any]]) -> list[str]:
    return [event["taskFailedEventDetails"]["error"] for event in history if event["type"] == "TaskFailed"]


def lambda_outcomes(history: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The payloads the saga's Lambda tasks returned, in order."""
    outcomes = []
    for event in history:
        details = event.get("taskSucceededEventDetails", {})
        if event["type"] == "TaskSucceeded" and details.get("resourceType") == "lambda":
            outcomes.append(json.loads(details["output"])["Payload"])
    return outcomes


# -- what the declarations say ------------------------------------------------------------------------------


def state_name(action: str) -> str:
    return pascal(action)


def steps_before(step: SagaStep) -> list[str]:
    return [earlier.name for earlier in SAGA_STEPS[: SAGA_STEPS.index(step)]]


def compensations_after_failure_at(failed: SagaStep) -> list[str]:
    """The compensations a business error at ``failed`` runs: its own and every earlier one, latest first."""
    index = SAGA_STEPS.index(failed)
    return [step.compensation for step in reversed(SAGA_STEPS[: index + 1]) if step.compensation]


@cache
def asl() -> dict[str, Any]:
    definition: dict[str, Any] = json.loads((PROJECT_ROOT / ASL_PATH).read_text(encoding="utf-8"))
    return definition


def attempts_until_caught(action: str, error_name: str) -> int:
    """How often the state machine invokes ``action`` when every attempt fails with ``error_name``.

    Step Functions applies the first retrier whose ErrorEquals names the error (or States.ALL), so the
    attempts are the first one plus that retrier's MaxAttempts (default 3), as the generated ASL says.
    """
    for retrier in asl()["States"][state_name(action)].get("Retry", []):
        if error_name in retrier["ErrorEquals"] or "States.ALL" in retrier["ErrorEquals"]:
            return 1 + int(retrier.get("MaxAttempts", 3))
    return 1


@dataclass(frozen=True)
class RelayMapping:
    """The relay's stream mapping settings, as deployed."""

    batch_size: int
    bisect: bool
    max_retry_attempts: int
    on_failure: bool


def relay_mapping(aws: ServiceOnEmbeddedAws) -> RelayMapping:
    (resource,) = aws.stack.resources_of_type("AWS::Lambda::EventSourceMapping").values()
    properties = resource["Properties"]
    return RelayMapping(
        batch_size=int(properties.get("BatchSize", 100)),
        bisect=bool(properties.get("BisectBatchOnFunctionError", False)),
        max_retry_attempts=int(properties.get("MaximumRetryAttempts", -1)),
        on_failure="OnFailure" in properties.get("DestinationConfig", {}),
    )
