"""What `make bootstrap`, `deploy` and `destroy` run: the pinned CDK CLI, on this project's interpreter, with ARGS."""

import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# A parent `make` (`make test PYTHON=...`) hands its variables down through these and through the environment;
# each dry run must see only the variables it names.
INHERITED = {"MAKEFLAGS", "MFLAGS", "MAKELEVEL", "CDK", "PYTHON", "ARGS"}
CDK_TARGETS = ["bootstrap", "deploy", "destroy"]


def dry_run(target: str, *variables: str) -> list[list[str]]:
    """The commands `make <target> <variables>` would run, each split into words as the shell splits it."""
    completed = subprocess.run(
        ["make", "--no-print-directory", "--dry-run", target, *variables],
        cwd=PROJECT_ROOT,
        env={key: value for key, value in os.environ.items() if key not in INHERITED},
        capture_output=True,
        text=True,
        check=True,
    )
    return [shlex.split(line) for line in completed.stdout.splitlines()]


@pytest.mark.parametrize("target", CDK_TARGETS)
def test_the_cli_runs_the_app_with_the_given_python_and_the_given_arguments(target: str) -> None:
    # Given another environment's interpreter (a CI runner's, say) and options for the CLI
    arguments = ["--require-approval", "never", "-c", "alarm_email=ops@example.com"]
    variables = ["CDK=cdk", "PYTHON=/opt/ci/bin/python", f"ARGS={shlex.join(arguments)}"]
    # When the target is dry-run
    commands = [command for command in dry_run(target, *variables) if command[:1] == ["cdk"]]
    # Then the CLI runs the app with that interpreter and receives the options as they were given
    assert commands == [["cdk", target, "--app", "/opt/ci/bin/python app.py", *arguments]]


@pytest.mark.parametrize("target", CDK_TARGETS)
def test_by_default_the_cli_is_a_pinned_2x_release_running_the_project_venv(target: str) -> None:
    # Given no overrides
    # When the target is dry-run
    (command,) = [command for command in dry_run(target) if target in command]
    # Then it is one exact CDK CLI 2.x release (npm's aws-cdk 3.0.0 was published by accident, aws/aws-cdk#38113)
    assert command[:2] == ["npx", "--yes"]
    assert re.fullmatch(r"aws-cdk@2\.\d+\.\d+", command[2])
    assert command[3:] == [target, "--app", ".venv/bin/python app.py"]


def test_a_bare_cdk_command_runs_the_app_in_the_environment_make_install_creates() -> None:
    # Given cdk.json, which `npx aws-cdk ...` run by hand reads, and what `make install` does
    app = json.loads((PROJECT_ROOT / "cdk.json").read_text(encoding="utf-8"))["app"]
    install = dry_run("install")
    # When comparing the two
    # Then the app runs on the .venv interpreter that install creates, not on whatever `python` is on PATH
    assert app == ".venv/bin/python app.py"
    assert ["python3", "-m", "venv", ".venv"] in install


def test_make_synth_stays_offline() -> None:
    # Given another interpreter and a CLI that must not run
    # When `make synth` is dry-run
    commands = dry_run("synth", "PYTHON=/opt/ci/bin/python", "CDK=no-cli-here")
    # Then it runs the app itself, without the CDK CLI (which would look up credentials and the account)
    assert ["/opt/ci/bin/python", "app.py"] in commands
    assert not any("no-cli-here" in command for command in commands)
