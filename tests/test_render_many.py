"""A platform team renders many services from one file and checks each against the template (README: "Rendering many
services"): the README's two shell blocks run here as written, on a git repository of this template."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT
from tests.template_repository import (
    PACKAGE_TEMPLATE,
    VIEWS_ADDITION,
    commit_all,
    isolated_env,
    readme_block,
    run,
    template_repository,
)

ROWS = (
    {"project_name": "Orders Service"},
    {
        "project_name": "Payments Service",
        "domain": "payment",
        "saga_steps": "charge_card:refund_card",
        "workflow_type": "EXPRESS",
        "api_auth": "none",
    },
)
SLUGS = ("orders-service", "payments-service")


def run_readme_block(name: str, cwd: Path, env: dict[str, str]) -> tuple[int, str]:
    """The README's ``name`` block run by bash in ``cwd``: its exit status and output."""
    completed = run(["bash", "-eu", "-c", readme_block(REPO_ROOT / "README.md", name)], cwd, env, check=False)
    return completed.returncode, completed.stdout + completed.stderr


@pytest.mark.xdist_group("render-many")
def test_given_a_file_of_two_services_when_rendered_then_each_is_up_to_date_until_the_template_changes(
    tmp_path: Path, cookiecutter_config: Path
) -> None:
    # Given a template repository and a file with one row of options per service
    env = isolated_env(cookiecutter_config)
    template = template_repository(tmp_path / "template", env)
    env["TEMPLATE"] = str(template)
    platform = tmp_path / "platform"
    platform.mkdir()
    (platform / "services.jsonl").write_text("".join(json.dumps(row) + "\n" for row in ROWS))

    # When the README's render block runs, then its check block
    rendered, render_output = run_readme_block("render-services", platform, env)
    fresh, fresh_output = run_readme_block("check-services", platform, env)

    # Then both services are rendered, each with its own options, and both are up to date
    assert rendered == 0, render_output
    contexts = {
        slug: json.loads((platform / "services" / slug / ".cruft.json").read_text())["context"]["cookiecutter"]
        for slug in SLUGS
    }
    for slug, row in zip(SLUGS, ROWS, strict=True):
        assert {key: contexts[slug][key] for key in row} == row
    assert (platform / "services" / "payments-service" / "src" / "payments_service" / "logic" / "actions.py").exists()
    assert fresh == 0, fresh_output

    # When the template gains a commit
    views = template / PACKAGE_TEMPLATE / "logic" / "views.py"
    views.write_text(views.read_text() + VIEWS_ADDITION)
    commit_all(template, env, "the template at commit B")
    stale, stale_output = run_readme_block("check-services", platform, env)

    # Then the check fails and names both services
    assert stale == 1, stale_output
    for slug in SLUGS:
        assert f"behind the template: services/{slug}/" in stale_output
