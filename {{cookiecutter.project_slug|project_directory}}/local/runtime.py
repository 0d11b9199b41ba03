"""The embedded AWS: this service's synthesized stack running in moto, in this process, end to end.

One source of truth: the CDK app is synthesized and its CloudFormation template deployed into moto;
functions, tables, the stream mapping and the state machine all come from that deployment. On top:
every Lambda invoke runs the function's own handler in-process (local.lambdas), the outbox stream is
polled with the mapping's settings (local.streams), the state machine runs its real ASL on virtual
time (local.stepfunctions), Powertools idempotency records expire on that same time (local.idempotency),
faults can be armed on any function (local.faults), and the saga actions' provider calls reach a fake
provider with a ledger (local.provider).
"""

import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import boto3
from moto import mock_aws
from moto.stepfunctions.responses import get_backend as stepfunctions_backend

from infra.settings import SETTINGS
from local.clock import VirtualClock
from local.deploy import DeployedStack, deploy, synthesize
from local.dynamodb import atomic_requests, transactions_back_up_items_only
from local.faults import Fault, FaultInjector, FaultKind
from local.idempotency import idempotency_on
from local.lambdas import Invocation, LambdaRuntime, metrics_per_environment
from local.provider import FakeProvider, installed
from local.resources import Resolver
from local.speedups import deployment_frozen_for_collector, request_overheads_skipped
from local.stepfunctions import (
    ExecutionEnds,
    express_duplicates_run,
    install_state_machines,
    interpreter_set_up_once,
    virtual_time,
)
from local.streams import StreamPoller, records_kept_for_retention, records_stamped_by, stream_mappings

TERMINAL_STATUSES = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


class EmbeddedAws:
    def __init__(self, assembly: Path | None = None, region: str = SETTINGS.aws_region) -> None:
        self.region = region
        self.clock = VirtualClock()
        self.faults = FaultInjector()
        # Every saga action's provider call lands here while the embedded AWS runs (local/provider.py).
        self.provider = FakeProvider()
        self._assembly = assembly
        self._exit = ExitStack()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.stop()

    def start(self) -> Self:
        try:
            self._start()
        except BaseException:
            self._exit.close()
            raise
        return self

    def _start(self) -> None:
        assembly = self._assembly or synthesize(Path(self._exit.enter_context(tempfile.TemporaryDirectory())))
        self._exit.enter_context(mock_aws(config={"stepfunctions": {"execute_state_machine": True}}))
        self.stack: DeployedStack = deploy(assembly, self.region)
        self._exit.enter_context(atomic_requests())
        self._exit.enter_context(transactions_back_up_items_only())
        resolver = Resolver(self.stack)
        self.state_machine_arns = install_state_machines(self.stack, resolver)
        region, account = self.state_machine_arn.split(":")[3:5]
        self._state_machine = stepfunctions_backend(account, region).describe_state_machine(self.state_machine_arn)
        self._finished_executions = 0
        self._exit.enter_context(metrics_per_environment())
        self.lambdas = LambdaRuntime(self.faults)
        self._exit.enter_context(installed(self.provider))
        self._exit.enter_context(self.lambdas.serve_moto_invokes())
        self._exit.enter_context(self.lambdas.serve_state_machine_invokes())
        self._exit.enter_context(virtual_time(self.clock))
        self._exit.enter_context(records_stamped_by(self.clock))
        self._exit.enter_context(records_kept_for_retention(self.clock))
        self._exit.enter_context(idempotency_on(self.clock))
        self._exit.enter_context(express_duplicates_run())
        self._exit.enter_context(interpreter_set_up_once())
        self._exit.enter_context(request_overheads_skipped())
        self._execution_ends = ExecutionEnds()
        self._exit.enter_context(self._execution_ends.watch())
        self.pollers = [
            StreamPoller(mapping, self.invoke, self.clock) for mapping in stream_mappings(self.stack, resolver)
        ]
        self._exit.enter_context(deployment_frozen_for_collector())

    def stop(self) -> None:
        self._exit.close()

    # -- functions ---------------------------------------------------------------------------------------------

    def function_name(self, handler_or_action: str) -> str:
        """A deployed function by handler module (``create_order``, ``outbox_relay``) or saga action name."""
        return self.lambdas.function_name(handler_or_action)

    def invoke(self, function_name: str, event: dict[str, Any]) -> Invocation:
        return self.lambdas.invoke(function_name, event)

    def arm_fault(
        self, handler_or_action: str, kind: FaultKind | str, count: int = 1, error_name: str = "InjectedBusinessError"
    ) -> None:
        self.faults.arm(self.function_name(handler_or_action), Fault(FaultKind(kind), error_name), count)

    # -- the flow ----------------------------------------------------------------------------------------------

    def pump_streams(self) -> int:
        return sum(poller.poll() for poller in self.pollers)

    def redeliver_streams(self) -> int:
        return sum(poller.redeliver() for poller in self.pollers)

    def settle(self, timeout: float = 30.0) -> None:
        """Run until nothing is left to do: stream records delivered and every execution finished."""
        deadline = time.monotonic() + timeout
        while self.pump_streams() or self._executions_running():
            # Executions run on their own threads: wait for them without calling any API, which would take
            # the interpreter from them. Their effects reach the streams, so pump again once they are done.
            if not self._execution_ends.wait_while(self._executions_running, deadline):
                raise TimeoutError(f"not settled after {timeout} s: {len(self.running_executions())} running")
            if time.monotonic() > deadline:
                raise TimeoutError(f"not settled after {timeout} s: stream records keep arriving")

    def _executions_running(self) -> bool:
        """Read from moto's backend: a settle checks this thousands of times, the API would dominate the run."""
        executions = self._state_machine.executions
        # Executions are only ever appended: the ones seen finished are not looked at again.
        while self._finished_executions < len(executions):
            if executions[self._finished_executions].status not in TERMINAL_STATUSES:
                return True
            self._finished_executions += 1
        return False

    # -- inspection --------------------------------------------------------------------------------------------

    @property
    def state_machine_arn(self) -> str:
        (arn,) = self.state_machine_arns.values()
        return arn

    def executions(self) -> list[dict[str, Any]]:
        client = boto3.client("stepfunctions")
        paginator = client.get_paginator("list_executions")
        return [
            execution
            for page in paginator.paginate(stateMachineArn=self.state_machine_arn)
            for execution in page["executions"]
        ]

    def execution_counts(self) -> Counter[str]:
        """How many executions each name has started.

        Read from moto's backend: a listing through the API costs more the more executions the emulation
        holds, and the fault scenarios ask after every one of thousands.
        """
        return Counter(execution.name for execution in list(self._state_machine.executions))

    def running_executions(self) -> list[dict[str, Any]]:
        return [execution for execution in self.executions() if execution["status"] not in TERMINAL_STATUSES]

    def execution_history(self, execution_arn: str) -> list[dict[str, Any]]:
        client = boto3.client("stepfunctions")
        events: list[dict[str, Any]] = client.get_execution_history(executionArn=execution_arn, maxResults=1000)[
            "events"
        ]
        return events

    def queue_messages(self, output_name: str) -> list[dict[str, Any]]:
        """Messages waiting in a queue named by its stack output (``RelayFailuresQueueUrl``); they stay queued."""
        sqs = boto3.client("sqs")
        url = self.stack.outputs[output_name]
        messages: list[dict[str, Any]] = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0
        ).get("Messages", [])
        return messages

    # -- local-only operations ---------------------------------------------------------------------------------

    def start_duplicate_execution(self, execution_name: str) -> str:
        """Start the named execution again with its original input, as a redelivered start would.

        STANDARD answers with the running execution or ExecutionAlreadyExists (as AWS does); EXPRESS
        really runs a second execution.
        """
        client = boto3.client("stepfunctions")
        original = next(execution for execution in self._state_machine.executions if execution.name == execution_name)
        try:
            client.start_execution(
                stateMachineArn=self.state_machine_arn, name=execution_name, input=original.execution_input
            )
        except client.exceptions.ExecutionAlreadyExists:
            return "already exists"
        return "started"

    def state(self) -> dict[str, Any]:
        """A summary of everything the emulation holds, for /_local/state and for people."""
        dynamodb, sqs = boto3.client("dynamodb"), boto3.client("sqs")
        executions = self.executions()
        return {
            "tables": {
                name: dynamodb.scan(TableName=name, Select="COUNT")["Count"]
                for name in dynamodb.list_tables()["TableNames"]
            },
            "executions": {
                status: sum(1 for execution in executions if execution["status"] == status)
                for status in sorted({execution["status"] for execution in executions})
            },
            "queues": {
                url.rsplit("/", 1)[1]: int(
                    sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
                        "Attributes"
                    ]["ApproximateNumberOfMessages"]
                )
                for url in sqs.list_queues().get("QueueUrls", [])
            },
            "stream_deliveries": {
                poller.mapping.function_name: {
                    "state": poller.state(),
                    "invocations": poller.log.invocations,
                    "records_delivered": len(poller.log.delivered),
                    "batches_sent_to_on_failure": len(poller.log.sent_to_on_failure),
                }
                for poller in self.pollers
            },
            "armed_faults": self.faults.armed(),
            "virtual_seconds_skipped": self.clock.skipped_seconds,
        }
