"""Process-wide settings every test needs before any handler module or boto3 client is created, and the session's
cloud assembly that every tier reads or deploys."""

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from embedded_aws.engine.offline import use_fake_aws_account
from hypothesis import settings

from infra.settings import SETTINGS
from local.provider import FakeProvider, installed

use_fake_aws_account(SETTINGS.aws_region)
os.environ.update(
    {
        "POWERTOOLS_METRICS_NAMESPACE": SETTINGS.service_name,
        "POWERTOOLS_SERVICE_NAME": SETTINGS.service_name,
    }
)

# Property-based tests draw this many cases: "ci" keeps `make test` quick, `make soak` runs "soak".
HYPOTHESIS_PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
settings.register_profile("ci", max_examples=100, deadline=None)
settings.register_profile("soak", max_examples=1000, deadline=None)
settings.load_profile(HYPOTHESIS_PROFILE)
# Whole-flow scenarios (tests/local/test_invariants.py) are many requests and sagas each: their own counts.
SCENARIOS_BY_PROFILE = {"ci": 25, "soak": 1000}


@pytest.fixture(scope="session")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The cloud assembly of the app with cdk.json's context, as `cdk synth` builds it, synthesized once per session.

    Every tier reads or deploys this one (a synth costs seconds); `make synth` and the render matrix cover
    `python app.py` itself. Imported here, not at the top: `pytest tests/unit` alone needs no CDK.
    """
    from app import build_app, cdk_json_context

    outdir = tmp_path_factory.mktemp("cdk.out")
    build_app(context=cdk_json_context(), outdir=str(outdir)).synth()
    return outdir


@pytest.fixture(scope="session")
def template_path(assembly: Path) -> Path:
    return assembly / f"{SETTINGS.service_name}.template.json"


@pytest.fixture(scope="session")
def template_json(template_path: Path) -> dict[str, Any]:
    template: dict[str, Any] = json.loads(template_path.read_text(encoding="utf-8"))
    return template


@pytest.fixture
def provider() -> Iterator[FakeProvider]:
    """The fake provider with a ledger (local/provider.py) in place of the service's provider while a test runs."""
    with installed(FakeProvider()) as fake:
        yield fake
