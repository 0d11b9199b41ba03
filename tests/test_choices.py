"""Choice options mean the same thing from the prompt, from the command line and from extra_context.

Cookiecutter hands every value overridden on the command line or through extra_context to the template
as a string, so a real boolean option would turn ``dlq=false`` into the truthy string "false"
(cookiecutter issues 1973 and 2069). The template uses word choices instead (enabled / disabled);
these tests prove that every value renders identically on every path and that boolean-looking words
are refused rather than silently read as "enabled".

The allowed values live in one place, the pre-generation hook's CHOICES; cookiecutter.json holds each
default as plain text and the prompt's text names the values (tests/test_user_config.py says why).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cookiecutter.exceptions import FailedHookException

from tests.helpers import (
    CHOICES,
    COOKIECUTTER_JSON,
    OPTIONS,
    generated_settings,
    render,
    render_cli,
    resolve_options,
    tree_differences,
)

CHOICE_VALUES = [
    pytest.param(option, value, id=f"{option}={value}") for option, values in CHOICES.items() for value in values
]


def setting(name: str) -> Callable[[Path], Any]:
    """Reads one attribute of a rendered project's infra/settings.py."""
    return lambda project: getattr(generated_settings(project), name)


def package_license(project: Path) -> Any:
    """The SPDX license expression in a rendered project's pyproject.toml."""
    return tomllib.loads((project / "pyproject.toml").read_text())["project"]["license"]


# What each choice becomes in the generated project: (how to read it, {choice value: what is read}).
MEANING_OF_CHOICE: dict[str, tuple[Callable[[Path], Any], dict[str, object]]] = {
    "workflow_type": (setting("workflow_type"), {"STANDARD": "STANDARD", "EXPRESS": "EXPRESS"}),
    "dlq": (setting("dlq_enabled"), {"enabled": True, "disabled": False}),
    "tracing": (setting("tracing_enabled"), {"enabled": True, "disabled": False}),
    "api_auth": (setting("api_auth"), {"iam": "iam", "none": "none"}),
    "python_runtime": (setting("python_runtime"), {"3.12": "3.12", "3.13": "3.13"}),
    "architecture": (setting("architecture"), {"arm64": "arm64", "x86_64": "x86_64"}),
    "license": (
        package_license,
        {"MIT": "MIT", "Apache-2.0": "Apache-2.0", "proprietary": "LicenseRef-Proprietary"},
    ),
}


def prompt_answers(option: str, value: str) -> list[str]:
    """One line per prompt, in cookiecutter.json's order: Enter keeps a default, a choice is typed."""
    return [value if name == option else "" for name in OPTIONS]


def values_named_by(prompt: str) -> list[str]:
    """The values a choice's prompt offers: ``Label: a (what a is), b or c`` -> ``["a", "b", "c"]``."""
    offered = re.sub(r"\s*\([^()]*\)", "", prompt).split(": ", 1)[1]
    return re.split(r", | or ", offered)


def test_every_choice_option_is_plain_text_in_cookiecutter_json_with_the_first_choice_as_default() -> None:
    # A choice list would bring back cookiecutter's menu, and with it issue 2219: a user config's value outside
    # the list, and every value after it, dropped with a warning before the hook could refuse it.
    for option, allowed in CHOICES.items():
        assert COOKIECUTTER_JSON[option] == allowed[0], option


def test_every_choice_prompt_offers_exactly_the_hooks_choices_in_order() -> None:
    prompts = COOKIECUTTER_JSON["__prompts__"]
    assert isinstance(prompts, dict)

    offered = {option: values_named_by(prompts[option]) for option in CHOICES}

    assert offered == {option: list(allowed) for option, allowed in CHOICES.items()}


def test_the_api_auth_prompt_says_that_without_auth_idempotency_keys_are_global() -> None:
    prompts = COOKIECUTTER_JSON["__prompts__"]
    assert isinstance(prompts, dict)

    assert "no caller identity" in prompts["api_auth"]
    assert "Idempotency-Keys are global across all callers" in prompts["api_auth"]
    assert "UUIDs" in prompts["api_auth"]


def test_every_choice_option_has_a_known_meaning() -> None:
    assert set(MEANING_OF_CHOICE) == set(CHOICES)
    for option, (_, meaning) in MEANING_OF_CHOICE.items():
        assert set(meaning) == set(CHOICES[option]), option


@pytest.mark.parametrize(("option", "value"), CHOICE_VALUES)
def test_given_a_choice_when_given_by_extra_context_command_line_or_prompt_then_the_output_is_identical(
    cookiecutter_config: Path, tmp_path: Path, option: str, value: str
) -> None:
    slug = resolve_options()["project_slug"]

    by_extra_context = render(tmp_path / "extra-context", cookiecutter_config, {option: value})
    by_command_line = render_cli(tmp_path / "command-line", cookiecutter_config, {option: value})
    by_prompt = render_cli(tmp_path / "prompt", cookiecutter_config, answers=prompt_answers(option, value))

    assert by_command_line.returncode == 0, by_command_line.stderr
    assert by_prompt.returncode == 0, by_prompt.stderr
    for path in ("command-line", "prompt"):
        differences = tree_differences(tmp_path / path / slug, by_extra_context)
        assert not differences, f"{path} vs extra_context: {differences}"
    read, meaning = MEANING_OF_CHOICE[option]
    assert read(by_extra_context) == meaning[value]


@pytest.mark.parametrize("option", ["dlq", "tracing"])
@pytest.mark.parametrize("word", ["false", "False", "no", "0"])
def test_given_a_boolean_word_for_an_on_off_option_then_it_is_refused_on_every_path(
    cookiecutter_config: Path, tmp_path: Path, option: str, word: str
) -> None:
    by_command_line = render_cli(tmp_path / "command-line", cookiecutter_config, {option: word})
    with pytest.raises(FailedHookException):
        render(tmp_path / "extra-context", cookiecutter_config, {option: word})

    assert by_command_line.returncode != 0
    assert f"ERROR: invalid option {option}: '{word}' is not one of enabled, disabled" in by_command_line.stderr
