"""The generated service pins exactly the versions the template is tested with (requirements.txt)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.helpers import REPO_ROOT, render

# Needed to render and test the template, never by a generated service.
TEMPLATE_ONLY = {"cookiecutter", "pytest-cookies"}


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
def generated_pyproject(cookiecutter_config: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    project = render(tmp_path_factory.mktemp("pins"), cookiecutter_config)
    return tomllib.loads((project / "pyproject.toml").read_text())


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
