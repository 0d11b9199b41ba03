"""Bad option values fail through cookiecutter itself, with a message naming the option, and leave nothing behind.

hooks/pre_gen_project.py rejects every bad value before a file is written, choices included: cookiecutter.json
has no choice lists, so cookiecutter hands every value to the hook (a value outside a choice list would otherwise
be refused by cookiecutter 2.7.1's own ValueError traceback from the command line, and dropped with a mere
warning from a user config file). Checked through pytest-cookies (the API) and through the ``cookiecutter``
command line a user types; tests/test_user_config.py does the same for user config and replay files.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException
from pytest_cookies.plugin import Cookies

from tests.helpers import REPO_ROOT, files_under, render_cli

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
    pytest.param({"workflow_type": "standard"}, "workflow_type", id="workflow-type-lowercase"),
    pytest.param({"dlq": "off"}, "dlq", id="dlq-off"),
    pytest.param({"tracing": "yes"}, "tracing", id="tracing-yes"),
    pytest.param({"api_auth": "cognito"}, "api_auth", id="api-auth-unknown"),
    pytest.param({"python_runtime": "3.11"}, "python_runtime", id="runtime-unsupported"),
    pytest.param({"architecture": "arm"}, "architecture", id="architecture-unknown"),
    pytest.param({"license": "GPL-3.0"}, "license", id="license-unknown"),
    # What cookiecutter makes of a boolean given through its API: passed through as it is.
    pytest.param({"dlq": False}, "dlq", id="dlq-boolean"),
]


def hook_message(option: str) -> str:
    return f"ERROR: invalid option {option}: "


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


def test_given_the_template_as_a_relative_path_when_an_express_saga_is_too_long_then_the_hook_names_the_option(
    cookiecutter_config: Path, tmp_path: Path
) -> None:
    # Given the template typed as "." from its own directory, as its README's examples do, and an EXPRESS saga
    # whose worst case exceeds five minutes (judged by the template's own saga modules, which the hook must find
    # from inside the new project's directory)
    output = tmp_path / "out"
    options = {"workflow_type": "EXPRESS", "saga_steps": "a:undo_a, b:undo_b, c:undo_c, d:undo_d"}

    # When rendered from the command line
    completed = render_cli(output, cookiecutter_config, options, template=".", cwd=REPO_ROOT)

    # Then the hook refuses it by the option's name, and nothing is written
    assert completed.returncode != 0
    assert hook_message("saga_steps") in completed.stderr, completed.stderr
    assert files_under(output) == []


def test_given_the_template_as_a_relative_path_when_an_express_saga_fits_then_it_renders(
    cookiecutter_config: Path, tmp_path: Path
) -> None:
    # Given the template typed as "." and the README's EXPRESS example
    output = tmp_path / "out"

    # When rendered from the command line
    completed = render_cli(
        output, cookiecutter_config, {"workflow_type": "EXPRESS", "dlq": "disabled"}, template=".", cwd=REPO_ROOT
    )

    # Then the service is rendered
    assert completed.returncode == 0, completed.stderr
    assert (output / "orders-service" / "infra" / "saga_asl.py").is_file()
