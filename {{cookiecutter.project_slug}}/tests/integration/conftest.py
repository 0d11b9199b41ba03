"""The synthesized stack deployed into moto once per session; each test loads the functions it calls."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from infra.settings import SETTINGS
from local.deploy import DeployedStack, deploy, synthesize
from local.lambdas import LocalFunction, deployed_functions, load_function
from tests.integration.support import VALID_BODY, new_key, outbox_records_for, post


@pytest.fixture(scope="session")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthesize(tmp_path_factory.mktemp("cdk.out"))


@pytest.fixture(scope="session")
def stack(assembly: Path) -> Iterator[DeployedStack]:
    with mock_aws():
        yield deploy(assembly, SETTINGS.aws_region)


class Functions:
    """The deployed functions by role, each running its own handler in this process."""

    def __init__(self) -> None:
        self._configurations = {
            name: boto3.client("lambda").get_function_configuration(FunctionName=name) for name in deployed_functions()
        }
        self._loaded: dict[str, LocalFunction] = {}

    def _load(self, name: str) -> LocalFunction:
        if name not in self._loaded:
            self._loaded[name] = load_function(name)
        return self._loaded[name]

    def by_handler(self, module: str) -> LocalFunction:
        names = [
            name for name, config in self._configurations.items() if config["Handler"].endswith(f".{module}.handler")
        ]
        assert len(names) == 1, f"expected one function with handler module {module}, found {names}"
        return self._load(names[0])

    def saga_action(self, action: str) -> LocalFunction:
        names = [
            name
            for name, config in self._configurations.items()
            if config.get("Environment", {}).get("Variables", {}).get("SAGA_ACTION") == action
        ]
        assert len(names) == 1, f"expected one function for saga action {action}, found {names}"
        return self._load(names[0])


@pytest.fixture(scope="session")
def functions(stack: DeployedStack) -> Functions:
    return Functions()


@pytest.fixture(scope="session")
def dynamodb(stack: DeployedStack) -> Any:
    return boto3.client("dynamodb")


@pytest.fixture(scope="session")
def stepfunctions(stack: DeployedStack) -> Any:
    return boto3.client("stepfunctions")


@pytest.fixture
def created(functions: Functions, dynamodb: Any, stack: DeployedStack) -> tuple[str, list[dict[str, Any]]]:
    response = post(functions.by_handler("create_{{ cookiecutter.domain }}"), VALID_BODY, new_key())
    stream_arn, records = outbox_records_for(dynamodb, stack, response.body["id"])
    assert [record["eventName"] for record in records] == ["INSERT"]
    return stream_arn, records
