"""Process-wide settings every test needs before any handler module or boto3 client is created."""

import os
from pathlib import Path

import pytest

from local.deploy import synthesize

# Fake credentials and region so nothing can reach a real account; moto intercepts the calls.
os.environ.update(
    {
        "AWS_DEFAULT_REGION": "{{ cookiecutter.aws_region }}",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        # botocore 1.44 builds account-based endpoints that moto's stream API does not answer.
        "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_METRICS_NAMESPACE": "{{ cookiecutter.project_slug }}",
        "POWERTOOLS_SERVICE_NAME": "{{ cookiecutter.project_slug }}",
    }
)
for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
    os.environ.pop(name, None)


@pytest.fixture(scope="session")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The CDK app synthesized once for every test that deploys it (`python app.py`, as `cdk synth` runs it)."""
    return synthesize(tmp_path_factory.mktemp("cdk.out"))
