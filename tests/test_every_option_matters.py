"""Every option in cookiecutter.json changes the generated service, in the file where it should.

Each option is rendered once with a non-default value and compared with the default render: the
specific file that carries the option must differ, and must say what was asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import OPTIONS, generated_settings, render, tree_differences


@dataclass(frozen=True)
class Change:
    option: str
    value: str
    # The generated file (relative path) that must change.
    file: str


# Options recorded in infra/settings.py: (change, settings attribute, the attribute's expected value).
SETTINGS_CHANGES = [
    (Change("project_slug", "billing-api", "infra/settings.py"), "service_name", "billing-api"),
    (Change("package_name", "billing_core", "infra/settings.py"), "package_name", "billing_core"),
    (Change("domain", "booking", "infra/settings.py"), "domain", "booking"),
    (Change("domain_plural", "people", "infra/settings.py"), "domain_plural", "people"),
    (Change("workflow_type", "EXPRESS", "infra/settings.py"), "workflow_type", "EXPRESS"),
    (Change("idempotency_ttl_hours", "48", "infra/settings.py"), "idempotency_ttl_hours", 48),
    (Change("outbox_retention_days", "30", "infra/settings.py"), "outbox_retention_days", 30),
    (Change("dlq", "disabled", "infra/settings.py"), "dlq_enabled", False),
    (Change("tracing", "disabled", "infra/settings.py"), "tracing_enabled", False),
    (Change("api_auth", "none", "infra/settings.py"), "api_auth", "none"),
    (Change("python_runtime", "3.12", "infra/settings.py"), "python_runtime", "3.12"),
    (Change("architecture", "x86_64", "infra/settings.py"), "architecture", "x86_64"),
    (Change("aws_region", "eu-west-1", "infra/settings.py"), "aws_region", "eu-west-1"),
]
# Options that show elsewhere: (change, texts the changed file must contain and the default one must not).
TEXT_CHANGES = [
    (Change("project_name", "Billing Hub", "README.md"), ("# Billing Hub",)),
    (Change("saga_steps", "charge_card:refund_card", "infra/saga_steps.py"), ('"refund_card"',)),
    (Change("saga_steps", "charge_card:refund_card", "statemachine/saga.asl.json"), ('"ChargeCard"',)),
    (Change("domain", "booking", "src/orders_service/models.py"), ('"BookingCreated"',)),
    (Change("domain", "booking", "README.md"), ("POST /bookings",)),
    (Change("domain_plural", "people", "src/orders_service/handlers/create_order.py"), ('COLLECTION = "/people"',)),
    (Change("domain_plural", "people", "README.md"), ("POST /people",)),
    (Change("python_runtime", "3.12", "pyproject.toml"), ('python_version = "3.12"', 'target-version = "py312"')),
    (Change("license", "Apache-2.0", "LICENSE"), ("Apache License", "Version 2.0, January 2004")),
    (Change("license", "Apache-2.0", "pyproject.toml"), ('license = "Apache-2.0"',)),
]


@pytest.fixture(scope="module")
def renders(cookiecutter_config: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The default project and one project per change, by option (``"default"`` for the default)."""
    output = tmp_path_factory.mktemp("option-changes")
    changes = [change for change, *_ in SETTINGS_CHANGES + TEXT_CHANGES]
    projects = {"default": render(output / "default", cookiecutter_config)}
    for change in changes:
        if change.option not in projects:
            projects[change.option] = render(output / change.option, cookiecutter_config, {change.option: change.value})
    return projects


def test_every_option_has_a_change_test() -> None:
    changed = {change.option for change, *_ in SETTINGS_CHANGES + TEXT_CHANGES}

    assert changed == set(OPTIONS)


def test_each_option_is_changed_to_one_value_only() -> None:
    values: dict[str, set[str]] = {}
    for change, *_ in SETTINGS_CHANGES + TEXT_CHANGES:
        values.setdefault(change.option, set()).add(change.value)

    assert {option: len(choices) for option, choices in values.items()} == dict.fromkeys(values, 1)


def changed_file(renders: dict[str, Path], change: Change) -> str:
    differences = tree_differences(renders[change.option], renders["default"])
    assert f"differs: {change.file}" in differences, differences
    return (renders[change.option] / change.file).read_text()


@pytest.mark.parametrize(
    ("change", "setting", "expected"),
    [pytest.param(*row, id=f"{row[0].option}={row[0].value}") for row in SETTINGS_CHANGES],
)
def test_given_an_option_changed_then_the_settings_file_changes_and_holds_the_value(
    renders: dict[str, Path], change: Change, setting: str, expected: Any
) -> None:
    changed_file(renders, change)

    assert getattr(generated_settings(renders[change.option]), setting) == expected
    assert getattr(generated_settings(renders["default"]), setting) != expected


@pytest.mark.parametrize(
    ("change", "texts"),
    [pytest.param(*row, id=f"{row[0].option}={row[0].value}:{row[0].file}") for row in TEXT_CHANGES],
)
def test_given_an_option_changed_then_its_file_changes_and_says_so(
    renders: dict[str, Path], change: Change, texts: tuple[str, ...]
) -> None:
    changed = changed_file(renders, change)
    default = (renders["default"] / change.file).read_text()

    for text in texts:
        assert text in changed
        assert text not in default
