"""The functions' dependencies are built once per set of inputs, and every later synth is offline."""

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from infra import dependencies
from infra.dependencies import (
    COMPLETE_MARKER,
    DependenciesUnavailable,
    build_dependencies,
    build_key,
    installed_versions,
    runtime_requirements,
)


def cached_folder(cache: Path, python_version: str, architecture: str) -> Path:
    key = build_key(runtime_requirements(), installed_versions(), python_version, architecture)
    return cache / f"python{python_version}-{architecture}-{key[:16]}"


def pip_must_not_run(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("pip ran although the build was cached")


def test_a_finished_build_is_used_without_pip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a finished build of these inputs in the cache
    folder = cached_folder(tmp_path, "3.13", "arm64")
    (folder / "layer" / "python").mkdir(parents=True)
    (folder / COMPLETE_MARKER).write_text("{}", encoding="utf-8")
    monkeypatch.setattr(subprocess, "run", pip_must_not_run)
    # When the dependencies are asked for (a synth with no package index)
    built = build_dependencies("3.13", "arm64", cache=tmp_path)
    # Then the cached layer content is used
    assert built.directory == folder / "layer"


def test_an_interrupted_build_is_not_used_and_a_new_one_replaces_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a folder that a killed build left without its marker
    folder = cached_folder(tmp_path, "3.12", "x86_64")
    (folder / "layer" / "python").mkdir(parents=True)
    pip_calls: list[list[str]] = []

    def pip(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        pip_calls.append(command)
        Path(command[command.index("--target") + 1]).mkdir(parents=True)
        return subprocess.CompletedProcess(command, 0, "", "")

    monkeypatch.setattr(subprocess, "run", pip)
    # When the dependencies are asked for
    built = build_dependencies("3.12", "x86_64", cache=tmp_path)
    # Then pip built them again for Lambda's platform, wheels only, constrained to this environment's versions
    (command,) = pip_calls
    assert {"--only-binary=:all:", "manylinux2014_x86_64", "3.12", "--constraint"} <= set(command)
    assert json.loads((built.directory.parent / COMPLETE_MARKER).read_text(encoding="utf-8"))["python"] == "3.12"


def test_a_failed_build_says_what_the_first_synth_needs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Given pip without a package index
    def offline(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        return subprocess.CompletedProcess(command, 1, "", "ERROR: No matching distribution found for pydantic")

    monkeypatch.setattr(subprocess, "run", offline)
    monkeypatch.setenv(dependencies.CACHE_VARIABLE, str(tmp_path))
    # When the dependencies are asked for, Then the error names the need, the cache and pip's own message
    with pytest.raises(DependenciesUnavailable, match=r"(?s)needs the package index.*No matching distribution"):
        build_dependencies("3.13", "arm64")
    # And no half-built folder is left to be mistaken for a build
    assert list(tmp_path.iterdir()) == []
