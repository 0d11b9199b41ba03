"""CDK entry point (`cdk synth` and `cdk deploy` run `python app.py`): one environment-agnostic stack, nag-checked."""

from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk
import cdk_nag

from infra.saga_steps import SAGA_STEPS
from infra.settings import SETTINGS
from infra.stack import ServiceStack


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
    cdk.Validations.of(app).add_plugins(cdk_nag.AwsSolutionsChecks(app))
    return app


if __name__ == "__main__":
    build_app().synth()
