"""The generated service pins exactly the versions the template is tested with (requirements.txt, package.json)."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.helpers import REPO_ROOT, render

# Needed to render and test the template, never by a generated service.
TEMPLATE_ONLY = {"cookiecutter", "pytest-cookies", "pytest-xdist"}


def pins(requirements: list[str]) -> dict[str, tuple[str, tuple[str, ...]]]:
    """``{"moto": ("==5.2.5", ("cloudformation", ...))}``: version and extras, keyed by normalised name."""
    parsed = [Requirement(line) for line in requirements]
    return {
        canonicalize_name(requirement.name): (str(requirement.specifier), tuple(sorted(requirement.extras)))
        for requirement in parsed
    }


def requirements_txt() -> list[str]:
    lines = (line.split("#", 1)[0].strip() for line in (REPO_ROOT / "requirements.txt").read_text().splitlines())
    return [line for line in lines if line]


@pytest.fixture(scope="module")
def generated_project(cookiecutter_config: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(tmp_path_factory.mktemp("pins"), cookiecutter_config)


@pytest.fixture(scope="module")
def generated_pyproject(generated_project: Path) -> dict[str, object]:
    return tomllib.loads((generated_project / "pyproject.toml").read_text())


def generated_requirements(pyproject: dict[str, object]) -> list[str]:
    project = pyproject["project"]
    assert isinstance(project, dict)
    groups = project.get("optional-dependencies", {})
    return [*project["dependencies"], *(requirement for group in groups.values() for requirement in group)]


def test_every_requirement_is_pinned_to_one_version() -> None:
    for line in requirements_txt():
        specifiers = list(Requirement(line).specifier)
        assert [specifier.operator for specifier in specifiers] == ["=="], line


def test_given_the_generated_pyproject_then_it_pins_what_requirements_txt_pins(
    generated_pyproject: dict[str, object],
) -> None:
    template = pins(requirements_txt())
    generated = pins(generated_requirements(generated_pyproject))

    # Both ways: the generated suite runs in the template's environment, so it may need nothing more.
    assert generated == {name: pin for name, pin in template.items() if name not in TEMPLATE_ONLY}


def test_given_the_generated_makefile_and_readme_then_they_name_the_cdk_cli_the_template_tests_with(
    generated_project: Path,
) -> None:
    # Given the CDK CLI the template's tests run (package.json, locked by package-lock.json)
    package = json.loads((REPO_ROOT / "package.json").read_text())
    lock = json.loads((REPO_ROOT / "package-lock.json").read_text())
    tested = package["devDependencies"]["aws-cdk"]
    # When reading the CLI the generated Makefile runs and the versions its README mentions
    makefile_pins = re.findall(r"^CDK \?= npx --yes aws-cdk@(\S+)$", (generated_project / "Makefile").read_text(), re.M)
    readme_pins = set(re.findall(r"aws-cdk@([0-9][^\s`]*)", (generated_project / "README.md").read_text()))
    # Then all are that one exact 2.x release (npm's aws-cdk 3.0.0 was published by accident, aws/aws-cdk#38113)
    assert re.fullmatch(r"2\.\d+\.\d+", tested)
    assert lock["packages"]["node_modules/aws-cdk"]["version"] == tested
    assert makefile_pins == [tested]
    assert readme_pins == {tested}


def test_given_the_embedded_aws_package_then_it_pins_what_requirements_txt_pins() -> None:
    # Given the embedded AWS's own dependencies (it patches their internals, so it pins exact versions)
    pyproject = tomllib.loads((REPO_ROOT / "embedded-aws" / "pyproject.toml").read_text())
    dependencies = pins(pyproject["project"]["dependencies"])

    # Then each is the version and extras the template is tested with
    template = pins(requirements_txt())
    assert dependencies == {name: template[name] for name in dependencies}
