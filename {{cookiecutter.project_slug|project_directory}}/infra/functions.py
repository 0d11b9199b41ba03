"""The one way this service builds a Lambda function, so every function gets the same runtime and guard rails."""

from collections.abc import Mapping
from pathlib import Path

from aws_cdk import AssetHashType, Duration, RemovalPolicy
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from constructs import Construct

from infra.dependencies import build_dependencies
from infra.settings import ServiceSettings

SOURCE_DIR = Path(__file__).resolve().parent.parent / "src"
# Packaging metadata and caches are not code; leaving them out keeps the asset hash stable across machines.
SOURCE_EXCLUDES = ["**/__pycache__", "**/*.pyc", "*.egg-info"]
LOG_RETENTION = logs.RetentionDays.ONE_MONTH
# Importing pydantic and Powertools dominates cold starts, and Lambda CPU scales with memory.
MEMORY_MB = 512

RUNTIMES = {"3.12": lambda_.Runtime.PYTHON_3_12, "3.13": lambda_.Runtime.PYTHON_3_13}
ARCHITECTURES = {"arm64": lambda_.Architecture.ARM_64, "x86_64": lambda_.Architecture.X86_64}


def log_group(scope: Construct, id: str, *, log_group_name: str | None = None) -> logs.LogGroup:
    # Logs are bounded by retention anyway; retaining the group would orphan it on every `cdk destroy`.
    return logs.LogGroup(
        scope, id, log_group_name=log_group_name, retention=LOG_RETENTION, removal_policy=RemovalPolicy.DESTROY
    )


def common_environment(settings: ServiceSettings) -> dict[str, str]:
    environment = {
        "POWERTOOLS_SERVICE_NAME": settings.service_name,
        "POWERTOOLS_METRICS_NAMESPACE": settings.service_name,
        "POWERTOOLS_LOG_LEVEL": "INFO",
    }
    if not settings.tracing_enabled:
        # The handlers were generated without a Tracer (no X-Ray SDK to import); a Tracer added later stays a no-op.
        environment["POWERTOOLS_TRACE_DISABLED"] = "true"
    return environment


class FunctionFactory:
    """Builds the service's functions: one code asset and one dependencies layer shared by all of them."""

    def __init__(self, scope: Construct, settings: ServiceSettings) -> None:
        self._settings = settings
        # Powertools, pydantic and boto3 at the versions the tests ran, built for Lambda's platform
        # (infra/dependencies.py).
        dependencies = build_dependencies(settings.python_runtime, settings.architecture)
        self.dependencies_layer = lambda_.LayerVersion(
            scope,
            "DependenciesLayer",
            # The build's key names every input, so the folder (thousands of files) need not be hashed again.
            code=lambda_.Code.from_asset(
                str(dependencies.directory), asset_hash=dependencies.key, asset_hash_type=AssetHashType.CUSTOM
            ),
            compatible_runtimes=[RUNTIMES[settings.python_runtime]],
            compatible_architectures=[ARCHITECTURES[settings.architecture]],
            description=f"{settings.service_name}: the pinned dependencies of pyproject.toml",
        )
        self._code = lambda_.Code.from_asset(str(SOURCE_DIR), exclude=SOURCE_EXCLUDES)
        self.functions: list[lambda_.Function] = []

    def create(
        self,
        scope: Construct,
        id: str,
        *,
        handler: str,
        description: str,
        environment: Mapping[str, str],
        timeout: Duration,
        memory_mb: int = MEMORY_MB,
    ) -> lambda_.Function:
        """A function with its own role and log group; the role can only write that log group until granted more."""
        function_logs = log_group(scope, f"{id}Logs")
        role = iam.Role(
            scope,
            f"{id}Role",
            assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
            description=f"{self._settings.service_name}: {description}",
        )
        # Granted on the function's own log group instead of AWSLambdaBasicExecutionRole, which allows every group.
        function_logs.grant_write(role)
        function = lambda_.Function(
            scope,
            id,
            description=description,
            code=self._code,
            handler=handler,
            runtime=RUNTIMES[self._settings.python_runtime],
            architecture=ARCHITECTURES[self._settings.architecture],
            layers=[self.dependencies_layer],
            memory_size=memory_mb,
            timeout=timeout,
            tracing=lambda_.Tracing.ACTIVE if self._settings.tracing_enabled else lambda_.Tracing.DISABLED,
            environment={**common_environment(self._settings), **environment},
            log_group=function_logs,
            role=role,
        )
        self.functions.append(function)
        return function
