"""Run a deployed function's own handler in this process, with that function's deployed configuration."""

import importlib.util
import json
import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class LocalLambdaContext:
    """The attributes of the Lambda context object that Powertools reads."""

    function_name: str
    memory_limit_in_mb: int = 512
    function_version: str = "$LATEST"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = ""
    log_group_name: str = ""
    log_stream_name: str = ""

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


@dataclass(frozen=True)
class LocalFunction:
    name: str
    handler_path: str
    environment: dict[str, str]
    handler: Handler

    def invoke(self, event: dict[str, Any]) -> Any:
        # A round trip through JSON gives the handler exactly what the Lambda service would.
        return self.handler(json.loads(json.dumps(event)), LocalLambdaContext(function_name=self.name))


def load_function(function_name: str) -> LocalFunction:
    """Import the function's handler module afresh with its deployed environment variables.

    Handler modules read their configuration when imported, so each function gets its own module
    instance: several saga actions share one handler module but not its configuration.
    """
    configuration = boto3.client("lambda").get_function_configuration(FunctionName=function_name)
    environment = configuration.get("Environment", {}).get("Variables", {})
    os.environ.update(environment)
    module_name, attribute = configuration["Handler"].rsplit(".", 1)
    spec = importlib.util.find_spec(module_name)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f"{function_name}: no module {module_name} for handler {configuration['Handler']}")
    private_spec = importlib.util.spec_from_file_location(f"{module_name}[{function_name}]", spec.origin)
    assert private_spec is not None and private_spec.loader is not None
    module = importlib.util.module_from_spec(private_spec)
    private_spec.loader.exec_module(module)
    return LocalFunction(function_name, configuration["Handler"], environment, getattr(module, attribute))


def deployed_functions() -> list[str]:
    paginator = boto3.client("lambda").get_paginator("list_functions")
    return [function["FunctionName"] for page in paginator.paginate() for function in page["Functions"]]
