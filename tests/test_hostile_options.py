"""Hostile values in every free-text option: a safe, valid project or a clear pre_gen error, nothing else.

Quotes, backslashes, Jinja-looking text, shell metacharacters, path separators, very long and
non-ASCII text go into each option. Either the project renders and still parses (pyproject.toml
loads, every Python file compiles) or the render stops with a message naming the option: pre_gen_project's,
or cookiecutter's own when the value is not valid Jinja (cookiecutter renders values as templates before
any hook). In every case nothing is written and no shell command in a value runs.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from cookiecutter.exceptions import FailedHookException, UndefinedVariableInTemplate
from jinja2.exceptions import SecurityError
from pytest_cookies.plugin import Cookies

from tests.helpers import files_under

FREE_TEXT_OPTIONS = [
    "project_name",
    "project_slug",
    "package_name",
    "domain",
    "domain_plural",
    "saga_steps",
    "idempotency_ttl_hours",
    "outbox_retention_days",
    "aws_region",
]
SENTINEL = "hostile-option-ran"


def hostile_values(sentinel: Path) -> dict[str, str]:
    return {
        "quotes": """it's "quoted" '''and''' \"\"\"tripled\"\"\"""",
        "backslashes": "back\\slash\\\\ end\\",
        "jinja-expression": "{{ 7 * 7 }} orders",
        "jinja-statement-like": "{% if %} orders",
        "shell": f"$(touch {sentinel}) `touch {sentinel}`; touch {sentinel} | cat && echo",
        "path": "../../outside/orders",
        "absolute-path": "/tmp/orders",
        "long": "orders " * 300,
        "non-ascii": "Bestellungen für Müller ✓ 注文",
        "newline": "orders\nservice",
    }


HOSTILE_IDS = list(hostile_values(Path("x")))

CASES = [pytest.param(option, kind, id=f"{option}-{kind}") for option in FREE_TEXT_OPTIONS for kind in HOSTILE_IDS]


def python_files_compile(project: Path) -> list[str]:
    broken = []
    for path in project.rglob("*.py"):
        try:
            compile(path.read_text(encoding="utf-8"), str(path), "exec")
        except SyntaxError as error:
            broken.append(f"{path}: {error}")
    return broken


@pytest.mark.parametrize(("option", "kind"), CASES)
def test_given_a_hostile_value_then_the_project_is_valid_or_pre_gen_refuses_it(
    cookies: Cookies, capfd: pytest.CaptureFixture[str], tmp_path: Path, option: str, kind: str
) -> None:
    # Given a hostile value in one free-text option
    sentinel = tmp_path / SENTINEL
    value = hostile_values(sentinel)[kind]
    # When the template is baked with it
    result = cookies.bake(extra_context={option: value})
    # Then no command in it ran and nothing was written beside the output directory
    assert not sentinel.exists()
    assert sorted(path.name for path in tmp_path.iterdir()) in (["cookies"], [])
    if result.exception is None:
        # ... and a rendered project still parses
        project = Path(result.project_path)
        assert project.resolve().is_relative_to((tmp_path / "cookies").resolve())
        tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
        assert python_files_compile(project) == []
    elif kind == "jinja-statement-like":
        # ... or, the value not being a valid template, cookiecutter stopped rendering it, naming the option
        assert isinstance(result.exception, UndefinedVariableInTemplate), result
        assert f"Unable to render variable '{option}'" in str(result.exception)
        assert "is not valid Jinja" in str(result.exception)
        assert files_under(tmp_path / "cookies") == []
    else:
        # ... or pre_gen_project refused it, naming an option, and wrote nothing
        assert isinstance(result.exception, FailedHookException), result
        assert "ERROR: invalid option " in capfd.readouterr().err
        assert files_under(tmp_path / "cookies") == []


@pytest.mark.parametrize("option", FREE_TEXT_OPTIONS)
def test_given_jinja_that_reaches_for_python_internals_then_nothing_runs_and_nothing_is_written(
    cookies: Cookies, tmp_path: Path, option: str
) -> None:
    # Given a value that, rendered by an unsandboxed Jinja, would run a shell command
    sentinel = tmp_path / SENTINEL
    value = f"{{{{ cycler.__init__.__globals__.os.popen('touch {sentinel}').read() }}}}"
    # When the template is baked with it
    result = cookies.bake(extra_context={option: value})
    # Then the sandbox refused it: the command did not run and nothing was written
    assert isinstance(result.exception, SecurityError), result
    assert not sentinel.exists()
    assert files_under(tmp_path / "cookies") == []
