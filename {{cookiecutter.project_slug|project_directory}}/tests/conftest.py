"""Process-wide settings every test needs before any handler module or boto3 client is created."""

import os
from pathlib import Path

import pytest
from hypothesis import settings

from infra.settings import SETTINGS
from local.deploy import synthesize
from local.offline import use_fake_aws_account

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
    """The CDK app synthesized once for every test that deploys it (`python app.py`, as `cdk synth` runs it)."""
    return synthesize(tmp_path_factory.mktemp("cdk.out"))
