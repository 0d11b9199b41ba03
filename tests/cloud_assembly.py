"""Reading a synthesized cloud assembly (cdk.out): its stack's name, template and resources.

Deploying it is the generated project's own business: each combination's smoke run (``make local``) creates
the stack in moto's CloudFormation with the embedded AWS (``embedded_aws.engine.deploy``) and runs orders through
it. moto skips (with a warning) API Gateway stages, models and validators, alarms and queue policies, and it ignores
DefinitionSubstitutions, StateMachineType, TTL, layers and tracing; tests/test_render_matrix.py asserts
those on the template instead.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any


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
