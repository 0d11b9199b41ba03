"""Generated services run their own whole test suite, the way their README says to.

``make test`` in the generated directory, as a subprocess. The default combination first runs its own
``make install`` (a fresh ``.venv`` from the generated ``pyproject.toml``), exactly as a new user does;
the others pass ``PYTHON=<this environment's python>``, which has the same pinned versions
(tests/test_pins.py), to save an install each. ``make test`` runs the default and four diverse
combinations; ``make test-full`` (``--all-combinations``) runs every supported combination.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.combinations import BY_ID, COMBINATIONS, Combination
from tests.helpers import PYTHON, render, tool_env

# Diverse on purpose: both workflow types, with and without queues, tracing and auth, both runtimes and
# architectures, a region besides us-east-1, sagas of 1 to 5 steps, with and without compensations.
REPRESENTATIVE_IDS = (
    "default",
    "exotic-booking-express-long-steps",
    "express-notracing-py312-only-compensatable-steps",
    "only-retriable-steps-notracing-py312-x86",
    "single-step-without-compensation",
)
# The one combination whose suite runs in the virtual environment its own `make install` creates.
OWN_INSTALL_ID = "default"
INSTALL_TIMEOUT_SECONDS = 900
TEST_TIMEOUT_SECONDS = 900


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "combination" in metafunc.fixturenames:
        everything = metafunc.config.getoption("all_combinations")
        chosen = COMBINATIONS if everything else tuple(BY_ID[id] for id in REPRESENTATIVE_IDS)
        metafunc.parametrize(
            "combination",
            [pytest.param(c, id=c.id, marks=pytest.mark.xdist_group(f"suite-{c.id}")) for c in chosen],
        )


def _make(target: str, project: Path, timeout: int, *variables: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", target, *variables],
        cwd=project,
        env=tool_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _assert_succeeded(completed: subprocess.CompletedProcess[str], project: Path) -> None:
    if completed.returncode != 0:
        command = " ".join(str(part) for part in completed.args)
        pytest.fail(f"`{command}` failed in {project}:\n{completed.stdout}\n{completed.stderr}", pytrace=False)


def test_the_representative_combinations_are_supported_ones() -> None:
    assert set(REPRESENTATIVE_IDS) <= set(BY_ID)
    assert OWN_INSTALL_ID in REPRESENTATIVE_IDS
    assert len(REPRESENTATIVE_IDS) >= 5


def test_given_a_generated_service_when_its_own_tests_run_then_they_pass(
    cookiecutter_config: Path, tmp_path: Path, combination: Combination
) -> None:
    project = render(tmp_path, cookiecutter_config, combination.options)

    if combination.id == OWN_INSTALL_ID:
        _assert_succeeded(_make("install", project, INSTALL_TIMEOUT_SECONDS), project)
        completed = _make("test", project, TEST_TIMEOUT_SECONDS)
    else:
        completed = _make("test", project, TEST_TIMEOUT_SECONDS, f"PYTHON={PYTHON}")

    _assert_succeeded(completed, project)
