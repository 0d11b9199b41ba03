"""Step Functions in moto as the deployed template describes it: real ASL, real type, virtual time.

moto's CloudFormation ignores DefinitionSubstitutions and StateMachineType, so each state machine is
re-created with its substituted definition and its declared type. Its interpreter sleeps through
Retry intervals and Wait states; here they advance a virtual clock instead, so tests never sleep.
moto also refuses a second EXPRESS execution with a used name, which AWS allows (Express is not
idempotent); that refusal is lifted so a duplicate start really runs twice, as on AWS.
"""

import re
from contextlib import ExitStack
from typing import Any
from unittest.mock import patch

import boto3
from moto.stepfunctions.models import StateMachine
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction

from local.clock import VirtualClock
from local.deploy import DeployedStack
from local.resources import Resolver


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
