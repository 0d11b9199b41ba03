"""Representative combinations run the generated service's own test suite, the way its README says to.

``make test PYTHON=<this environment's python>`` in the generated directory: the generated Makefile
defaults to its own .venv, which a user creates with ``make install``; the template's environment has
the same pinned versions (tests/test_pins.py), so it stands in for that step.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.combinations import BY_ID, Combination
from tests.helpers import PYTHON, render, tool_env

REPRESENTATIVE = [BY_ID["default"], BY_ID["exotic-booking-express-long-steps"]]
TIMEOUT_SECONDS = 900


@pytest.mark.parametrize("combination", REPRESENTATIVE, ids=[combination.id for combination in REPRESENTATIVE])
def test_given_a_generated_service_when_its_own_tests_run_then_they_pass(
    cookiecutter_config: Path, tmp_path: Path, combination: Combination
) -> None:
    project = render(tmp_path, cookiecutter_config, combination.options)

    completed = subprocess.run(
        ["make", "test", f"PYTHON={PYTHON}"],
        cwd=project,
        env=tool_env(),
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )

    if completed.returncode != 0:
        pytest.fail(f"`make test` failed in {project}:\n{completed.stdout}\n{completed.stderr}", pytrace=False)
