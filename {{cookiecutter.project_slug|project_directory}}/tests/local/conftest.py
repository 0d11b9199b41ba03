"""One embedded AWS for the end-to-end tests: the synthesized stack deployed into moto, run in this process.

Starting it (deploying the session's assembly, loading every handler) takes seconds, so the tests share it: each uses
fresh Idempotency-Keys, starts from a settled system (``settled``) and leaves no fault armed.
"""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from embedded_aws.services.awslambda import Invocation

from local.aws import ServiceOnEmbeddedAws
from tests.local.support import Client, Invoked


# Package scope ends with this directory's tests, so the moto mock does not outlive them into another suite.
@pytest.fixture(scope="package")
def aws(assembly: Path) -> Iterator[ServiceOnEmbeddedAws]:
    with ServiceOnEmbeddedAws(assembly) as embedded:
        yield embedded


@pytest.fixture(scope="package")
def client(aws: ServiceOnEmbeddedAws) -> Client:
    return Client(aws)


@pytest.fixture
def settled(aws: ServiceOnEmbeddedAws) -> Iterator[None]:
    """Nothing in flight and no fault armed, at a function or the provider, before and after the test (use with
    pytest.mark.usefixtures)."""
    aws.faults.clear()
    aws.provider.clear()
    aws.settle()
    yield
    aws.faults.clear()
    aws.provider.clear()
    aws.settle()


@pytest.fixture
def invoked(aws: ServiceOnEmbeddedAws, monkeypatch: pytest.MonkeyPatch) -> list[Invoked]:
    """Every invocation during the test, with its outcome.

    Counting effects across executions needs this: the emulation gives a duplicate EXPRESS execution the
    same ARN as the original, so their histories cannot be told apart.
    """
    calls: list[Invoked] = []
    invoke = aws.lambdas.invoke

    def recording(function_name: str, event: dict[str, Any]) -> Invocation:
        outcome = invoke(function_name, event)
        calls.append(Invoked(function_name, event, outcome))
        return outcome

    monkeypatch.setattr(aws.lambdas, "invoke", recording)
    return calls
