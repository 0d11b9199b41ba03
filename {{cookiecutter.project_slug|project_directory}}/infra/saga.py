"""The saga: one function per step and compensation, orchestrated by the generated ASL."""

from pathlib import Path

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ssm as ssm
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.functions import FunctionFactory, log_group
from infra.saga_asl import (
    ENTITY_TABLE_PLACEHOLDER,
    RETRIABLE_FAILURES_QUEUE_PLACEHOLDER,
    check_express_duration,
    function_arn_placeholder,
    placeholders,
)
from infra.saga_definition import check_action_functions, checked_in_definition
from infra.saga_model import SagaStep, action_names, pascal
from infra.settings import ServiceSettings
from infra.storage import Storage

from {{ cookiecutter.package_name }}.configuration import SagaActionConfiguration
from {{ cookiecutter.package_name }}.progress import ActionKind

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Saga(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: ServiceSettings,
        steps: tuple[SagaStep, ...],
        functions: FunctionFactory,
        storage: Storage,
    ) -> None:
        super().__init__(scope, id)
        # A Lambda per step and compensation, each running its action function: refuse before building any
        # whose function is missing, a definition the step list no longer generates (`make asl` says what else is
        # wrong), or a saga an EXPRESS execution could not finish.
        check_action_functions(PROJECT_ROOT, settings.package_name, steps)
        definition = checked_in_definition(PROJECT_ROOT, steps, dlq_enabled=settings.dlq_enabled)
        check_express_duration(steps, workflow_type=settings.workflow_type, dlq_enabled=settings.dlq_enabled)
        compensated_step = {step.compensation: step for step in steps if step.compensation}
        step_of = {step.name: step for step in steps} | compensated_step
        self.action_functions: dict[str, lambda_.Function] = {}
        for action in action_names(steps):
            kind: ActionKind = "compensation" if action in compensated_step else "step"
            step = step_of[action]
            function = functions.create(
                self,
                f"{pascal(action)}Function",
                handler=f"{settings.package_name}.handlers.saga_action.handler",
                description=f"Saga {kind} {action} ({settings.domain} saga)",
                environment={
                    **dict(step.environment),
                    **SagaActionConfiguration(
                        saga_action=action, saga_action_kind=kind, entity_table_name=storage.entity_table.table_name
                    ).as_environment(),
                },
                # The same bound as the action's Task in the ASL: a timed-out attempt is an unknown outcome.
                timeout=Duration.seconds(step.timeout_seconds),
                memory_mb=step.memory_mb,
            )
            # The action's conditional writes are its idempotency guard and its progress record.
            storage.entity_table.grant(function, "dynamodb:GetItem", "dynamodb:UpdateItem")
            self._grant_step_access(action, function, step)
            self.action_functions[action] = function

        available = {
            function_arn_placeholder(action): function.function_arn
            for action, function in self.action_functions.items()
        }
        available[ENTITY_TABLE_PLACEHOLDER] = storage.entity_table.table_name
        if storage.retriable_failures_queue:
            available[RETRIABLE_FAILURES_QUEUE_PLACEHOLDER] = storage.retriable_failures_queue.queue_url
        # Exactly the ASL's placeholders: a missing value fails here, at synth, rather than at deploy time.
        substitutions = {
            name: available[name] for name in sorted(placeholders(steps, dlq_enabled=settings.dlq_enabled))
        }

        express = settings.workflow_type == "EXPRESS"
        self.state_machine = sfn.StateMachine(
            self,
            f"{pascal(settings.domain)}Saga",
            # from_string keeps the definition inline, where cfn-lint and the local runtime can read it. A definition
            # the step list no longer generates is refused here, before any stack is built from it.
            definition_body=sfn.DefinitionBody.from_string(definition),
            definition_substitutions=substitutions,
            state_machine_type=sfn.StateMachineType.EXPRESS if express else sfn.StateMachineType.STANDARD,
            tracing_enabled=settings.tracing_enabled,
            # Express executions have no history outside CloudWatch Logs; Standard keeps its own for 90 days.
            logs=(
                sfn.LogOptions(
                    # Under this prefix the log delivery does not grow the account's 5 KB log resource policy.
                    destination=log_group(
                        self,
                        "ExecutionLogs",
                        log_group_name=f"/aws/vendedlogs/states/{Stack.of(self).stack_name}-{settings.domain}-saga",
                    ),
                    level=sfn.LogLevel.ALL,
                    include_execution_data=False,
                )
                if express
                else None
            ),
        )
        # Granted on the unqualified ARNs the ASL invokes; grant_invoke would add every version and alias too.
        self.state_machine.add_to_role_policy(
            iam.PolicyStatement(
                actions=["lambda:InvokeFunction"],
                resources=[function.function_arn for function in self.action_functions.values()],
            )
        )
        # The final status is written by the state machine itself, with no Lambda in between.
        self.state_machine.add_to_role_policy(
            iam.PolicyStatement(actions=["dynamodb:UpdateItem"], resources=[storage.entity_table.table_arn])
        )
        if storage.retriable_failures_queue:
            self.state_machine.add_to_role_policy(
                iam.PolicyStatement(actions=["sqs:SendMessage"], resources=[storage.retriable_failures_queue.queue_arn])
            )

    def _grant_step_access(self, action: str, function: lambda_.Function, step: SagaStep) -> None:
        """The step's own secrets, parameters and extra permissions, on this action's role only."""
        for index, name in enumerate(step.secrets):
            secret = secretsmanager.Secret.from_secret_name_v2(self, f"{pascal(action)}Secret{index}", name)
            secret.grant_read(function)
        for index, name in enumerate(step.parameters):
            parameter = ssm.StringParameter.from_string_parameter_name(self, f"{pascal(action)}Parameter{index}", name)
            parameter.grant_read(function)
        for grant in step.grants:
            function.add_to_role_policy(
                iam.PolicyStatement(actions=list(grant.actions), resources=list(grant.resources))
            )
