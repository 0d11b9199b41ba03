"""Unit tests of hooks/pre_gen_project.py: every bad value is named in the message, every good one passes."""

from __future__ import annotations

from typing import Any

import pytest

from local_extensions import load_hook
from tests.combinations import TEN_STEPS
from tests.helpers import CHOICES, REPO_ROOT, resolve_options

hook = load_hook("pre_gen_project")
# Cookiecutter adds where the template is; the hook reads the generated project's saga definition there.
DEFAULTS = resolve_options()
FOUR_COMPENSATABLE_STEPS = "reserve_stock:release_stock, reserve_credit:release_credit, charge:refund, ship:recall"


def options_with(**changes: object) -> dict[str, Any]:
    return {**DEFAULTS, **changes}


def test_given_the_defaults_when_validated_then_they_pass() -> None:
    hook.validate(options_with(), REPO_ROOT)


GOOD_VALUES = [
    pytest.param("saga_steps", "send_email", id="one-plain-step"),
    pytest.param("saga_steps", "charge_card:refund_card", id="one-compensatable-step"),
    pytest.param("saga_steps", ", ".join(f"step_{n}" for n in range(10)), id="ten-steps"),
    pytest.param("saga_steps", "  reserve_seat :  release_seat ,send_ticket  ", id="steps-with-spaces"),
    pytest.param("saga_steps", "step2:undo_step2", id="steps-with-digits"),
    pytest.param("saga_steps", "reserve_inventory:release_inventory, send_email,", id="trailing-comma"),
    pytest.param("domain", "line_item", id="two-word-domain"),
    pytest.param("domain_plural", "people", id="irregular-plural"),
    pytest.param("domain_plural", "line_items", id="two-word-plural"),
    pytest.param("domain_plural", "a" * 26, id="plural-of-the-longest-length"),
    pytest.param("package_name", "billing_core2", id="package-with-digit"),
    pytest.param("project_slug", "a", id="one-letter-slug"),
    pytest.param("project_slug", "billing-api-2", id="slug-with-digit"),
    pytest.param("project_name", "ACME Payments: Refund Desk!", id="punctuated-project-name"),
    pytest.param("idempotency_ttl_hours", "1", id="ttl-one-hour"),
    pytest.param("idempotency_ttl_hours", " 48 ", id="ttl-with-spaces"),
    pytest.param("outbox_retention_days", "3650", id="retention-ten-years"),
    pytest.param("aws_region", "eu-central-1", id="region-eu-central-1"),
    pytest.param("aws_region", "us-gov-west-1", id="region-govcloud"),
    pytest.param("aws_region", "ap-southeast-2", id="region-sydney"),
    *(pytest.param(option, value, id=f"{option}-{value}") for option, values in CHOICES.items() for value in values),
]


@pytest.mark.parametrize(("option", "value"), GOOD_VALUES)
def test_given_a_good_value_when_validated_then_it_passes(option: str, value: str) -> None:
    hook.validate(options_with(**{option: value}), REPO_ROOT)


# (option, value, a fragment of the reason the message must give)
BAD_VALUES = [
    pytest.param("saga_steps", "", "at least one step", id="no-steps"),
    pytest.param("saga_steps", "   ", "at least one step", id="blank-steps"),
    pytest.param("saga_steps", ", ".join(f"step_{n}" for n in range(11)), "at most 10", id="eleven-steps"),
    pytest.param("saga_steps", "ReserveInventory", "snake_case", id="step-in-pascal-case"),
    pytest.param("saga_steps", "reserve-inventory", "snake_case", id="step-with-dash"),
    pytest.param("saga_steps", "reserve__inventory", "snake_case", id="step-with-double-underscore"),
    pytest.param("saga_steps", "1st_step", "snake_case", id="step-starting-with-digit"),
    pytest.param("saga_steps", "reserve inventory", "snake_case", id="step-with-space"),
    pytest.param("saga_steps", "reserve_inventory,, send_email", "snake_case", id="empty-step-between-commas"),
    pytest.param("saga_steps", ",", "at least one step", id="lone-comma"),
    pytest.param("saga_steps", "reserve_inventory, send_email,,", "snake_case", id="two-trailing-commas"),
    pytest.param("saga_steps", ", send_email", "snake_case", id="leading-comma"),
    pytest.param("saga_steps", "reserve_inventory:", "snake_case", id="empty-compensation"),
    pytest.param("saga_steps", "charge:refund:notify", "more than one ':'", id="two-colons"),
    pytest.param("saga_steps", "import", "keyword", id="step-is-a-keyword"),
    pytest.param("saga_steps", "charge_card:match", "keyword", id="compensation-is-a-soft-keyword"),
    pytest.param("saga_steps", "send_email, send_email", "repeated: send_email", id="duplicate-step"),
    pytest.param(
        "saga_steps",
        "charge_card:refund_card, refund_card",
        "repeated: refund_card",
        id="compensation-named-like-a-step",
    ),
    pytest.param(
        "saga_steps",
        "charge_card:undo, reserve_seat:undo",
        "repeated: undo",
        id="compensation-shared-by-two-steps",
    ),
    pytest.param("saga_steps", "charge_card:charge_card", "repeated: charge_card", id="step-compensates-itself"),
    pytest.param("saga_steps", "a" * 41, "longer than 40", id="step-name-too-long"),
    pytest.param("domain", "Order", "snake_case", id="domain-capitalised"),
    pytest.param("domain", "line-item", "snake_case", id="domain-with-dash"),
    pytest.param("domain", "", "snake_case", id="domain-empty"),
    pytest.param("domain", "class", "keyword", id="domain-is-a-keyword"),
    pytest.param("domain", "a" * 25, "longer than 24", id="domain-too-long"),
    pytest.param("domain_plural", "Orders", "snake_case", id="plural-capitalised"),
    pytest.param("domain_plural", "line-items", "snake_case", id="plural-with-dash"),
    pytest.param("domain_plural", "", "snake_case", id="plural-empty"),
    pytest.param("domain_plural", "a" * 27, "longer than 26", id="plural-too-long"),
    pytest.param("domain_plural", "order", "must differ from the domain", id="plural-same-as-domain"),
    pytest.param("package_name", "orders-service", "snake_case", id="package-with-dash"),
    pytest.param("package_name", "2orders", "snake_case", id="package-starting-with-digit"),
    pytest.param("package_name", "lambda", "keyword", id="package-is-a-keyword"),
    pytest.param("idempotency_ttl_hours", "0", "positive whole number", id="ttl-zero"),
    pytest.param("idempotency_ttl_hours", "-24", "positive whole number", id="ttl-negative"),
    pytest.param("idempotency_ttl_hours", "1.5", "positive whole number", id="ttl-fraction"),
    pytest.param("idempotency_ttl_hours", "a day", "positive whole number", id="ttl-words"),
    pytest.param("idempotency_ttl_hours", "", "positive whole number", id="ttl-empty"),
    # str.isdigit() accepts superscripts that int() then refuses; the hook must still answer with its message.
    pytest.param("idempotency_ttl_hours", "2\N{SUPERSCRIPT FOUR}", "positive whole number", id="ttl-superscript"),
    pytest.param("outbox_retention_days", "0", "positive whole number", id="retention-zero"),
    pytest.param("outbox_retention_days", "-7", "positive whole number", id="retention-negative"),
    pytest.param("outbox_retention_days", "7d", "positive whole number", id="retention-with-unit"),
    pytest.param("workflow_type", "standard", "not one of STANDARD, EXPRESS", id="workflow-lowercase"),
    pytest.param("dlq", "false", "not one of enabled, disabled", id="dlq-false"),
    pytest.param("dlq", "true", "not one of enabled, disabled", id="dlq-true"),
    pytest.param("tracing", "no", "not one of enabled, disabled", id="tracing-no"),
    pytest.param("api_auth", "cognito", "not one of iam, none", id="api-auth-cognito"),
    pytest.param("python_runtime", "3.11", "not one of", id="runtime-3.11"),
    pytest.param("architecture", "arm", "not one of", id="architecture-arm"),
    pytest.param("license", "mit", "not one of MIT, Apache-2.0, proprietary", id="license-lowercase"),
    pytest.param("aws_region", "US-EAST-1", "not an AWS region", id="region-uppercase"),
    pytest.param("aws_region", "useast1", "not an AWS region", id="region-without-dashes"),
    pytest.param("aws_region", "us-east", "not an AWS region", id="region-without-number"),
    pytest.param("project_slug", "Orders Service", "lowercase", id="slug-with-space"),
    pytest.param("project_slug", "orders_service", "lowercase", id="slug-with-underscore"),
    pytest.param("project_slug", "-orders", "lowercase", id="slug-leading-dash"),
    pytest.param("project_slug", "orders--service", "lowercase", id="slug-double-dash"),
    pytest.param("project_slug", "a" * 65, "at most 64", id="slug-too-long"),
    pytest.param("project_name", "   ", "at least one letter or digit", id="project-name-blank"),
    pytest.param("project_name", "!!!", "at least one letter or digit", id="project-name-punctuation-only"),
]


@pytest.mark.parametrize(("option", "value", "reason"), BAD_VALUES)
def test_given_a_bad_value_when_validated_then_the_error_names_the_option_and_reason(
    option: str, value: str, reason: str
) -> None:
    with pytest.raises(hook.OptionError) as raised:
        hook.validate(options_with(**{option: value}), REPO_ROOT)

    message = str(raised.value)
    assert message.startswith(f"{option}: "), message
    assert reason in message


def test_given_steps_with_and_without_compensations_when_parsed_then_order_and_pairs_are_kept() -> None:
    steps = hook.parse_saga_steps(" reserve_stock:release_stock , validate_customer,charge_card : refund_card ")

    assert [(step.name, step.compensation) for step in steps] == [
        ("reserve_stock", "release_stock"),
        ("validate_customer", None),
        ("charge_card", "refund_card"),
    ]


def test_given_the_default_steps_when_parsed_then_the_last_step_has_no_compensation() -> None:
    steps = hook.parse_saga_steps(DEFAULTS["saga_steps"])

    assert [(step.name, step.compensation) for step in steps] == [
        ("reserve_inventory", "release_inventory"),
        ("process_payment", "refund_payment"),
        ("send_notification", None),
    ]


def test_given_a_trailing_comma_when_parsed_then_the_list_ends_there() -> None:
    steps = hook.parse_saga_steps("reserve_stock:release_stock, send_email,")

    assert [(step.name, step.compensation) for step in steps] == [
        ("reserve_stock", "release_stock"),
        ("send_email", None),
    ]


def test_given_a_domain_when_resolved_then_its_plural_defaults_to_the_derived_one_and_can_be_overridden() -> None:
    assert DEFAULTS["domain_plural"] == "orders"
    assert resolve_options({"domain": "company"})["domain_plural"] == "companies"
    assert resolve_options({"domain": "person", "domain_plural": "people"})["domain_plural"] == "people"


def test_given_an_express_saga_that_could_outlive_five_minutes_when_validated_then_it_is_refused() -> None:
    # Given four compensatable steps at the default timeouts and retries (worst case 374 s) under EXPRESS
    options = options_with(workflow_type="EXPRESS", saga_steps=FOUR_COMPENSATABLE_STEPS)
    # When validated
    with pytest.raises(hook.OptionError) as raised:
        hook.validate(options, REPO_ROOT)
    # Then the message names the option, the figures and the ways out
    message = str(raised.value)
    assert message.startswith("saga_steps: with workflow_type EXPRESS, the saga's worst case")
    assert "374 s" in message and "300 s" in message and "STANDARD" in message


@pytest.mark.parametrize("saga_steps", [FOUR_COMPENSATABLE_STEPS, TEN_STEPS], ids=["four-compensatable", "ten"])
def test_given_a_long_saga_under_standard_when_validated_then_it_passes(saga_steps: str) -> None:
    hook.validate(options_with(saga_steps=saga_steps), REPO_ROOT)


# What cookiecutter hands the hook for a value a YAML user config file coerced: a boolean or no value as it is
# (yes, on, true -> True; no, off, false -> False; ~, null, nothing -> None), a number as its text (3.10 -> "3.1").
COERCED_CHOICES = [
    pytest.param(option, value, hint, id=f"{option}-{value!r}")
    for option in CHOICES
    for value, hint in [
        (True, hook.YAML_BOOLEAN_HINT),
        (False, hook.YAML_BOOLEAN_HINT),
        (None, hook.YAML_NULL_HINT),
        *([("3.1", hook.YAML_NUMBER_HINT), (3.12, hook.YAML_NUMBER_HINT)] if option == "python_runtime" else []),
    ]
]


@pytest.mark.parametrize(("option", "value", "hint"), COERCED_CHOICES)
def test_given_a_yaml_coerced_choice_when_validated_then_the_error_names_the_option_the_choices_and_the_cause(
    option: str, value: object, hint: str
) -> None:
    with pytest.raises(hook.OptionError) as raised:
        hook.validate(options_with(**{option: value}), REPO_ROOT)

    message = str(raised.value)
    assert message.startswith(f"{option}: "), message
    assert f"is not one of {', '.join(CHOICES[option])} ({hint})" in message


@pytest.mark.parametrize("value", [3.12, 3.13, 312, ["enabled"]], ids=["float", "float-default", "int", "list"])
def test_given_a_choice_that_is_not_text_when_validated_then_it_is_refused(value: object) -> None:
    # Cookiecutter makes a number text before the hook; whatever else reaches it must be exactly an allowed text.
    for option in CHOICES:
        with pytest.raises(hook.OptionError, match=f"^{option}: .* is not one of "):
            hook.validate(options_with(**{option: value}), REPO_ROOT)


def test_given_a_word_that_only_looks_like_a_number_when_validated_then_no_yaml_hint_is_given() -> None:
    with pytest.raises(hook.OptionError) as raised:
        hook.validate(options_with(architecture="64"), REPO_ROOT)

    assert str(raised.value) == "architecture: '64' is not one of arm64, x86_64"


@pytest.mark.parametrize("version", ["3.11", "3.14", "3.9.1"])
def test_given_an_unsupported_version_that_yaml_could_not_have_changed_when_validated_then_no_quoting_hint_is_given(
    version: str,
) -> None:
    # Quoting would not help: only a one-decimal number can be a YAML number whose trailing zero was dropped.
    with pytest.raises(hook.OptionError) as raised:
        hook.validate(options_with(python_runtime=version), REPO_ROOT)

    assert str(raised.value) == f"python_runtime: {version!r} is not one of 3.13, 3.12"


@pytest.mark.parametrize("option", [option for option in DEFAULTS if option not in CHOICES])
@pytest.mark.parametrize(
    ("value", "reason"),
    [(True, hook.YAML_BOOLEAN_HINT), (False, hook.YAML_BOOLEAN_HINT), (None, hook.YAML_NULL_HINT)],
    ids=["true", "false", "null"],
)
def test_given_a_yaml_boolean_or_null_for_a_free_text_option_when_validated_then_it_is_refused(
    option: str, value: object, reason: str
) -> None:
    # "project_name: yes" would otherwise render a service named "True".
    with pytest.raises(hook.OptionError) as raised:
        hook.validate(options_with(**{option: value}), REPO_ROOT)

    assert str(raised.value).startswith(f"{option}: ")
    assert reason in str(raised.value)
