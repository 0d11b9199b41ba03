"""The session's cloud assembly (tests/conftest.py) as infra tests read it: template, validation report, metadata."""

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Template

from infra.settings import SETTINGS


@pytest.fixture(scope="session")
def template(template_json: dict[str, Any]) -> Template:
    return Template.from_json(template_json)


@pytest.fixture(scope="session")
def validation_report(assembly: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((assembly / "validation-report.json").read_text(encoding="utf-8"))
    return report


@pytest.fixture(scope="session")
def stack_metadata(assembly: Path) -> dict[str, list[dict[str, Any]]]:
    metadata: dict[str, list[dict[str, Any]]] = json.loads(
        (assembly / f"{SETTINGS.service_name}.metadata.json").read_text(encoding="utf-8")
    )
    return metadata
