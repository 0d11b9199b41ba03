"""Reading a synthesized cloud assembly (cdk.out) and deploying it into moto's CloudFormation.

The deploy is the generated project's own ``local/deploy.py`` (what its tests and local runtime use),
which follows ``cdk deploy``: publish every file asset to the bootstrap bucket, then create the stack
from the template's asset URL.

moto skips (with a warning) API Gateway stages, models and validators, alarms and queue policies, and it
ignores DefinitionSubstitutions, StateMachineType, TTL, layers and tracing; tests/test_render_matrix.py
asserts those on the template instead.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
from moto import mock_aws


@dataclass(frozen=True)
class CloudAssembly:
    directory: Path

    @cached_property
    def _stack_artifact(self) -> tuple[str, dict[str, Any]]:
        manifest = json.loads((self.directory / "manifest.json").read_text())
        stacks = [
            (artifact_id, artifact)
            for artifact_id, artifact in manifest["artifacts"].items()
            if artifact["type"] == "aws:cloudformation:stack"
        ]
        assert len(stacks) == 1, f"expected one stack, found {[artifact_id for artifact_id, _ in stacks]}"
        return stacks[0]

    @property
    def stack_name(self) -> str:
        artifact_id, artifact = self._stack_artifact
        return str(artifact["properties"].get("stackName", artifact_id))

    @property
    def template_path(self) -> Path:
        return self.directory / str(self._stack_artifact[1]["properties"]["templateFile"])

    @cached_property
    def template(self) -> dict[str, Any]:
        template: dict[str, Any] = json.loads(self.template_path.read_text())
        return template

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Properties of every resource of one type, by logical id."""
        return {
            logical_id: resource.get("Properties", {})
            for logical_id, resource in self.template["Resources"].items()
            if resource["Type"] == resource_type
        }


@dataclass(frozen=True)
class Deployment:
    status: str
    status_reason: str
    table_count: int
    queue_count: int
    function_handlers: list[str]
    state_machine_count: int


def _load_project_module(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"deploy_of_{path.parent.parent.name}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def deploy_to_moto(project: Path, assembly: CloudAssembly, region: str) -> Deployment:
    """Create the stack in an in-process moto with the project's own deploy code; report what exists afterwards."""
    deploy = _load_project_module(project / "local" / "deploy.py")
    with mock_aws():
        try:
            deploy.deploy(assembly.directory, region)
            status, reason = "CREATE_COMPLETE", ""
        except RuntimeError as error:
            status, reason = "FAILED", str(error)
        return Deployment(
            status=status,
            status_reason=reason,
            table_count=len(boto3.client("dynamodb", region_name=region).list_tables()["TableNames"]),
            queue_count=len(boto3.client("sqs", region_name=region).list_queues().get("QueueUrls", [])),
            function_handlers=sorted(
                function["Handler"]
                for function in boto3.client("lambda", region_name=region).list_functions()["Functions"]
            ),
            state_machine_count=len(
                boto3.client("stepfunctions", region_name=region).list_state_machines()["stateMachines"]
            ),
        )
