"""Unit tests of local_extensions.py: the domain's default plural, the project directory's name and the sandbox's
refusals."""

from __future__ import annotations

import pytest
from cookiecutter.environment import StrictEnvironment
from jinja2.exceptions import UndefinedError

from local_extensions import INVALID_SLUG_DIRECTORY, kebab, load_hook, plural, project_directory, retriable_steps
from tests.helpers import REPO_ROOT, resolve_options

hook = load_hook("pre_gen_project")
DEFAULTS = resolve_options()


@pytest.mark.parametrize(
    ("singular", "expected"),
    [
        ("order", "orders"),
        ("company", "companies"),
        ("entry", "entries"),
        ("key", "keys"),
        ("day", "days"),
        ("box", "boxes"),
        ("bus", "buses"),
        ("match", "matches"),
        ("wish", "wishes"),
        ("line_item", "line_items"),
        ("payment_intent", "payment_intents"),
        ("delivery_company", "delivery_companies"),
        ("y", "ys"),
    ],
)
def test_given_a_singular_domain_then_its_default_plural_follows_the_regular_english_rules(
    singular: str, expected: str
) -> None:
    assert plural(singular) == expected


@pytest.mark.parametrize("domain", ["order", "company", "box", "line_item", "payment_intent", "b" * 23 + "y", "x" * 24])
def test_given_a_valid_domain_then_its_default_plural_passes_the_hook(domain: str) -> None:
    # Given a domain the hook accepts, up to its longest
    # When the plural is derived from it
    options = {"domain": domain, "domain_plural": plural(domain)}
    # Then the hook accepts the default too: a user is never refused a value they did not type
    hook.validate({**DEFAULTS, **options}, REPO_ROOT)


def test_given_a_snake_case_plural_then_its_route_segment_is_kebab_case() -> None:
    assert kebab("payment_intents") == "payment-intents"
    assert kebab("orders") == "orders"


def test_given_a_valid_slug_then_the_project_directory_is_named_after_it() -> None:
    assert project_directory("billing-api-2") == "billing-api-2"


@pytest.mark.parametrize("slug", ["../../outside/orders", "/tmp/orders", "orders " * 300, "Orders", ""])
def test_given_an_invalid_slug_then_the_project_directory_is_a_stand_in_the_hook_refuses(slug: str) -> None:
    # Given a slug pre_gen_project refuses, and that as a directory name could leave the output directory
    # When it names the project directory
    name = project_directory(slug)
    # Then the directory is a plain name cookiecutter can create and remove, and no valid slug shares it
    assert name == INVALID_SLUG_DIRECTORY
    assert "/" not in name
    assert not hook.is_valid_slug(name)


def sandboxed_environment() -> StrictEnvironment:
    return StrictEnvironment(context={"cookiecutter": {"_extensions": ["local_extensions.Sandbox"]}})


def test_given_a_value_that_is_not_valid_jinja_then_the_error_quotes_it_as_cookiecutter_reports_by_option() -> None:
    # Given the sandboxed environment cookiecutter renders option values in
    environment = sandboxed_environment()
    # When a value with a broken Jinja statement is compiled
    with pytest.raises(UndefinedError) as raised:
        environment.from_string("{% if %} orders")
    # Then the error is one cookiecutter reports with the option's name, and it quotes the value
    assert "'{% if %} orders' is not valid Jinja" in str(raised.value)


def test_given_valid_jinja_then_the_sandboxed_environment_renders_it() -> None:
    assert sandboxed_environment().from_string("{{ 7 * 7 }} orders").render() == "49 orders"


@pytest.mark.parametrize(
    ("steps", "expected"),
    [
        ("reserve:release, pay:refund, notify", ["notify"]),
        ("validate, reserve:release, notify, update_crm", ["notify", "update_crm"]),
        ("reserve:release, pay:refund", []),
        ("notify_customer, update_crm", []),
        ("post_entry", []),
    ],
)
def test_given_a_step_list_then_the_retriable_steps_are_those_without_compensation_after_the_last_compensatable(
    steps: str, expected: list[str]
) -> None:
    assert retriable_steps(steps) == expected
