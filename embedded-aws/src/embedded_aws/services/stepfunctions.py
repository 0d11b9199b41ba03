"""Step Functions in moto as the deployed template describes it: real ASL, real type, virtual time.

moto's CloudFormation ignores DefinitionSubstitutions and StateMachineType, so each state machine is
re-created with its substituted definition and its declared type. Its interpreter sleeps through
Retry intervals and Wait states; here they advance a virtual clock instead, so tests never sleep.
moto also refuses a second EXPRESS execution with a used name, which AWS allows (Express is not
idempotent); that refusal is lifted so a duplicate start really runs twice, as on AWS.

Two costs of moto's interpreter are paid once instead of on every execution: parsing the ASL (the
parsed program is immutable, an execution keeps its state in its own environment) and building the
boto3 client a Lambda task invokes through (boto3 clients are thread-safe).
"""

import functools
import importlib
import re
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any
from unittest.mock import patch

import boto3
from moto.stepfunctions.models import StateMachine
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.asl.utils import boto_client
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication

from embedded_aws.engine import iam
from embedded_aws.engine.clock import VirtualClock
from embedded_aws.engine.deploy import DeployedStack
from embedded_aws.engine.resources import Resolver

# The task types a saga can use whose clients moto builds per call (Lambda, DynamoDB, SQS and the like).
TASK_MODULES = tuple(
    importlib.import_module(f"moto.stepfunctions.parser.asl.component.state.exec.state_task.{name}")
    for name in (
        "lambda_eval_utils",
        "service.state_task_service_aws_sdk",
        "service.state_task_service_dynamodb",
        "service.state_task_service_events",
        "service.state_task_service_sfn",
        "service.state_task_service_sns",
        "service.state_task_service_sqs",
    )
)


def substitute(definition: str, substitutions: dict[str, str]) -> str:
    return re.sub(r"\$\{(\w+)\}", lambda match: substitutions.get(match.group(1), match.group(0)), definition)


def install_state_machines(stack: DeployedStack, resolver: Resolver) -> dict[str, str]:
    """Create each state machine with its substituted definition and declared type; returns ARNs by logical id.

    moto's CloudFormation registers state machines with a backend that cannot execute them, so they are
    created again through the API under the name CloudFormation gave them: the ARN in every function's
    environment stays valid.
    """
    client = boto3.client("stepfunctions")
    arns = {}
    for logical_id, resource in stack.resources_of_type("AWS::StepFunctions::StateMachine").items():
        properties = resource["Properties"]
        substitutions = {
            name: str(resolver.resolve(value)) for name, value in properties.get("DefinitionSubstitutions", {}).items()
        }
        arns[logical_id] = client.create_state_machine(
            name=stack.physical_ids[logical_id].rsplit(":", 1)[1],
            definition=substitute(resolver.resolve(properties["DefinitionString"]), substitutions),
            roleArn=resolver.resolve(properties["RoleArn"]),
            type=properties.get("StateMachineType", "STANDARD"),
        )["stateMachineArn"]
        if arns[logical_id] != stack.physical_ids[logical_id]:
            raise RuntimeError(
                f"{logical_id} was re-created as {arns[logical_id]}, not {stack.physical_ids[logical_id]}"
            )
    return arns


def virtual_time(clock: VirtualClock) -> ExitStack:
    """Patches that turn the interpreter's waits into clock advances."""

    def wait_interval(_self: WaitFunction, env: Any, wait_seconds: int) -> None:
        clock.advance(wait_seconds)

    stack = ExitStack()
    stack.enter_context(patch.object(retrier_decl, "time", clock))
    stack.enter_context(patch.object(WaitFunction, "_wait_interval", wait_interval))
    return stack


def express_duplicates_run() -> Any:
    """Let a reused EXPRESS execution name start a new execution, as AWS does."""
    original = StateMachine._handle_name_input_idempotency

    def handle_name(self: StateMachine, name: str, execution_input: str) -> Any:
        if self.type == "EXPRESS":
            return None
        return original(self, name, execution_input)

    return patch.object(StateMachine, "_handle_name_input_idempotency", handle_name)


def interpreter_set_up_once() -> ExitStack:
    """Parse each definition once and reuse one client per region and service for every task."""
    parse = functools.lru_cache(maxsize=32)(AmazonStateLanguageParser.parse)

    @functools.lru_cache(maxsize=32)
    def build_client(region: str, service: str) -> Any:
        # The tasks' calls are the state machine's: IAM checks them against its role (engine.iam).
        return iam.calls_as(boto_client.boto_client_for(region, service), iam.STATE_MACHINE)

    def client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        # moto's boto_client_for ignores the credentials (it signs with fixed fake keys), so they take no part.
        return build_client(region, service)

    stack = ExitStack()
    stack.enter_context(patch.object(AmazonStateLanguageParser, "parse", staticmethod(parse)))
    # Each task type imported the function by name: every one of those references is replaced.
    for module in TASK_MODULES:
        stack.enter_context(patch.object(module, "boto_client_for", client_for))
    return stack


class ExecutionEnds:
    """Wakes whoever waits for executions as soon as one ends, instead of letting them poll."""

    def __init__(self) -> None:
        self._ended = threading.Condition()

    def watch(self) -> Any:
        terminated = BaseExecutionWorkerCommunication.terminated
        ended = self._ended

        def notify_when_terminated(communication: BaseExecutionWorkerCommunication) -> None:
            terminated(communication)
            with ended:
                ended.notify_all()

        return patch.object(BaseExecutionWorkerCommunication, "terminated", notify_when_terminated)

    def wait_while(self, running: Callable[[], bool], deadline: float) -> bool:
        """Wait until ``running()`` is false or the monotonic deadline passes; True when it is no longer running."""
        with self._ended:
            # Checked under the lock an ending execution takes to notify, so no end goes unnoticed.
            while running():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._ended.wait(remaining)
        return True
