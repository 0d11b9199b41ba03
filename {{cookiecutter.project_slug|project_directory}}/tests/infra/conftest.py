"""The app synthesized once per session, with cdk.json's context, exactly as `cdk synth` would build it."""

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from app import build_app
from infra.settings import SETTINGS

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def cdk_context() -> dict[str, Any]:
    """App() reads cdk.json only when the CDK CLI runs it, so tests pass the same context themselves."""
    context: dict[str, Any] = json.loads((PROJECT_ROOT / "cdk.json").read_text(encoding="utf-8"))["context"]
    return context


@pytest.fixture(scope="session")
def assembly_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("cdk.out")
    build_app(context=cdk_context(), outdir=str(outdir)).synth()
    return outdir


@pytest.fixture(scope="session")
def template_path(assembly_dir: Path) -> Path:
    return assembly_dir / f"{SETTINGS.service_name}.template.json"


@pytest.fixture(scope="session")
def template_json(template_path: Path) -> dict[str, Any]:
    template: dict[str, Any] = json.loads(template_path.read_text(encoding="utf-8"))
    return template


@pytest.fixture(scope="session")
def template(template_json: dict[str, Any]) -> Template:
    return Template.from_json(template_json)


@pytest.fixture(scope="session")
def validation_report(assembly_dir: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((assembly_dir / "validation-report.json").read_text(encoding="utf-8"))
    return report


@pytest.fixture(scope="session")
def stack_metadata(assembly_dir: Path) -> dict[str, list[dict[str, Any]]]:
    metadata: dict[str, list[dict[str, Any]]] = json.loads(
        (assembly_dir / f"{SETTINGS.service_name}.metadata.json").read_text(encoding="utf-8")
    )
    return metadata
