"""The embedded AWS: a synthesized CDK stack running in moto, in this process, end to end.

One source of truth: the CDK app is synthesized and its CloudFormation template deployed into moto; functions,
tables, the stream mappings and the state machines all come from that deployment. On top: every Lambda invoke runs
the function's own handler in-process (services.awslambda), DynamoDB streams are polled with each mapping's settings
(services.streams), state machines run their real ASL on virtual time (services.stepfunctions), Powertools
idempotency records expire on that same time (services.powertools_idempotency), and faults can be armed on any
function (engine.faults). What belongs to the service (a fake of an external provider, for one) comes in as
``stand_ins``: context managers entered while the embedded AWS runs."""

import sys
import time
from collections import Counter
from collections.abc import Sequence
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import boto3
from moto import mock_aws
from moto.sqs.models import sqs_backends
from moto.stepfunctions.responses import get_backend as stepfunctions_backend

from embedded_aws.engine import iam
from embedded_aws.engine.clock import VirtualClock
from embedded_aws.engine.deploy import DeployedStack, deploy
from embedded_aws.engine.faults import Fault, FaultInjector, FaultKind
from embedded_aws.engine.resources import Resolver
from embedded_aws.services.awslambda import (
    Invocation,
    LambdaRuntime,
    ShortName,
    current_function_name,
    handler_module,
    metrics_per_environment,
)
from embedded_aws.services.dynamodb import atomic_requests, transactions_back_up_items_only
from embedded_aws.services.powertools_idempotency import idempotency_on
from embedded_aws.services.stepfunctions import (
    ExecutionEnds,
    express_duplicates_run,
    install_state_machines,
    interpreter_set_up_once,
    virtual_time,
)
from embedded_aws.services.streams import StreamPoller, records_kept_for_retention, records_stamped_by, stream_mappings
from embedded_aws.speedups import deployment_frozen_for_collector, request_overheads_skipped

TERMINAL_STATUSES = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}


class EmbeddedAws:
    """A cloud assembly's one stack deployed into moto and run in this process; a context manager (start, stop).

    ``assembly``: the directory `cdk synth` wrote (manifest.json, the stack's template, its assets).
    ``region``: where the stack is deployed (the fake account's region). ``source_root``: the directory the
    handlers' modules are imported from (put on ``sys.path`` if missing). ``short_name``: how tests, faults and the
    local controls name a function (its handler module by default). ``stand_ins``: context managers entered
    after the deployment and left at stop, for what the service fakes itself.
    """

    def __init__(
        self,
        assembly: Path,
        *,
        region: str,
        source_root: Path,
        short_name: ShortName = handler_module,
        stand_ins: Sequence[AbstractContextManager[Any]] = (),
    ) -> None:
        self.region = region
        self.clock = VirtualClock()
        self.faults = FaultInjector()
        self._assembly = assembly
        self._source_root = str(source_root)
        self._short_name = short_name
        self._stand_ins = stand_ins
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
        if self._source_root not in sys.path:
            sys.path.insert(0, self._source_root)
        self._exit.enter_context(mock_aws(config={"stepfunctions": {"execute_state_machine": True}}))
        self.stack: DeployedStack = deploy(self._assembly, self.region)
        self._exit.enter_context(atomic_requests())
        self._exit.enter_context(transactions_back_up_items_only())
        resolver = Resolver(self.stack)
        self.state_machine_arns = install_state_machines(self.stack, resolver)
        region, account = self.state_machine_arn.split(":")[3:5]
        self._state_machine = stepfunctions_backend(account, region).describe_state_machine(self.state_machine_arn)
        self._finished_executions = 0
        self._exit.enter_context(metrics_per_environment())
        iam.hook_botocore()  # before LambdaRuntime imports the handlers, whose clients copy the session's handlers
        self.lambdas = LambdaRuntime(self.faults, self._short_name)
        self.iam: iam.Enforcer | None = None
        if iam.is_enforced():
            self.iam = iam.function_enforcer(self.lambdas.functions, current_function_name, region, account)
            self.iam.identities[iam.STATE_MACHINE] = iam.role_identity(
                self._state_machine.roleArn, self._state_machine.name, account
            )
            self._exit.enter_context(iam.enforced(self.iam))
        for stand_in in self._stand_ins:
            self._exit.enter_context(stand_in)
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

    def function_name(self, short_name: str) -> str:
        """A deployed function's name by its handler module (``outbox_relay``) or short name; KeyError if none."""
        return self.lambdas.function_name(short_name)

    def invoke(self, function_name: str, event: dict[str, Any]) -> Invocation:
        return self.lambdas.invoke(function_name, event)

    def arm_fault(
        self, short_name: str, kind: FaultKind | str, count: int = 1, error_name: str = "InjectedBusinessError"
    ) -> None:
        """Fail the next ``count`` invocations of a function (by handler module or short name) with ``kind``."""
        self.faults.arm(self.function_name(short_name), Fault(FaultKind(kind), error_name), count)

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
        """Every message waiting in a queue named by its stack output (``RelayFailuresQueueUrl``), oldest first, as
        ``{"MessageId": ..., "Body": ...}``.

        Read from moto's backend: ReceiveMessage answers at most 10, the same 10 again while they stay visible, and
        receiving counts towards a redrive policy's maxReceiveCount. Read this way the messages stay as they were.
        """
        account, queue_name = self.stack.outputs[output_name].rsplit("/", 2)[-2:]
        queue = sqs_backends[account][self.region].get_queue(queue_name)
        return [{"MessageId": message.id, "Body": message.body} for message in queue.messages]

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
