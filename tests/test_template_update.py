"""A service created with cruft takes later template changes with `cruft update`, keeping its own changes.

The service's README ("Updating from the template") is followed as written: the service is rendered with
`cruft create` from a git repository of this template (commit A), gains the changes its README documents (a saga step
added to infra/saga_steps.py with its action function and `make asl`, a step's body edited), then the template moves
on and `cruft update` runs, followed by `make asl`. Only the service's unit tests run: they include the checks that the
ASL, the diagram and the action functions agree with the step list.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import PYTHON
from tests.template_repository import (
    PACKAGE_TEMPLATE,
    PROJECT_TEMPLATE,
    VIEWS_ADDITION,
    commit_all,
    cruft,
    git,
    isolated_env,
    replace_once,
    run,
    template_repository,
)

# One worker builds the template repository and the changed service once; each test branches the template from A.
pytestmark = pytest.mark.xdist_group("template-update")

ADDED_STEP = 'SagaStep("update_loyalty_points")'
ADDED_ACTION = '''

def update_loyalty_points(context: ActionContext) -> dict[str, Any]:
    """Credit the customer's loyalty points for the order."""
    request = {"step": "update_loyalty_points", "entity_id": context.entity_id}
    return provider().perform(context.idempotency_key, request)
'''
# The placeholder line of a rendered step's body, and the user's edit of process_payment's.
PAYMENT_REQUEST = 'request = {"step": "process_payment", "entity_id": context.entity_id}'
EDITED_PAYMENT_REQUEST = 'request = {"step": "process_payment", "entity_id": context.entity_id, "currency": "EUR"}'


@dataclass(frozen=True)
class ChangedService:
    """The template's repository at commit A and a service rendered from it with cruft, changed and committed."""

    template: Path
    commit_a: str
    service: Path
    env: dict[str, str]


def make(service: Path, env: dict[str, str], target: str) -> None:
    """``make target`` in the service with the tests' interpreter, as tests/test_generated_suite.py runs it."""
    run(["make", "--no-print-directory", target, f"PYTHON={PYTHON}"], service, env)


@pytest.fixture(scope="module")
def changed_service(tmp_path_factory: pytest.TempPathFactory, cookiecutter_config: Path) -> ChangedService:
    root = tmp_path_factory.mktemp("template-update")
    env = isolated_env(cookiecutter_config)
    template = template_repository(root / "template", env)
    commit_a = git(template, env, "rev-parse", "HEAD").strip()
    # The way the template's README starts a service: cruft create, default options.
    cruft(env, root, "create", "--no-input", "--output-dir", str(root / "services"), str(template))
    service = root / "services" / "orders-service"
    commit_all(service, env, "rendered from the template")
    # README, "Adding, removing or reordering a step": the step list, an action function per new name, `make asl`.
    replace_once(
        service / "infra" / "saga_steps.py",
        '    SagaStep("send_notification"),\n',
        f'    SagaStep("send_notification"),\n    {ADDED_STEP},\n',
    )
    actions = service / "src" / "orders_service" / "logic" / "actions.py"
    actions.write_text(actions.read_text() + ADDED_ACTION)
    # README, "Plugging in a real provider": a step's body becomes the real system's request.
    replace_once(actions, PAYMENT_REQUEST, EDITED_PAYMENT_REQUEST)
    make(service, env, "asl")
    commit_all(service, env, "a loyalty step, and payments in EUR")
    return ChangedService(template, commit_a, service, env)


def branch_template_from_a(changed: ChangedService, branch: str) -> Path:
    """The template's repository on a new ``branch`` at commit A, for a test's own commit B."""
    git(changed.template, changed.env, "checkout", "--quiet", "-B", branch, changed.commit_a)
    return changed.template


def service_copy(changed: ChangedService, tmp_path: Path) -> Path:
    """A copy of the changed service (its git repository included) that a test may update."""
    return Path(shutil.copytree(changed.service, tmp_path / "orders-service", symlinks=True))


def test_given_a_changed_service_when_the_template_changes_elsewhere_then_update_and_make_asl_keep_both(
    changed_service: ChangedService, tmp_path: Path
) -> None:
    # Given a template commit B that changes a module the user did not touch and the saga's default retry delay,
    # which reaches every Retry of the ASL (a derived file the user's step list also shapes)
    template = branch_template_from_a(changed_service, "b-elsewhere")
    views = template / PACKAGE_TEMPLATE / "logic" / "views.py"
    views.write_text(views.read_text() + VIEWS_ADDITION)
    replace_once(
        template / PROJECT_TEMPLATE / "infra" / "saga_model.py",
        "    max_delay_seconds: int = 4\n",
        "    max_delay_seconds: int = 8\n",
    )
    commit_b = commit_all(template, changed_service.env, "the template at commit B")
    service = service_copy(changed_service, tmp_path)
    env = changed_service.env

    # When the service is updated non-interactively, as its README says
    assert cruft(env, service, "check", check=False).returncode == 1
    updated = cruft(env, service, "update", "--skip-apply-ask", "--checkout", "b-elsewhere")
    # the ASL then still holds the user's step at the old delay: `make asl` is the README's next step
    stale = run([PYTHON, "-m", "infra.saga_definition", "--check"], service, env, check=False)
    make(service, env, "asl")

    # Then the template's changes and the user's are both there, with no conflict, and the service's unit tests pass
    assert "conflict" not in updated.stdout + updated.stderr
    assert git(service, env, "ls-files", "--unmerged") == ""
    assert stale.returncode == 1, stale.stdout + stale.stderr
    assert json.loads((service / ".cruft.json").read_text())["commit"] == commit_b
    assert "def view_version() -> int:" in (service / "src" / "orders_service" / "logic" / "views.py").read_text()
    assert "max_delay_seconds: int = 8" in (service / "infra" / "saga_model.py").read_text()
    assert ADDED_STEP in (service / "infra" / "saga_steps.py").read_text()
    actions = (service / "src" / "orders_service" / "logic" / "actions.py").read_text()
    assert "def update_loyalty_points(" in actions
    assert EDITED_PAYMENT_REQUEST in actions
    asl = (service / "statemachine" / "saga.asl.json").read_text()
    assert "UpdateLoyaltyPoints" in asl
    assert '"MaxDelaySeconds": 8' in asl
    assert '"MaxDelaySeconds": 4' not in asl
    run([PYTHON, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/unit"], service, env)


def test_given_a_changed_step_body_when_the_template_changes_the_same_line_then_update_reports_the_conflict(
    changed_service: ChangedService, tmp_path: Path
) -> None:
    # Given a template commit B that changes the placeholder line the user replaced in process_payment
    template = branch_template_from_a(changed_service, "b-conflict")
    replace_once(
        template / PACKAGE_TEMPLATE / "logic" / "actions.py",
        '"entity_id": context.entity_id}',
        '"entity_id": context.entity_id, "source": "saga"}',
    )
    commit_all(template, changed_service.env, "the template at commit B, changing every step's request")
    service = service_copy(changed_service, tmp_path)
    env = changed_service.env

    # When the service is updated
    updated = cruft(env, service, "update", "--skip-apply-ask", "--checkout", "b-conflict", check=False)

    # Then the conflict is reported by file, and both sides are left in it for the user to resolve: nothing is dropped
    output = updated.stdout + updated.stderr
    assert "Applied patch to 'src/orders_service/logic/actions.py' with conflicts." in output, output
    unmerged = git(service, env, "diff", "--name-only", "--diff-filter=U").split()
    assert unmerged == ["src/orders_service/logic/actions.py"]
    actions = (service / "src" / "orders_service" / "logic" / "actions.py").read_text()
    assert "<<<<<<< ours" in actions and ">>>>>>> theirs" in actions
    assert EDITED_PAYMENT_REQUEST in actions
    assert 'request = {"step": "process_payment", "entity_id": context.entity_id, "source": "saga"}' in actions
    # The other steps' lines, which the user left alone, took the template's change cleanly.
    assert 'request = {"step": "reserve_inventory", "entity_id": context.entity_id, "source": "saga"}' in actions


def test_given_a_template_commit_that_adds_a_jinja_filter_when_the_service_is_updated_then_the_filter_renders(
    changed_service: ChangedService, tmp_path: Path
) -> None:
    # Given a template commit B whose local_extensions.py gains a filter that a template file uses (cruft renders A
    # and B in one process: the module imported for A must not render B)
    template = branch_template_from_a(changed_service, "b-filter")
    replace_once(
        template / "local_extensions.py",
        '        environment.filters["kebab"] = kebab\n',
        '        environment.filters["kebab"] = kebab\n        environment.filters["constant_case"] = str.upper\n',
    )
    views = template / PACKAGE_TEMPLATE / "logic" / "views.py"
    views.write_text(views.read_text() + "\n{{ cookiecutter.domain | constant_case }}_VIEW_VERSION = 2\n")
    commit_all(template, changed_service.env, "the template at commit B, with a new filter")
    service = service_copy(changed_service, tmp_path)

    # When the service is updated
    cruft(changed_service.env, service, "update", "--skip-apply-ask", "--checkout", "b-filter")

    # Then the new filter rendered the new line
    assert "\nORDER_VIEW_VERSION = 2\n" in (service / "src" / "orders_service" / "logic" / "views.py").read_text()


def test_given_the_generated_readme_then_its_update_section_names_the_commands_this_file_runs(
    changed_service: ChangedService,
) -> None:
    readme = (changed_service.service / "README.md").read_text()
    section = readme.split("## Updating from the template", 1)[1]
    for command in ("cruft create", "cruft link", "cruft check", "cruft diff", "cruft update", "make asl", ".rej"):
        assert command in section, command
