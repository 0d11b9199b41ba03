"""Unit tests of hooks/post_gen_project.py: which files each option value removes."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT, load_hook, resolve_options

hook = load_hook("post_gen_project")
TEMPLATE_DIR = REPO_ROOT / "{{cookiecutter.project_slug|project_directory}}"


def test_given_standard_when_pruned_then_the_express_only_dispatch_claims_go() -> None:
    removed = hook.files_to_remove(resolve_options({"workflow_type": "STANDARD"}))
    assert Path("src/orders_service/dal/dispatch_claims.py") in removed
    assert Path("tests/integration/test_dispatch_claims.py") in removed


def test_given_express_when_pruned_then_nothing_goes() -> None:
    assert hook.files_to_remove(resolve_options({"workflow_type": "EXPRESS"})) == []


def test_given_another_package_name_when_pruned_then_its_paths_are_used() -> None:
    removed = hook.files_to_remove(resolve_options({"package_name": "billing_core"}))
    assert Path("src/billing_core/dal/dispatch_claims.py") in removed


@pytest.mark.parametrize(
    "template",
    [
        template
        for kept_for in hook.OPTIONAL_FILES.values()
        for templates in kept_for.values()
        for template in templates
    ],
)
def test_every_optional_file_exists_in_the_template(template: str) -> None:
    # A renamed file would otherwise silently stop being pruned.
    path = TEMPLATE_DIR / template.format(package_name="{{cookiecutter.package_name}}")
    assert path.is_file(), f"{path} is listed in OPTIONAL_FILES but missing from the template"
