"""Generated services run their own whole test suite, the way their README says to.

``make test`` in the generated directory, as a subprocess, with ``PYTHON=<this environment's python>``:
this environment has the versions the generated ``pyproject.toml`` pins (tests/test_pins.py), and an
install costs two minutes of the ten ``make test`` may take here. The template's ``make test`` runs the
default and four diverse combinations this way; ``make test-full`` (``--all-combinations``) runs every
supported combination, and the default first runs its own ``make install`` (a fresh ``.venv`` from the
generated ``pyproject.toml``) and then ``make test`` in it, exactly as a new user does.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.combinations import BY_ID, COMBINATIONS, WHOLE_SUITE_IDS, Combination
from tests.helpers import PYTHON, combination_param, render, tool_env

# Under --all-combinations, the one whose suite runs in the virtual environment its own `make install` creates.
OWN_INSTALL_ID = "default"
INSTALL_TIMEOUT_SECONDS = 900
TEST_TIMEOUT_SECONDS = 900


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "combination" in metafunc.fixturenames:
        everything = metafunc.config.getoption("all_combinations")
        chosen = COMBINATIONS if everything else tuple(BY_ID[id] for id in WHOLE_SUITE_IDS)
        metafunc.parametrize("combination", [combination_param(c, f"suite-{c.id}") for c in chosen])


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
    assert set(WHOLE_SUITE_IDS) <= set(BY_ID)
    assert OWN_INSTALL_ID in WHOLE_SUITE_IDS
    assert len(WHOLE_SUITE_IDS) >= 5


def test_given_a_generated_service_when_its_own_tests_run_then_they_pass(
    request: pytest.FixtureRequest, cookiecutter_config: Path, tmp_path: Path, combination: Combination
) -> None:
    project = render(tmp_path, cookiecutter_config, combination.options)

    if combination.id == OWN_INSTALL_ID and request.config.getoption("all_combinations"):
        _assert_succeeded(_make("install", project, INSTALL_TIMEOUT_SECONDS), project)
        completed = _make("test", project, TEST_TIMEOUT_SECONDS)
    else:
        completed = _make("test", project, TEST_TIMEOUT_SECONDS, f"PYTHON={PYTHON}")

    _assert_succeeded(completed, project)
