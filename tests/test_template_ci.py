"""The template's own GitHub workflow (.github/workflows/ci.yml) and the list of supported combinations it reads.

The workflow cannot run here; what can go wrong in it without GitHub is checked: actionlint, the pins, that its
matrix is the list the tests use, and that the pytest options it passes select what its job names say.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.combinations import COMBINATIONS, WHOLE_SUITE_IDS, load, select
from tests.helpers import REPO_ROOT, actionlint_command, unpinned, uses_lines

TEMPLATE_WORKFLOW = REPO_ROOT / ".github" / "workflows" / "ci.yml"


def _collect(*arguments: str) -> subprocess.CompletedProcess[str]:
    """pytest's collection (no test runs) with ``arguments``, from the repository root, as the workflow calls it."""
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", *arguments],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _collected_ids(run: subprocess.CompletedProcess[str]) -> list[str]:
    assert run.returncode == 0, run.stdout + run.stderr
    return [line for line in run.stdout.splitlines() if "::" in line]


def test_the_template_workflow_passes_actionlint() -> None:
    # Given the template's workflow
    # When actionlint reads it
    run = subprocess.run(
        actionlint_command([TEMPLATE_WORKFLOW]), cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    # Then it finds nothing
    assert run.returncode == 0, run.stdout + run.stderr


def test_every_action_in_the_template_workflow_is_pinned_to_a_commit() -> None:
    # Given every `uses:` line of the template's workflow
    uses = uses_lines([TEMPLATE_WORKFLOW])
    assert uses
    # When reading what each one is pinned to
    # Then each names a 40-hex commit, followed by `# vX.Y.Z`
    assert unpinned(uses) == []


def test_the_workflow_matrix_is_the_list_of_supported_combinations() -> None:
    # Given the command the workflow's first job runs, with only the standard library (nothing is installed there)
    workflow = TEMPLATE_WORKFLOW.read_text(encoding="utf-8")
    assert 'echo "ids=$(python3 -m tests.combinations)" >> "$GITHUB_OUTPUT"' in workflow
    assert workflow.count("combination: ${{ fromJSON(needs.combinations.outputs.ids) }}") == 2
    # When it runs
    printed = subprocess.run(
        [sys.executable, "-S", "-m", "tests.combinations"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    # Then it prints, on one line, the ids of every row of tests/combinations.json in the file's order
    assert printed.count("\n") == 1
    assert json.loads(printed) == [combination.id for combination in COMBINATIONS]


def test_a_combination_option_selects_that_combinations_checks_only() -> None:
    # Given one combination that `make test` also runs whole
    combination = "single-step-without-compensation"
    assert combination in WHOLE_SUITE_IDS
    workflow = TEMPLATE_WORKFLOW.read_text(encoding="utf-8")
    # When pytest collects with the render job's arguments and with the test-full job's
    render_job = ["-m", "combination", "--combination", combination, "--ignore", "tests/test_generated_suite.py"]
    assert f'PYTEST_ARGS="{" ".join(render_job)}"'.replace(combination, "${{ matrix.combination }}") in workflow
    rendered = _collected_ids(_collect(*render_job))
    full = _collected_ids(_collect("tests/test_generated_suite.py", "--all-combinations", "--combination", combination))
    # Then the render job collects that combination's render matrix checks only, and its generated suite runs once,
    # in the test-full job
    assert any(id.startswith("tests/test_render_matrix.py::") for id in rendered)
    assert not any(id.startswith("tests/test_generated_suite.py::") for id in rendered)
    assert all(f"[{combination}]" in id for id in rendered)
    assert [id for id in full if id.startswith("tests/test_generated_suite.py::") and f"[{combination}]" in id]


def test_the_tests_of_no_combination_leave_out_every_combinations_checks() -> None:
    # Given the arguments of the workflow's job for the rest of the suite
    # When pytest collects the render matrix with them
    ids = _collected_ids(_collect("-m", "not combination", "tests/test_render_matrix.py"))
    # Then only the checks of the matrix itself remain, none of one combination's
    assert ids
    assert not [id for id in ids if any(f"[{c.id}]" in id for c in COMBINATIONS)]


def test_an_unknown_combination_is_a_usage_error_naming_the_known_ones() -> None:
    # Given a misspelt id, as a typo in CI would pass it
    # When pytest starts with it
    run = _collect("--combination", "defualt", "tests/test_render_matrix.py")
    # Then it stops before any test, with pytest's usage error, naming the id and the known ones
    assert run.returncode == 4
    assert "unknown combination defualt" in run.stderr
    assert "default" in run.stderr.partition("supported ones")[2]


def test_select_keeps_the_files_order_and_every_row_without_ids() -> None:
    # Given two ids named out of order
    chosen = select([COMBINATIONS[2].id, COMBINATIONS[0].id])
    # Then they come back in the file's order, and no id means every row
    assert chosen == (COMBINATIONS[0], COMBINATIONS[2])
    assert select([]) == COMBINATIONS


def test_a_row_with_a_number_for_an_option_is_refused(tmp_path: Path) -> None:
    # Given a list whose row gives a TTL as a JSON number (cookiecutter options are text)
    rows = {
        "combinations": [{"id": "ttl", "why": "a number", "options": {"idempotency_ttl_hours": 24}}],
        "whole_suite": {"ids": []},
    }
    path = tmp_path / "combinations.json"
    path.write_text(json.dumps(rows), encoding="utf-8")
    # When it is loaded
    # Then it is refused, naming the row and the option
    try:
        load(path)
    except ValueError as error:
        assert "combinations[0].options.idempotency_ttl_hours must be a string" in str(error)
    else:
        raise AssertionError("a number was accepted as an option value")
