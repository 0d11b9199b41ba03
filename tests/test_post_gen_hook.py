"""Unit tests of hooks/post_gen_project.py: which files each option value removes, and the next steps it prints."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from local_extensions import load_hook
from tests.helpers import REPO_ROOT, render_cli, resolve_options

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


def test_given_a_project_directory_then_the_next_steps_enter_it_and_name_the_make_targets() -> None:
    # Given where the project was generated, a path with a space in it
    project = Path("/work/my services/orders-service")
    # When the next steps are written
    lines = hook.next_steps(project).splitlines()
    # Then they enter the directory (quoted for the shell), then install, run locally, test and deploy
    assert shlex.split(lines[1]) == ["cd", str(project)]
    commands = [line.split("#")[0].strip() for line in lines[2:]]
    assert commands == ["make install", "make local", "make test", "make deploy"]
    assert "AWS credentials" in lines[-1]


def test_given_a_render_on_the_command_line_then_it_prints_the_next_steps(
    cookiecutter_config: Path, tmp_path: Path
) -> None:
    # Given the default options
    # When the template is rendered through the cookiecutter command line
    completed = render_cli(tmp_path, cookiecutter_config)
    # Then the user reads the next steps, starting with entering the new project
    assert completed.returncode == 0, completed.stderr
    project = tmp_path / resolve_options()["project_slug"]
    assert hook.next_steps(project) in completed.stdout


@pytest.mark.parametrize("options", [{}, {"domain": "Order"}], ids=["rendered", "refused"])
def test_given_a_render_then_no_rendered_hook_is_left_in_the_temporary_directory(
    tmp_path: Path, cookiecutter_config: Path, options: dict[str, str]
) -> None:
    # Given a temporary directory of this render's own
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    # When a project is rendered from the command line, or refused by the pre-generation hook
    render_cli(tmp_path / "out", cookiecutter_config, options, env={"TMPDIR": str(temporary)})
    # Then cookiecutter's rendered copies of the hooks, which hold every option value, are gone
    assert list(temporary.iterdir()) == []


def _files(directory: Path) -> dict[str, bytes]:
    return {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in directory.rglob("*")
        if path.is_file()
        and "__pycache__" not in path.parts
        and ".egg-info" not in path.as_posix()
        and not any(part.startswith(".") for part in path.relative_to(directory).parts)  # tool caches
    }


def test_given_a_project_when_vendored_then_it_holds_the_embedded_aws_package_as_kept_in_the_template_without_tests(
    tmp_path: Path,
) -> None:
    # Given the template's embedded AWS package, tests included
    source = REPO_ROOT / "embedded-aws"
    assert any(name.startswith("tests/") for name in _files(source))

    # When vendored into a new project
    copy = hook.vendor_embedded_aws(REPO_ROOT, tmp_path)

    # Then the copy is the package byte for byte, its pyproject and README with it, and no tests
    expected = {name: content for name, content in _files(source).items() if not name.startswith("tests/")}
    assert copy == tmp_path / "vendor" / "embedded-aws"
    assert _files(copy) == expected
    assert {"pyproject.toml", "README.md", "src/embedded_aws/engine/runtime.py"} <= set(expected)
