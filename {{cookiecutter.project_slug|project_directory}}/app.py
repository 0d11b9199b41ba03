"""CDK entry point (`cdk synth` and `cdk deploy` run `python app.py`): one environment-agnostic stack, nag-checked.

With the context `github_repository` (`make deploy-role`) the app also has the stack of GitHub Actions' deploy roles
(infra/github_deploy_role.py); the service's stack is the same either way.
"""

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import cdk_nag

# The stack reads its functions' configuration names from the service package (src/), which `make install`
# installs; `python app.py` in a checkout whose environment lacks it (the template's own tests) finds it here.
sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

from infra.github_deploy_role import (
    DEFAULT_ENVIRONMENTS,
    GitHubDeployRoleStack,
    InvalidDeployRoleContext,
    parse_environments,
    parse_oidc_provider_arn,
    parse_repository,
)
from infra.saga_asl import SHORTEN_THE_SAGA, SagaTooLongForExpress
from infra.saga_definition import StaleDefinition
from infra.saga_steps import SAGA_STEPS
from infra.settings import SETTINGS
from infra.stack import ServiceStack

# `make deploy-role` deploys this stack by name; `make deploy` (the service's stack) is run without the context.
DEPLOY_ROLE_STACK_NAME = f"{SETTINGS.service_name}-github-deploy-roles"


def build_app(context: Mapping[str, Any] | None = None, outdir: str | None = None) -> cdk.App:
    """The app with its stack; tests pass cdk.json's context, which only the CDK CLI reads by itself."""
    app = cdk.App(context=dict(context) if context is not None else None, outdir=outdir)
    ServiceStack(
        app,
        SETTINGS.service_name,
        settings=SETTINGS,
        saga_steps=SAGA_STEPS,
        description=f"{SETTINGS.service_name}: idempotent intake, transactional outbox and saga",
        # The CLI checks the bootstrap version itself before publishing; the template rule would read an SSM
        # parameter that the local (embedded AWS) deployment does not have.
        synthesizer=cdk.DefaultStackSynthesizer(generate_bootstrap_version_rule=False),
    )
    repository = app.node.try_get_context("github_repository")
    if repository is not None:
        environments = app.node.try_get_context("github_environments")
        oidc_provider_arn = app.node.try_get_context("github_oidc_provider_arn")
        GitHubDeployRoleStack(
            app,
            DEPLOY_ROLE_STACK_NAME,
            settings=SETTINGS,
            repository=parse_repository(repository),
            environments=DEFAULT_ENVIRONMENTS if environments is None else parse_environments(environments),
            oidc_provider_arn=None if oidc_provider_arn is None else parse_oidc_provider_arn(oidc_provider_arn),
            description=f"{SETTINGS.service_name}: the roles GitHub Actions deploys it with (OIDC, no keys)",
            synthesizer=cdk.DefaultStackSynthesizer(generate_bootstrap_version_rule=False),
        )
    cdk.Validations.of(app).add_plugins(cdk_nag.AwsSolutionsChecks(app))
    return app


def cdk_json_context() -> dict[str, Any]:
    """cdk.json's context: App() reads it only when the CDK CLI runs the app, so others pass it themselves."""
    context: dict[str, Any] = json.loads((Path(__file__).parent / "cdk.json").read_text(encoding="utf-8"))["context"]
    return context


def cli_context() -> dict[str, Any] | None:
    """cdk.json's context when run as `python app.py`; under the CDK CLI the context arrives in CDK_CONTEXT_JSON."""
    return None if "CDK_CONTEXT_JSON" in os.environ else cdk_json_context()


if __name__ == "__main__":
    # `python app.py` (make synth, the local runtime) builds the same template as `cdk synth`, into ./cdk.out.
    try:
        app = build_app(cli_context(), outdir=os.environ.get("CDK_OUTDIR", "cdk.out"))
    except StaleDefinition as stale:
        sys.exit(str(stale))  # one line saying what to run, rather than a traceback
    except SagaTooLongForExpress as too_long:
        sys.exit(f"infra/saga_steps.py: {too_long}: {SHORTEN_THE_SAGA}")
    except InvalidDeployRoleContext as invalid:
        sys.exit(str(invalid))
    app.synth()
