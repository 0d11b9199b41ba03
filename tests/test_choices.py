"""Choice options mean the same thing from the prompt, from the command line and from extra_context.

Cookiecutter hands every value overridden on the command line or through extra_context to the template
as a string, so a real boolean option would turn ``dlq=false`` into the truthy string "false"
(cookiecutter issues 1973 and 2069). The template uses word choices instead (enabled / disabled);
these tests prove that every value renders identically on every path and that boolean-looking words
are refused rather than silently read as "enabled".
"""

from __future__ import annotations

from pathlib import Path

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
# What each choice becomes in the generated infra/settings.py.
SETTING_OF_CHOICE: dict[str, tuple[str, dict[str, object]]] = {
    "workflow_type": ("workflow_type", {"STANDARD": "STANDARD", "EXPRESS": "EXPRESS"}),
    "dlq": ("dlq_enabled", {"enabled": True, "disabled": False}),
    "tracing": ("tracing_enabled", {"enabled": True, "disabled": False}),
    "api_auth": ("api_auth", {"iam": "iam", "none": "none"}),
    "python_runtime": ("python_runtime", {"3.12": "3.12", "3.13": "3.13"}),
    "architecture": ("architecture", {"arm64": "arm64", "x86_64": "x86_64"}),
}


def prompt_answers(option: str, value: str) -> list[str]:
    """One line per prompt, in cookiecutter.json's order: Enter keeps a default, a number picks a choice."""
    return [str(CHOICES[name].index(value) + 1) if name == option else "" for name in OPTIONS]


def test_every_choice_option_has_a_known_setting() -> None:
    assert set(SETTING_OF_CHOICE) == set(CHOICES)
    for option, (_, meaning) in SETTING_OF_CHOICE.items():
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
    setting, meaning = SETTING_OF_CHOICE[option]
    assert getattr(generated_settings(by_extra_context), setting) == meaning[value]


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
