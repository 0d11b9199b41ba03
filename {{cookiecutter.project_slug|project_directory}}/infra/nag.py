"""The cdk-nag AwsSolutions findings this design accepts, each with the reason it is accepted.

Everything else cdk-nag reports fails the synth. Acknowledgments are per finding and per construct,
never stack-wide, so a new resource with the same problem is reported again.
"""

from typing import Any

from aws_cdk import Acknowledgment, Stack, Validations
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from constructs import IConstruct

from infra.api import Api
from infra.settings import ServiceSettings
from infra.storage import Storage

# Actions that take no resource but "*" (AWS Service Authorization Reference), and why the service needs them.
RESOURCELESS_ACTIONS = {
    "xray:PutTraceSegments": "X-Ray tracing",
    "xray:PutTelemetryRecords": "X-Ray tracing",
    "xray:GetSamplingRules": "X-Ray tracing",
    "xray:GetSamplingTargets": "X-Ray tracing",
    "dynamodb:ListStreams": "the stream event source mapping finding the outbox stream",
    "logs:CreateLogDelivery": "Step Functions delivering execution logs",
    "logs:GetLogDelivery": "Step Functions delivering execution logs",
    "logs:UpdateLogDelivery": "Step Functions delivering execution logs",
    "logs:DeleteLogDelivery": "Step Functions delivering execution logs",
    "logs:ListLogDeliveries": "Step Functions delivering execution logs",
    "logs:PutResourcePolicy": "Step Functions delivering execution logs",
    "logs:DescribeResourcePolicies": "Step Functions delivering execution logs",
    "logs:DescribeLogGroups": "Step Functions delivering execution logs",
}


def acknowledge(construct: IConstruct, rule: str, reason: str) -> None:
    Validations.of(construct).acknowledge(Acknowledgment(id=f"AwsSolutions::AwsSolutions-{rule}", reason=reason))


def acknowledge_findings(
    stack: Stack,
    *,
    settings: ServiceSettings,
    storage: Storage,
    api: Api,
    functions: list[lambda_.Function],
    state_machine: sfn.StateMachine,
) -> None:
    """Call last: the IAM acknowledgments look at the policies as they are at that point."""
    for policy in (node for node in stack.node.find_all() if isinstance(node, iam.Policy)):
        _acknowledge_resourceless_actions(policy)

    for function in functions:
        acknowledge(
            function,
            "L1",
            f"The runtime is the python_runtime chosen in infra/settings.py (Python {settings.python_runtime}), so "
            "local tests, the Powertools layer and Lambda run the same Python; upgrade it there deliberately.",
        )

    for queue in storage.failure_queues:
        acknowledge(
            queue,
            "SQS3",
            "This queue is itself the last stop of failed deliveries (stream OnFailure destination or exhausted "
            "retriable saga step); a DLQ behind it would only move the same messages again.",
        )

    if settings.workflow_type == "STANDARD":
        acknowledge(
            state_machine,
            "SF1",
            "STANDARD workflows keep every execution's full history in Step Functions for 90 days; logging ALL "
            "events to CloudWatch Logs would pay ingestion for a second copy.",
        )
    if not settings.tracing_enabled:
        acknowledge(
            state_machine,
            "SF2",
            "X-Ray tracing was turned off when the service was generated (tracing_enabled in infra/settings.py).",
        )

    stage = api.rest_api.deployment_stage
    acknowledge(
        stage,
        "APIG6",
        "Execution logging needs the account-wide API Gateway CloudWatch role (AWS::ApiGateway::Account), a "
        "per-account singleton a service stack must not own; the stage writes structured access logs instead.",
    )
    acknowledge(
        stage,
        "APIG3",
        "A WAF web ACL is billed per ACL and shared by an account's APIs (usually through Firewall Manager); "
        "associate the shared one rather than creating one per service.",
    )
    for method in api.rest_api.methods:
        if settings.api_auth == "iam":
            acknowledge(
                method,
                "COG4",
                "Callers are AWS principals authorized with IAM (SigV4); a Cognito user pool is for end users, "
                "which this service-to-service API does not have.",
            )
        else:
            public = (
                "The endpoint is public by the choice made when the service was generated (api_auth in "
                "infra/settings.py); put it behind a gateway or switch api_auth to iam before exposing real data."
            )
            acknowledge(method, "APIG4", public)
            acknowledge(method, "COG4", public)


def _acknowledge_resourceless_actions(policy: iam.Policy) -> None:
    """Acknowledge Resource::* only when every action on "*" is one that cannot be scoped to a resource."""
    document: dict[str, Any] = Stack.of(policy).resolve(policy.document.to_json())
    actions: set[str] = set()
    for statement in document.get("Statement", []):
        if "*" in _as_list(statement.get("Resource", [])):
            actions.update(_as_list(statement["Action"]))
    if not actions or not actions <= RESOURCELESS_ACTIONS.keys():
        return
    purposes = sorted({RESOURCELESS_ACTIONS[action] for action in actions})
    acknowledge(
        policy,
        "IAM5[Resource::*]",
        f"{', '.join(sorted(actions))} support no resource-level permissions; needed for {'; '.join(purposes)}.",
    )


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value
