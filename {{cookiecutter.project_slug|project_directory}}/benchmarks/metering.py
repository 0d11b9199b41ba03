"""What one order uses of each billed AWS service, metered while it runs on the embedded AWS.

A ``Meter`` wraps a running ``ServiceOnEmbeddedAws`` and, between ``start()`` and ``stop()``, counts:

- API requests (the requests sent through ``Meter.api``, the local REST API);
- Lambda invocations per function and each one's measured handler time (ms of the invoking thread's CPU time, warm
  environment: the handler and moto answering its AWS calls in-process; on AWS the calls' network round trips would
  count instead of moto's work): every invoke passes through ``LambdaRuntime.invoke`` (API, stream mapping, state
  machine), which the meter times;
- every AWS request on the wire: moto answers each botocore request in one ``before-send`` handler that every
  client has (its ``BotocoreStubber``), so wrapping that handler sees the requests of clients created before the
  meter too (a hook registered on a session later would not reach them: a client copies its session's handlers).
  That covers the functions' calls and the state machine's direct service integrations (its ``dynamodb:updateItem``)
  alike; the embedded AWS's own stream reads (free on AWS for a Lambda trigger) are left out;
- DynamoDB read and write request units from the item sizes by AWS's rules (``benchmarks.capacity``): an item's size
  before a write is read from moto's tables (no request), a transaction counts twice, a strongly consistent read
  a full unit per 4 KB, a conditional write that fails its condition still consumes;
- SQS requests (one per 64 KB chunk of a message body) and the Step Functions executions started.

After ``stop()``, ``executions()`` reads each started execution's history: state transitions (STANDARD billing),
an estimated duration (EXPRESS billing) and an estimate of the CloudWatch Logs bytes of EXPRESS logging.
Meter one order at a time: the counts of everything that runs in the window are that order's.
"""

import json
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest.mock import patch

from embedded_aws.services.apigateway import ApiResponse, LocalApi
from embedded_aws.services.awslambda import Invocation, current_function_name
from moto.core.botocore_stubber import BotocoreStubber
from moto.dynamodb.models import dynamodb_backends

from benchmarks.billing import sqs_requests, standard_state_transitions
from benchmarks.capacity import item_size, query_read_units, read_units, write_units
from local.aws import ServiceOnEmbeddedAws

Item = Mapping[str, Mapping[str, Any]]
STATE_MACHINE = "state machine"  # who made a request that no function made: the saga's direct integrations
LAMBDA_DEFAULT_MEMORY_MB = 128  # CloudFormation's MemorySize default (AWS::Lambda::Function)
LAMBDA_DEFAULT_ARCHITECTURE = "x86_64"  # CloudFormation's Architectures default
# With includeExecutionData false (infra/saga.py), an EXPRESS log event carries no input, output or parameters.
_EXECUTION_DATA = {"input", "output", "parameters", "inputDetails", "outputDetails"}
_NOT_METERED = {"dynamodb-streams"}  # GetRecords by a Lambda trigger is free (prices.json)


@dataclass(frozen=True)
class FunctionConfiguration:
    """A function's billed configuration as the synthesized template declares it: memory (MB), architecture."""

    memory_mb: int
    architecture: str


def function_configurations(aws: ServiceOnEmbeddedAws) -> dict[str, FunctionConfiguration]:
    """Every deployed function's memory and architecture, by its short name, read from the deployed template."""
    configurations = {}
    for logical_id, resource in aws.stack.resources_of_type("AWS::Lambda::Function").items():
        properties = resource.get("Properties", {})
        name = aws.stack.physical_ids[logical_id]
        if name not in aws.lambdas.functions:
            continue  # a function CDK adds for itself (a custom resource), never invoked by an order
        configurations[aws.lambdas.short_name_of(name)] = FunctionConfiguration(
            memory_mb=int(properties.get("MemorySize", LAMBDA_DEFAULT_MEMORY_MB)),
            architecture=str(properties.get("Architectures", [LAMBDA_DEFAULT_ARCHITECTURE])[0]),
        )
    return configurations


@dataclass
class Usage:
    """What one metered window used. Durations in ms, request units as AWS bills them, sizes in bytes."""

    api_requests: int = 0
    invocations: Counter[str] = field(default_factory=Counter)  # function short name -> invocations
    durations_ms: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))  # measured, each
    write_units: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # "caller: Operation" -> units
    read_units: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # "caller: Operation" -> units
    requests: Counter[str] = field(default_factory=Counter)  # "service.Operation" -> AWS requests on the wire
    sqs_requests: int = 0  # billed SQS requests (64 KB chunks)
    execution_arns: list[str] = field(default_factory=list)
    virtual_seconds: float = 0.0  # retry intervals and waits the emulation skipped instead of sleeping

    @property
    def total_write_units(self) -> float:
        return float(sum(self.write_units.values()))

    @property
    def total_read_units(self) -> float:
        return float(sum(self.read_units.values()))


@dataclass(frozen=True)
class ExecutionUsage:
    """One execution, as each workflow type would bill it.

    ``transitions``: STANDARD state transitions (history, retries included). ``duration_ms``: an estimate of the
    EXPRESS billed duration: the emulated run from its first to its last history event (wall clock) plus the
    retry intervals the emulation skipped. ``log_bytes``: an estimate of EXPRESS logging at level ALL without
    execution data: one JSON log event per history event, its data fields left out.
    """

    status: str
    transitions: int
    duration_ms: float
    log_bytes: int


class Meter:
    """Meters a running service; ``start()`` and ``stop()`` bound the window, ``api`` sends the metered requests."""

    def __init__(self, aws: ServiceOnEmbeddedAws) -> None:
        self.aws = aws
        self.usage = Usage()
        self._api = LocalApi(aws)
        self._metering = False
        self._lock = threading.Lock()
        self._skipped_at_start = 0.0
        region, account = aws.state_machine_arn.split(":")[3:5]
        self._tables = dynamodb_backends[account][region]

    # -- the window ----------------------------------------------------------------------------------------------

    @contextmanager
    def installed(self) -> Iterator["Meter"]:
        """Wrap the invoke point and moto's request handler while the block runs (nothing is counted until start)."""
        lambdas = self.aws.lambdas
        invoke = lambdas.invoke
        answer = BotocoreStubber.__call__
        meter = self

        def timed_invoke(function_name: str, event: dict[str, Any]) -> Invocation:
            # The CPU time of the invoking thread: the handler and the emulated AWS answering its calls run on it.
            # Other processes and threads (an execution the relay starts runs on its own) do not count towards it.
            started = time.thread_time()
            try:
                return invoke(function_name, event)
            finally:
                meter._invoked(function_name, (time.thread_time() - started) * 1000)

        def metered_answer(stubber: BotocoreStubber, event_name: str, request: Any, **kwargs: Any) -> Any:
            if not meter._metering:
                return answer(stubber, event_name, request, **kwargs)
            return meter._answered(event_name, request, lambda: answer(stubber, event_name, request, **kwargs))

        lambdas.invoke = timed_invoke  # type: ignore[method-assign]  # the instance's, as tests/local's `invoked`
        try:
            with patch.object(BotocoreStubber, "__call__", metered_answer):
                yield self
        finally:
            del lambdas.invoke

    def start(self) -> None:
        self.usage = Usage()
        self._skipped_at_start = self.aws.clock.skipped_seconds
        self._metering = True

    def stop(self) -> Usage:
        self._metering = False
        self.usage.virtual_seconds = self.aws.clock.skipped_seconds - self._skipped_at_start
        return self.usage

    def api(self, method: str, path: str, headers: Mapping[str, str] | None = None, body: Any = None) -> ApiResponse:
        """A request to the service's API, counted as one API Gateway request."""
        if self._metering:
            self.usage.api_requests += 1
        return self._api.request(method, path, dict(headers or {}), body)

    # -- what runs in it -----------------------------------------------------------------------------------------

    def _invoked(self, function_name: str, milliseconds: float) -> None:
        if not self._metering:
            return
        name = self.aws.lambdas.short_name_of(function_name)
        with self._lock:
            self.usage.invocations[name] += 1
            self.usage.durations_ms[name].append(milliseconds)

    def _caller(self) -> str:
        function_name = current_function_name()
        return STATE_MACHINE if function_name is None else self.aws.lambdas.short_name_of(function_name)

    def _answered(self, event_name: str, request: Any, answer: Callable[[], Any]) -> Any:
        """Answer one request (``before-send.<service>.<Operation>``) and count what it bills."""
        _, service, operation = event_name.split(".", 2)
        if service in _NOT_METERED:
            return answer()
        params = json.loads(request.body or b"{}") if _is_json(request) else {}
        before = self._items_written(operation, params) if service == "dynamodb" else []
        response = answer()
        with self._lock:
            self.usage.requests[f"{service}.{operation}"] += 1
            if service == "dynamodb":
                self._dynamodb_units(operation, params, before, response)
            elif service == "sqs":
                self.usage.sqs_requests += sqs_requests(_sqs_payload_bytes(operation, params))
            elif service == "sfn" and operation in {"StartExecution", "StartSyncExecution"}:
                body = _json_body(response)
                if "executionArn" in body:
                    self.usage.execution_arns.append(str(body["executionArn"]))
        return response

    # -- DynamoDB request units ---------------------------------------------------------------------------------

    def _stored(self, table: str, key: Item) -> Item | None:
        """The item as stored now, read from moto's table (no request), in the attribute-value shape."""
        try:
            item = self._tables.get_item(table, dict(key))
        except Exception:  # an unknown table or a malformed key: the request itself fails and reads nothing
            return None
        return None if item is None else item.to_json()["Attributes"]

    def _key_of(self, table: str, item: Item) -> dict[str, Any]:
        schema = self._tables.get_table(table)
        names = [schema.hash_key_attr] + ([schema.range_key_attr] if schema.range_key_attr else [])
        return {name: item[name] for name in names if name in item}

    def _written(self, operation: str, params: Mapping[str, Any]) -> list[tuple[str, str, Mapping[str, Any]]]:
        """(kind, table, request) of each item a write request touches: Put, Update, Delete or ConditionCheck."""
        if operation in {"PutItem", "UpdateItem", "DeleteItem"}:
            return [(operation.removesuffix("Item"), params["TableName"], params)]
        if operation == "TransactWriteItems":
            return [
                (kind, entry["TableName"], entry) for item in params["TransactItems"] for kind, entry in item.items()
            ]
        if operation == "BatchWriteItem":
            return [
                (kind.removesuffix("Request"), table, request)
                for table, requests in params["RequestItems"].items()
                for entry in requests
                for kind, request in entry.items()
            ]
        return []

    def _items_written(self, operation: str, params: Mapping[str, Any]) -> list[Item | None]:
        """Each written item as stored before the request (None where there was none)."""
        stored = []
        for kind, table, request in self._written(operation, params):
            key = self._key_of(table, request["Item"]) if kind == "Put" else request["Key"]
            stored.append(self._stored(table, key))
        return stored

    def _dynamodb_units(
        self, operation: str, params: Mapping[str, Any], before: list[Item | None], response: Any
    ) -> None:
        label = f"{self._caller()}: {operation}"
        transactional = operation == "TransactWriteItems"
        for (kind, table, request), old in zip(self._written(operation, params), before, strict=True):
            old_size = item_size(old) if old else 0
            if kind == "Put":  # the larger of the item replaced and the item written
                size = max(old_size, item_size(request["Item"]))
            elif kind == "Update":  # the larger of the item before and after the update
                after = self._stored(table, request["Key"])
                size = max(old_size, item_size(after) if after else 0)
            else:  # Delete, ConditionCheck: the item as it is
                size = old_size
            self.usage.write_units[label] += write_units(size, transactional=transactional)
        if operation == "GetItem":  # the whole item, whatever the projection
            found = self._stored(params["TableName"], params["Key"])
            consistent = bool(params.get("ConsistentRead", False))
            self.usage.read_units[label] += read_units(item_size(found) if found else 0, consistent=consistent)
        elif operation == "TransactGetItems":
            for entry in params["TransactItems"]:
                found = self._stored(entry["Get"]["TableName"], entry["Get"]["Key"])
                self.usage.read_units[label] += read_units(item_size(found) if found else 0, transactional=True)
        elif operation == "BatchGetItem":
            for table, request in params["RequestItems"].items():
                consistent = bool(request.get("ConsistentRead", False))
                for key in request["Keys"]:
                    found = self._stored(table, key)
                    self.usage.read_units[label] += read_units(item_size(found) if found else 0, consistent=consistent)
        elif operation in {"Query", "Scan"}:  # the items returned (a projection would make this an underestimate)
            items = _json_body(response).get("Items", [])
            self.usage.read_units[label] += query_read_units(items, consistent=bool(params.get("ConsistentRead")))

    # -- Step Functions, after the window ----------------------------------------------------------------------

    def executions(self) -> list[ExecutionUsage]:
        """The executions started in the last window, from their histories (call after ``stop()``)."""
        executions = []
        for arn in self.usage.execution_arns:
            history = self.aws.execution_history(arn)
            last = history[-1]
            duration_ms = (last["timestamp"] - history[0]["timestamp"]).total_seconds() * 1000
            executions.append(
                ExecutionUsage(
                    status=str(last["type"]).removeprefix("Execution").upper(),
                    transitions=standard_state_transitions(history),
                    # Windows are one order each, so the intervals skipped are this order's execution's.
                    duration_ms=duration_ms + self.usage.virtual_seconds * 1000 / len(self.usage.execution_arns),
                    log_bytes=sum(express_log_event_bytes(event, arn) for event in history),
                )
            )
        return executions


def express_log_event_bytes(event: Mapping[str, Any], execution_arn: str) -> int:
    """Estimated bytes of the CloudWatch Logs event EXPRESS logging writes for one history event (UTF-8 JSON).

    The shape follows Step Functions' log event (id, type, details, previous_event_id, event_timestamp,
    execution_arn); without execution data its details keep only the names and sizes of what ran.
    """
    details: Mapping[str, Any] = next((value for name, value in event.items() if name.endswith("EventDetails")), {})
    logged = {
        "id": str(event["id"]),
        "type": event["type"],
        "details": {name: value for name, value in details.items() if name not in _EXECUTION_DATA},
        "previous_event_id": str(event.get("previousEventId", 0)),
        "event_timestamp": str(int(event["timestamp"].timestamp() * 1000)),
        "execution_arn": execution_arn,
        "redrive_count": "0",
    }
    return len(json.dumps(logged, default=str).encode())


def _is_json(request: Any) -> bool:
    return "json" in str(request.headers.get("Content-Type", "")) and bool(request.body)


def _json_body(response: Any) -> dict[str, Any]:
    if response is None or not response.content:
        return {}
    try:
        body = json.loads(response.content)
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _sqs_payload_bytes(operation: str, params: Mapping[str, Any]) -> int:
    """The message bodies an SQS request carries, in bytes (0 for a request that carries none)."""
    if operation == "SendMessage":
        return len(str(params.get("MessageBody", "")).encode())
    if operation == "SendMessageBatch":
        return sum(len(str(entry.get("MessageBody", "")).encode()) for entry in params.get("Entries", []))
    return 0
