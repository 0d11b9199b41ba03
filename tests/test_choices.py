"""Choice options mean the same thing from the prompt, from the command line and from extra_context.

Cookiecutter hands every value overridden on the command line or through extra_context to the template
as a string, so a real boolean option would turn ``dlq=false`` into the truthy string "false"
(cookiecutter issues 1973 and 2069). The template uses word choices instead (enabled / disabled);
these tests prove that every value renders identically on every path and that boolean-looking words
are refused rather than silently read as "enabled".
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import (
    CHOICES,
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
    """One line per prompt, in cookiecutter.json's order: Enter keeps a default, a number picks a choice."""
    return [str(CHOICES[name].index(value) + 1) if name == option else "" for name in OPTIONS]


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
    with pytest.raises(ValueError, match=f"provided for choice variable {option}"):
        render(tmp_path / "extra-context", cookiecutter_config, {option: word})

    assert by_command_line.returncode != 0
    assert f"{word} provided for choice variable {option}" in by_command_line.stderr
