"""Bad option values fail through cookiecutter itself, with a message naming the option, and leave nothing behind.

Two layers reject values: cookiecutter refuses a value outside a choice list before anything runs, and
hooks/pre_gen_project.py rejects every other bad value before a file is written. Both are checked
through pytest-cookies (the API) and through the ``cookiecutter`` command line a user types.

A value outside a choice list is refused by cookiecutter 2.7.1 itself, in ``generate_context``
(``apply_overwrites_to_context`` raises ValueError), before the template's extensions are loaded and
before any hook that sees the values runs; its command line does not catch that ValueError, so it
prints a traceback whose last line names the option, the value and the allowed values. No template
can change that; the tests pin down what a user sees.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException
from pytest_cookies.plugin import Cookies

from tests.helpers import CHOICES, files_under, render_cli

# (extra context, the option the hook's message must name)
HOOK_REJECTIONS = [
    pytest.param({"saga_steps": ""}, "saga_steps", id="no-steps"),
    pytest.param({"saga_steps": ", ".join(f"step_{n}" for n in range(11))}, "saga_steps", id="eleven-steps"),
    pytest.param({"saga_steps": "ReserveInventory"}, "saga_steps", id="step-not-snake-case"),
    pytest.param(
        {"saga_steps": "charge_card:refund_card, refund_card"}, "saga_steps", id="compensation-named-like-step"
    ),
    pytest.param({"saga_steps": "send_email, send_email"}, "saga_steps", id="duplicate-step"),
    pytest.param({"saga_steps": "pass"}, "saga_steps", id="step-is-a-keyword"),
    pytest.param(
        {"workflow_type": "EXPRESS", "saga_steps": "a:undo_a, b:undo_b, c:undo_c, d:undo_d"},
        "saga_steps",
        id="express-saga-longer-than-five-minutes",
    ),
    pytest.param({"domain": "Line-Item"}, "domain", id="domain-not-identifier"),
    pytest.param({"domain": "def"}, "domain", id="domain-is-a-keyword"),
    pytest.param({"domain_plural": "line-items"}, "domain_plural", id="plural-not-identifier"),
    pytest.param({"domain": "sheep", "domain_plural": "sheep"}, "domain_plural", id="plural-same-as-domain"),
    pytest.param({"package_name": "orders-service"}, "package_name", id="package-not-identifier"),
    pytest.param({"idempotency_ttl_hours": "0"}, "idempotency_ttl_hours", id="ttl-zero"),
    pytest.param({"idempotency_ttl_hours": "1.5"}, "idempotency_ttl_hours", id="ttl-fraction"),
    pytest.param({"outbox_retention_days": "-1"}, "outbox_retention_days", id="retention-negative"),
    pytest.param({"outbox_retention_days": "week"}, "outbox_retention_days", id="retention-words"),
    pytest.param({"aws_region": "Frankfurt"}, "aws_region", id="region-not-a-region"),
    pytest.param({"project_slug": "Orders_Service"}, "project_slug", id="slug-not-dashed-lowercase"),
    pytest.param({"project_name": "!!!"}, "project_name", id="project-name-punctuation-only"),
]

# Choice options: cookiecutter itself refuses an unknown value, before the hook and before any file.
CHOICE_REJECTIONS = [
    pytest.param({"workflow_type": "standard"}, "workflow_type", id="workflow-type-lowercase"),
    pytest.param({"dlq": "off"}, "dlq", id="dlq-off"),
    pytest.param({"tracing": "yes"}, "tracing", id="tracing-yes"),
    pytest.param({"api_auth": "cognito"}, "api_auth", id="api-auth-unknown"),
    pytest.param({"python_runtime": "3.11"}, "python_runtime", id="runtime-unsupported"),
    pytest.param({"architecture": "arm"}, "architecture", id="architecture-unknown"),
    pytest.param({"license": "GPL-3.0"}, "license", id="license-unknown"),
]


def hook_message(option: str) -> str:
    return f"ERROR: invalid option {option}: "


def choice_message(option: str, value: str) -> str:
    return f"{value} provided for choice variable {option}, but the choices are {list(CHOICES[option])}."


@pytest.mark.parametrize(("extra_context", "option"), HOOK_REJECTIONS)
def test_given_a_bad_value_when_baked_then_the_hook_stops_it_and_nothing_is_written(
    cookies: Cookies, capfd: pytest.CaptureFixture[str], tmp_path: Path, extra_context: dict[str, str], option: str
) -> None:
    result = cookies.bake(extra_context=extra_context)

    assert isinstance(result.exception, FailedHookException), result
    # The hook runs as a child process; its stderr reaches the file descriptor, not sys.stderr.
    assert hook_message(option) in capfd.readouterr().err
    # pytest-cookies bakes into tmp_path/cookies/bakeNN.
    assert files_under(tmp_path / "cookies") == []


@pytest.mark.parametrize(("extra_context", "option"), HOOK_REJECTIONS)
def test_given_a_bad_value_on_the_command_line_then_the_hook_stops_it_and_nothing_is_written(
    cookiecutter_config: Path, tmp_path: Path, extra_context: dict[str, str], option: str
) -> None:
    output = tmp_path / "out"

    completed = render_cli(output, cookiecutter_config, extra_context)

    assert completed.returncode != 0
    assert hook_message(option) in completed.stderr
    assert files_under(output) == []


@pytest.mark.parametrize(("extra_context", "option"), CHOICE_REJECTIONS)
def test_given_an_unknown_choice_when_baked_then_cookiecutter_names_the_option_and_nothing_is_written(
    cookies: Cookies, tmp_path: Path, extra_context: dict[str, str], option: str
) -> None:
    result = cookies.bake(extra_context=extra_context)

    assert isinstance(result.exception, ValueError), result
    assert choice_message(option, extra_context[option]) in str(result.exception)
    assert files_under(tmp_path / "cookies") == []


@pytest.mark.parametrize(("extra_context", "option"), CHOICE_REJECTIONS)
def test_given_an_unknown_choice_on_the_command_line_then_cookiecutter_names_the_option_and_nothing_is_written(
    cookiecutter_config: Path, tmp_path: Path, extra_context: dict[str, str], option: str
) -> None:
    output = tmp_path / "out"

    completed = render_cli(output, cookiecutter_config, extra_context)

    assert completed.returncode != 0
    # Cookiecutter's own traceback, whose last line names the option, the value and the allowed values.
    assert completed.stderr.splitlines()[-1] == f"ValueError: {choice_message(option, extra_context[option])}"
    assert files_under(output) == []
