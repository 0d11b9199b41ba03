"""The synthesized stack deployed into moto once for this package; each test loads the functions it calls.

Package scope: moto's state is process-wide, so this deployment must be gone before tests/local
starts its own embedded AWS.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from embedded_aws.engine.deploy import DeployedStack, deploy
from embedded_aws.engine.faults import FaultInjector
from embedded_aws.services.awslambda import LambdaRuntime
from moto import mock_aws

from infra.settings import SETTINGS
from local.aws import saga_action_or_handler
from tests.integration.support import VALID_BODY, new_key, outbox_records_for, post


@pytest.fixture(scope="package")
def stack(assembly: Path) -> Iterator[DeployedStack]:
    with mock_aws():
        yield deploy(assembly, SETTINGS.aws_region)


@pytest.fixture(scope="package")
def functions(stack: DeployedStack) -> LambdaRuntime:
    """Every deployed function, run in this process with its deployed configuration (no faults armed here)."""
    return LambdaRuntime(FaultInjector(), saga_action_or_handler)


@pytest.fixture(scope="package")
def dynamodb(stack: DeployedStack) -> Any:
    return boto3.client("dynamodb")


@pytest.fixture(scope="package")
def stepfunctions(stack: DeployedStack) -> Any:
    return boto3.client("stepfunctions")


@pytest.fixture
def created(functions: LambdaRuntime, dynamodb: Any, stack: DeployedStack) -> tuple[str, list[dict[str, Any]]]:
    response = post(functions.function("create_{{ cookiecutter.domain }}"), VALID_BODY, new_key())
    stream_arn, records = outbox_records_for(dynamodb, stack, response.body["id"])
    assert [record["eventName"] for record in records] == ["INSERT"]
    return stream_arn, records
