"""This service on the embedded AWS (vendor/embedded-aws): its region, its handlers' source, its saga actions as the
names functions go by, and the fake provider its saga actions call."""

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from embedded_aws.engine.deploy import synthesize
from embedded_aws.engine.runtime import EmbeddedAws
from embedded_aws.server import quiet_logs
from embedded_aws.services.awslambda import LocalFunction, handler_module

from infra.settings import SETTINGS
from local.provider import FakeProvider, installed

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def saga_action_or_handler(function: LocalFunction) -> str:
    """A saga action's function goes by its action (``process_payment``: one handler module serves them all, told
    apart by ``SagaActionConfiguration.saga_action``); any other function by its handler module."""
    return function.environment.get("SAGA_ACTION") or handler_module(function)


class ServiceOnEmbeddedAws(EmbeddedAws):
    """The service's synthesized ``assembly`` deployed and run on the embedded AWS; ``provider`` is the fake provider
    every saga action's provider call reaches while it runs (local/provider.py)."""

    def __init__(self, assembly: Path) -> None:
        self.provider = FakeProvider()
        super().__init__(
            assembly,
            region=SETTINGS.aws_region,
            source_root=PROJECT_ROOT / "src",
            short_name=saga_action_or_handler,
            stand_ins=[installed(self.provider)],
        )


@contextlib.contextmanager
def running_quietly() -> Iterator[ServiceOnEmbeddedAws]:
    """This service synthesized into a temporary directory and running on the embedded AWS, for the benchmarks:
    what its handlers print meanwhile (Powertools' metric lines) is dropped and their logs kept quiet."""
    with (
        open(os.devnull, "w") as devnull,
        contextlib.redirect_stdout(devnull),
        tempfile.TemporaryDirectory() as outdir,
        ServiceOnEmbeddedAws(synthesize(PROJECT_ROOT, Path(outdir))) as aws,
    ):
        quiet_logs(SETTINGS.service_name)  # the handlers' loggers exist now
        yield aws
