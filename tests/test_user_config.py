"""A cookiecutter user config file or a replay file renders what it says, or stops with the hook's message.

A team's config file (``--config-file``, ``COOKIECUTTER_CONFIG`` or ~/.cookiecutterrc) sets options in its
``default_context``, read as YAML: an unquoted ``3.12`` is a number, ``no``, ``off`` and ``yes`` are booleans and
``~`` is no value. Cookiecutter 2.7.1 compares such a value with a choice list, and one not in the list stops the
loop over the config's values with a mere warning: that value and every later one were dropped, and a service
was rendered with the defaults instead (issue 2219). So cookiecutter.json has no choice lists: every value
reaches hooks/pre_gen_project.py, which renders it when it is exactly an allowed text and otherwise refuses it,
naming the option and what YAML did to the value.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from pathlib import Path

import pytest
from cookiecutter.config import get_user_config

from local_extensions import load_hook
from tests.helpers import (
    CHOICES,
    OPTIONS,
    PYTHON,
    REPO_ROOT,
    render_cli,
    resolve_raw_options,
    tool_env,
    tree_differences,
    write_cookiecutter_config,
)
from tests.test_choices import MEANING_OF_CHOICE

hook = load_hook("pre_gen_project")
# Every choice at a value other than its default, as a team writes it in YAML, unquoted: the runtime is then
# a number. It comes first, so that a value cookiecutter drops would take every later one with it.
TEAM_CHOICES = {
    "python_runtime": "3.12",
    "workflow_type": "EXPRESS",
    "dlq": "disabled",
    "tracing": "disabled",
    "api_auth": "none",
    "architecture": "x86_64",
    "license": "proprietary",
}
# The config of the report, and the third license.
REPORTED_CHOICES = {"python_runtime": "3.12", "dlq": "disabled", "architecture": "x86_64", "license": "Apache-2.0"}


def unquoted_yaml(choices: Mapping[str, str]) -> str:
    return "".join(f"{option}: {value}\n" for option, value in choices.items())


TEAM_CONFIG = unquoted_yaml(TEAM_CHOICES)
REPORTED_CONFIG = unquoted_yaml(REPORTED_CHOICES)
# Cookiecutter names the replay file after the template's directory.
REPLAY_NAME = f"{REPO_ROOT.name}.json"


def user_config(directory: Path, default_context: str) -> Path:
    """A cookiecutter user config (replay files kept in ``directory``) whose default_context is the YAML given."""
    config = write_cookiecutter_config(directory)
    if default_context:
        indented = "".join(f"  {line}\n" for line in default_context.splitlines())
        config.write_text(config.read_text() + "default_context:\n" + indented)
    return config


def options_from_config(directory: Path, default_context: str) -> dict[str, object]:
    """The options as cookiecutter hands them to the hooks when a user config file holds this default_context."""
    config = get_user_config(config_file=str(user_config(directory, default_context)))
    return resolve_raw_options(default_context=config["default_context"])


def run_cookiecutter(
    *arguments: str, extra_context: Mapping[str, str] | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The ``cookiecutter`` command line on this template, without prompts unless a replay is asked for."""
    replaying = any(argument.startswith("--replay") for argument in arguments)
    command = [PYTHON, "-m", "cookiecutter", *arguments, *([] if replaying else ["--no-input"]), str(REPO_ROOT)]
    command.extend(f"{key}={value}" for key, value in (extra_context or {}).items())
    return subprocess.run(
        command, capture_output=True, text=True, env=tool_env(**(env or {})), timeout=120, check=False
    )


def rendered_choices(project: Path) -> dict[str, object]:
    """What each choice became in a rendered project (infra/settings.py, pyproject.toml's license)."""
    return {option: read(project) for option, (read, _) in MEANING_OF_CHOICE.items()}


def meaning(choices: Mapping[str, str]) -> dict[str, object]:
    """What the rendered project must show for these choices (the others at their defaults)."""
    asked = {option: choices.get(option, allowed[0]) for option, allowed in CHOICES.items()}
    return {option: MEANING_OF_CHOICE[option][1][value] for option, value in asked.items()}


def nothing_in(output: Path) -> bool:
    """No project directory, not even an empty one, in the output directory (which cookiecutter may create)."""
    return not output.exists() or not any(output.iterdir())


def only_project(output: Path) -> Path:
    (project,) = [path for path in output.iterdir() if path.is_dir()]
    return project


# ------------------------------------------------------------ what cookiecutter hands the hook from a config file

# Every value of every choice as a YAML user config writes it unquoted, and the text the hook must receive.
YAML_CHOICES = [
    pytest.param(option, value, id=f"{option}-{value}") for option, values in CHOICES.items() for value in values
]


@pytest.mark.parametrize(("option", "value"), YAML_CHOICES)
def test_given_a_choice_unquoted_in_a_user_config_when_cookiecutter_reads_it_then_the_hook_gets_that_value(
    tmp_path: Path, option: str, value: str
) -> None:
    # Given the value unquoted in a config file's default_context (3.12 is then a YAML number)
    # When cookiecutter reads the config and the options as it does before any hook
    options = options_from_config(tmp_path, f"{option}: {value}")
    # Then the hook receives exactly the text asked for, and accepts it
    assert options[option] == value
    hook.validate(options, REPO_ROOT)


def test_given_a_team_config_when_cookiecutter_reads_it_then_no_value_is_dropped(tmp_path: Path) -> None:
    options = options_from_config(tmp_path, TEAM_CONFIG)

    assert {option: options[option] for option in CHOICES} == TEAM_CHOICES


# (a config file's line, the option, what the hook's message must say besides the option)
BOOLEAN, NULL, NUMBER = hook.YAML_BOOLEAN_HINT, hook.YAML_NULL_HINT, hook.YAML_NUMBER_HINT
BAD_CONFIG_VALUES = [
    pytest.param("workflow_type: express", "workflow_type", "'express' is not one of STANDARD, EXPRESS", id="express"),
    pytest.param("dlq: no", "dlq", f"the boolean false is not one of enabled, disabled ({BOOLEAN})", id="dlq-no"),
    pytest.param("dlq: false", "dlq", f"the boolean false is not one of enabled, disabled ({BOOLEAN})", id="dlq-false"),
    pytest.param("tracing: off", "tracing", f"the boolean false is not one of enabled, disabled ({BOOLEAN})", id="off"),
    pytest.param("tracing: on", "tracing", f"the boolean true is not one of enabled, disabled ({BOOLEAN})", id="on"),
    pytest.param("api_auth: yes", "api_auth", f"the boolean true is not one of iam, none ({BOOLEAN})", id="auth-yes"),
    pytest.param("api_auth:", "api_auth", f"null is not one of iam, none ({NULL})", id="auth-empty"),
    pytest.param("python_runtime: 3.10", "python_runtime", f"'3.1' is not one of 3.13, 3.12 ({NUMBER})", id="3.10"),
    pytest.param("python_runtime: 3", "python_runtime", "'3' is not one of 3.13, 3.12", id="runtime-3"),
    pytest.param("python_runtime: 3.11", "python_runtime", "'3.11' is not one of 3.13, 3.12", id="unsupported"),
    pytest.param("architecture: ~", "architecture", f"null is not one of arm64, x86_64 ({NULL})", id="arch-null"),
    pytest.param("architecture: arm", "architecture", "'arm' is not one of arm64, x86_64", id="arch-arm"),
    pytest.param(
        "license: no",
        "license",
        f"the boolean false is not one of MIT, Apache-2.0, proprietary ({BOOLEAN})",
        id="license-no",
    ),
    pytest.param("license: GPL-3.0", "license", "'GPL-3.0' is not one of MIT, Apache-2.0, proprietary", id="gpl"),
    # Free text: without the hook's check a service would be named "True", or slugify would raise.
    pytest.param("project_name: yes", "project_name", f"the boolean true is not text ({BOOLEAN})", id="name-yes"),
    pytest.param("domain: ~", "domain", f"null is not text ({NULL})", id="domain-null"),
]


@pytest.mark.parametrize(("line", "option", "reason"), BAD_CONFIG_VALUES)
def test_given_a_bad_or_yaml_coerced_value_in_a_user_config_when_validated_then_the_hook_names_it(
    tmp_path: Path, line: str, option: str, reason: str
) -> None:
    options = options_from_config(tmp_path, line)

    with pytest.raises(hook.OptionError) as raised:
        hook.validate(options, REPO_ROOT)

    assert str(raised.value).startswith(f"{option}: ")
    assert reason in str(raised.value)


# ---------------------------------------------------------------------------- through the cookiecutter command line


def test_given_a_team_config_file_when_rendered_on_the_command_line_then_every_choice_is_the_one_asked(
    tmp_path: Path,
) -> None:
    # Given a config file setting every choice to a value other than its default, the runtime an unquoted number
    config = user_config(tmp_path / "user", TEAM_CONFIG)
    # When rendered with --config-file and no prompts
    completed = run_cookiecutter("--config-file", str(config), "--output-dir", str(tmp_path / "out"))
    # Then it succeeds without cookiecutter's warning, and the project carries every value asked for
    assert completed.returncode == 0, completed.stderr
    assert "Invalid default received" not in completed.stderr
    project = only_project(tmp_path / "out")
    assert rendered_choices(project) == meaning(TEAM_CHOICES)
    assert 'python_version = "3.12"' in (project / "pyproject.toml").read_text()


def test_given_the_reported_config_named_by_cookiecutter_config_when_rendered_then_the_values_are_the_ones_asked(
    tmp_path: Path,
) -> None:
    config = user_config(tmp_path / "user", REPORTED_CONFIG)

    completed = run_cookiecutter("--output-dir", str(tmp_path / "out"), env={"COOKIECUTTER_CONFIG": str(config)})

    assert completed.returncode == 0, completed.stderr
    assert rendered_choices(only_project(tmp_path / "out")) == meaning(REPORTED_CHOICES)


def test_given_a_config_file_when_every_prompt_is_answered_with_enter_then_the_config_values_are_rendered(
    tmp_path: Path,
) -> None:
    config = user_config(tmp_path / "user", TEAM_CONFIG)

    completed = render_cli(tmp_path / "out", config, answers=[""] * len(OPTIONS))

    assert completed.returncode == 0, completed.stderr
    assert rendered_choices(only_project(tmp_path / "out")) == meaning(TEAM_CHOICES)


@pytest.mark.parametrize(("line", "option", "reason"), BAD_CONFIG_VALUES)
def test_given_a_bad_or_yaml_coerced_value_in_a_config_file_when_rendered_then_the_hook_stops_it_and_nothing_is_left(
    tmp_path: Path, line: str, option: str, reason: str
) -> None:
    # Given a config file whose bad value comes first, before valid ones cookiecutter would otherwise drop with it
    others = {key: value for key, value in REPORTED_CHOICES.items() if key != option}
    config = user_config(tmp_path / "user", line + "\n" + unquoted_yaml(others))
    output = tmp_path / "out"
    # When rendered on the command line
    completed = run_cookiecutter("--config-file", str(config), "--output-dir", str(output))
    # Then the hook refuses it, naming the option and the reason, and nothing is written
    assert completed.returncode != 0
    assert f"ERROR: invalid option {option}: {reason}" in completed.stderr
    assert nothing_in(output)


def test_given_a_yaml_boolean_in_the_config_named_by_cookiecutter_config_then_the_hook_stops_it(tmp_path: Path) -> None:
    config = user_config(tmp_path / "user", "dlq: no\n" + unquoted_yaml({"python_runtime": "3.12"}))
    output = tmp_path / "out"

    completed = run_cookiecutter("--output-dir", str(output), env={"COOKIECUTTER_CONFIG": str(config)})

    assert completed.returncode != 0
    assert f"ERROR: invalid option dlq: the boolean false is not one of enabled, disabled ({BOOLEAN})" in (
        completed.stderr
    )
    assert nothing_in(output)


def test_given_a_boolean_in_the_config_when_the_command_line_gives_a_word_then_cookiecutter_stops_naming_the_option(
    tmp_path: Path,
) -> None:
    # Cookiecutter 2.7.1 converts a command-line value to a boolean when the config made the option one, and
    # raises for a word; the config must be fixed (quoted). It names the option and writes nothing.
    config = user_config(tmp_path / "user", "dlq: no")
    output = tmp_path / "out"

    completed = run_cookiecutter(
        "--config-file", str(config), "--output-dir", str(output), extra_context={"dlq": "disabled"}
    )

    assert completed.returncode != 0
    assert completed.stderr.splitlines()[-1] == (
        "ValueError: disabled provided for variable dlq could not be converted to a boolean."
    )
    assert nothing_in(output)


# ------------------------------------------------------------------------------------------------- replay files


def test_given_a_render_from_a_config_file_when_replayed_then_the_same_project_is_rendered(tmp_path: Path) -> None:
    # Given a render from a team config, which writes its replay file into the config's replay_dir
    config = user_config(tmp_path / "user", TEAM_CONFIG)
    first = run_cookiecutter("--config-file", str(config), "--output-dir", str(tmp_path / "first"))
    assert first.returncode == 0, first.stderr
    replay_file = tmp_path / "user" / "replay" / REPLAY_NAME
    # When rendered again from that replay file, by --replay-file and by --replay
    by_file = run_cookiecutter("--replay-file", str(replay_file), "--output-dir", str(tmp_path / "by-file"))
    by_replay = run_cookiecutter("--config-file", str(config), "--replay", "--output-dir", str(tmp_path / "replay"))
    # Then both render the same project, byte for byte
    assert by_file.returncode == 0, by_file.stderr
    assert by_replay.returncode == 0, by_replay.stderr
    project = only_project(tmp_path / "first")
    assert rendered_choices(project) == meaning(TEAM_CHOICES)
    for copy in ("by-file", "replay"):
        assert tree_differences(only_project(tmp_path / copy), project) == [], copy


@pytest.mark.parametrize(
    ("option", "value", "reason"),
    [
        ("dlq", False, "the boolean false is not one of enabled, disabled"),
        ("python_runtime", 3.12, "the number 3.12 is not one of 3.13, 3.12"),
        ("api_auth", None, "null is not one of iam, none"),
    ],
)
def test_given_a_replay_file_with_a_value_that_is_not_an_allowed_text_then_the_hook_stops_it(
    tmp_path: Path, option: str, value: object, reason: str
) -> None:
    # Given a replay file edited by hand to hold a JSON boolean, number or null (cookiecutter replays it as it is)
    config = user_config(tmp_path / "user", "")
    assert run_cookiecutter("--config-file", str(config), "--output-dir", str(tmp_path / "first")).returncode == 0
    replay_file = tmp_path / "user" / "replay" / REPLAY_NAME
    replay = json.loads(replay_file.read_text())
    replay["cookiecutter"][option] = value
    replay_file.write_text(json.dumps(replay))
    output = tmp_path / "out"
    # When replayed
    completed = run_cookiecutter("--replay-file", str(replay_file), "--output-dir", str(output))
    # Then the hook names the option, and nothing is written
    assert completed.returncode != 0
    assert f"ERROR: invalid option {option}: {reason}" in completed.stderr
    assert nothing_in(output)
