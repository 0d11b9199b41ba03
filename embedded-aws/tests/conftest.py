"""The embedded AWS's own suite runs against the fixture stack (fixture_app/app.py), which belongs to no service.

The app is synthesized once per session. Each test module that needs it running gets its own EmbeddedAws (``aws``,
module scope): moto's mock is process-wide, and the template's own tests may run next in this same process (xdist),
so it is stopped, and the fake account's environment variables restored, when the module's tests end.
"""

import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from embedded_aws.engine.offline import use_fake_aws_account
from embedded_aws.engine.runtime import EmbeddedAws
from fixture_stack import HANDLERS, REGION, Client

FIXTURE_APP = Path(__file__).resolve().parent / "fixture_app" / "app.py"


@pytest.fixture(scope="session")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture app's cloud assembly, as `cdk synth` writes it, synthesized in this process."""
    os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
    # Loaded under a name of its own: a service's app.py may be importable as ``app`` in this process.
    spec = importlib.util.spec_from_file_location("embedded_aws_fixture_app", FIXTURE_APP)
    assert spec is not None and spec.loader is not None
    fixture_app = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(fixture_app)
    outdir = tmp_path_factory.mktemp("fixture-cdk.out")
    fixture_app.build_app(outdir=str(outdir)).synth()
    return outdir


@pytest.fixture(scope="module")
def aws(assembly: Path) -> Iterator[EmbeddedAws]:
    """The fixture stack deployed into moto and running, for one test module; stopped (mock and all) after it."""
    environment = dict(os.environ)
    use_fake_aws_account(REGION)
    try:
        with EmbeddedAws(assembly, region=REGION, source_root=HANDLERS) as embedded:
            yield embedded
    finally:
        os.environ.clear()
        os.environ.update(environment)


@pytest.fixture(scope="module")
def client(aws: EmbeddedAws) -> Client:
    return Client(aws)


@pytest.fixture
def settled(aws: EmbeddedAws) -> Iterator[None]:
    """Nothing in flight and no fault armed, before and after the test (use with pytest.mark.usefixtures)."""
    aws.faults.clear()
    aws.settle()
    yield
    aws.faults.clear()
    aws.settle()
