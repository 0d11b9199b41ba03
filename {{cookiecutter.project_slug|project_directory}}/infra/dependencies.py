"""The functions' third-party packages, built from the project's own pins for Lambda's platform, without Docker.

pip installs the ``[project] dependencies`` of pyproject.toml for the functions' Python version and
architecture (``--platform``, ``--only-binary=:all:``: wheels only, so nothing is compiled for this machine
instead of Lambda's), every package constrained to the version installed in the environment that runs the
synth, which is the one the tests ran in. The result is cached under a key of all of these, so only the
first synth of a combination needs the package index; every synth after it is offline. Standard library
only: no CDK here (infra/functions.py makes the layer).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = PROJECT_ROOT / "pyproject.toml"
# Where built dependencies are kept; LAMBDA_DEPENDENCIES_CACHE moves the cache (one for many projects).
CACHE_VARIABLE = "LAMBDA_DEPENDENCIES_CACHE"
DEFAULT_CACHE = PROJECT_ROOT / "build" / "lambda-dependencies"
# Lambda's python3.12 and python3.13 runtimes run on Amazon Linux 2023 (glibc 2.34, AWS Lambda docs, "Lambda
# runtimes"). pip 23 does not widen a manylinux tag to the older ones it implies, so each one is listed.
LAMBDA_PLATFORMS = {
    "arm64": ["manylinux_2_34_aarch64", "manylinux_2_28_aarch64", "manylinux2014_aarch64"],
    "x86_64": ["manylinux_2_34_x86_64", "manylinux_2_28_x86_64", "manylinux2014_x86_64"],
}
# Written last into a finished build: a folder without it is an interrupted build, never used.
COMPLETE_MARKER = "build.json"


class DependenciesUnavailable(RuntimeError):
    """pip could not build the dependencies (usually: no package index, and nothing cached yet)."""


@dataclass(frozen=True)
class BuiltDependencies:
    """A finished build: ``directory`` holds ``python/`` (a Lambda layer's content); ``key`` names its inputs."""

    directory: Path
    key: str


def runtime_requirements(pyproject: Path = PYPROJECT) -> list[str]:
    """The ``[project] dependencies`` of pyproject.toml: what the functions import besides the standard library."""
    with pyproject.open("rb") as file:
        requirements: list[str] = tomllib.load(file)["project"]["dependencies"]
    return requirements


def installed_versions() -> list[str]:
    """``name==version`` of every distribution in this environment, sorted: the versions the tests ran."""
    pins = {f"{dist.metadata['Name'].lower()}=={dist.version}" for dist in importlib.metadata.distributions()}
    return sorted(pins)


def build_key(requirements: list[str], constraints: list[str], python_version: str, architecture: str) -> str:
    """A digest of everything the build depends on (64 hex characters)."""
    inputs = [requirements, constraints, python_version, architecture, LAMBDA_PLATFORMS[architecture]]
    return hashlib.sha256(json.dumps(inputs).encode()).hexdigest()


def cache_root() -> Path:
    return Path(os.environ.get(CACHE_VARIABLE) or DEFAULT_CACHE)


def build_dependencies(python_version: str, architecture: str, *, cache: Path | None = None) -> BuiltDependencies:
    """The cached build for this Python version (``"3.13"``) and architecture (``"arm64"``), built first if needed.

    Raises DependenciesUnavailable with pip's output when a build fails. Concurrent builds of one key (test
    workers) are safe: each builds apart and the first to finish is kept.
    """
    requirements, constraints = runtime_requirements(), installed_versions()
    key = build_key(requirements, constraints, python_version, architecture)
    root = cache or cache_root()
    target = root / f"python{python_version}-{architecture}-{key[:16]}"
    if (target / COMPLETE_MARKER).exists():
        return BuiltDependencies(target / "layer", key)
    root.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f"{target.name}.", dir=root))
    try:
        constraints_file = building / "constraints.txt"
        constraints_file.write_text("\n".join(constraints) + "\n", encoding="utf-8")
        _pip_install(building / "layer" / "python", requirements, constraints_file, python_version, architecture)
        constraints_file.unlink()
        inputs = {"requirements": requirements, "python": python_version, "architecture": architecture}
        (building / COMPLETE_MARKER).write_text(json.dumps(inputs, indent=2) + "\n", encoding="utf-8")
        if target.exists() and not (target / COMPLETE_MARKER).exists():
            shutil.rmtree(target)  # an interrupted build's leftovers
        try:
            building.rename(target)
        except OSError:
            if not (target / COMPLETE_MARKER).exists():
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return BuiltDependencies(target / "layer", key)


def _pip_install(
    target: Path, requirements: list[str], constraints: Path, python_version: str, architecture: str
) -> None:
    platforms = [argument for tag in LAMBDA_PLATFORMS[architecture] for argument in ("--platform", tag)]
    command = [
        *(sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"),
        *("--target", str(target), "--constraint", str(constraints)),
        *platforms,
        *("--implementation", "cp", "--python-version", python_version, "--only-binary=:all:", "--no-compile"),
        *requirements,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise DependenciesUnavailable(
            f"pip could not build the Lambda dependencies for Python {python_version} on {architecture} (the first"
            f" synth needs the package index; later ones use {cache_root()}):\n{done.stderr.strip()}"
        )
