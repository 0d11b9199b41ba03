"""The supported option combinations the template is checked with.

The six two-valued choices (workflow type, dlq, tracing, api_auth, runtime, architecture) are covered
pairwise: the first six rows form a covering array, the rest add the exotic all-non-default row and
vary step lists (one step with no compensation, only steps without compensations, ten steps), domains,
names, TTLs and regions (two besides us-east-1 with dlq enabled). tests/test_render_matrix.py proves the
coverage. Each of the three licenses meets both values of those six too: four rows set one, the rest are MIT.
"""

from __future__ import annotations

from dataclasses import dataclass, field

DEFAULT_STEPS = "reserve_inventory:release_inventory, process_payment:refund_payment, send_notification"
# Compensatable, plain before the pivot, compensatable, then two retriable steps after the last compensatable one.
LONG_MIXED_STEPS = (
    "reserve_stock:release_stock, validate_customer, charge_card:refund_card, notify_customer, update_crm"
)
TEN_STEPS = (
    "validate_order, reserve_stock:release_stock, reserve_credit:release_credit, authorize_payment:void_payment,"
    " allocate_courier:cancel_courier, capture_payment:refund_payment, issue_invoice:void_invoice,"
    " notify_customer, update_crm, publish_analytics"
)


@dataclass(frozen=True)
class Combination:
    id: str
    # Only the options that differ from cookiecutter.json's defaults, as a user would pass them.
    options: dict[str, str] = field(default_factory=dict)


COMBINATIONS: tuple[Combination, ...] = (
    Combination("default"),
    Combination(
        "express-nodlq-notracing-one-retriable-step",
        {
            "workflow_type": "EXPRESS",
            "dlq": "disabled",
            "tracing": "disabled",
            "architecture": "x86_64",
            "saga_steps": "send_confirmation",
            "domain": "subscription",
            "project_name": "Subscription Hub",
        },
    ),
    Combination(
        "express-nodlq-public-one-compensatable-step",
        {
            "workflow_type": "EXPRESS",
            "dlq": "disabled",
            "api_auth": "none",
            "saga_steps": "book_courier:cancel_courier",
            "domain": "shipment",
            "idempotency_ttl_hours": "1",
            "outbox_retention_days": "1",
        },
    ),
    Combination(
        "express-notracing-py312-only-compensatable-steps",
        {
            "workflow_type": "EXPRESS",
            "tracing": "disabled",
            "python_runtime": "3.12",
            "saga_steps": "reserve_seat:release_seat, charge_card:refund_card",
            "domain": "reservation",
            "aws_region": "eu-west-1",
            "license": "Apache-2.0",
        },
    ),
    Combination(
        "nodlq-public-py312-x86-package-override",
        {
            "dlq": "disabled",
            "api_auth": "none",
            "python_runtime": "3.12",
            "architecture": "x86_64",
            "project_name": "Billing API",
            "package_name": "billing_core",
            "domain": "invoice",
            "saga_steps": "validate_invoice, charge_card:refund_card, email_receipt",
        },
    ),
    Combination(
        "notracing-public-py312-x86-ten-steps",
        {
            "tracing": "disabled",
            "api_auth": "none",
            "python_runtime": "3.12",
            "architecture": "x86_64",
            "saga_steps": TEN_STEPS,
        },
    ),
    Combination(
        "exotic-booking-express-long-steps",
        {
            "workflow_type": "EXPRESS",
            "dlq": "disabled",
            "tracing": "disabled",
            "api_auth": "none",
            "python_runtime": "3.12",
            "architecture": "x86_64",
            "saga_steps": LONG_MIXED_STEPS,
            "domain": "booking",
            "license": "proprietary",
        },
    ),
    Combination(
        "booking-long-steps-long-ttl-sydney",
        {
            "saga_steps": LONG_MIXED_STEPS,
            "domain": "booking",
            "idempotency_ttl_hours": "720",
            "outbox_retention_days": "30",
            "aws_region": "ap-southeast-2",
            "license": "proprietary",
        },
    ),
    Combination(
        "punctuated-project-name-nodlq-notracing",
        {
            "project_name": "ACME Payments: Refund Desk!",
            "dlq": "disabled",
            "tracing": "disabled",
            # An irregular plural, given by the user.
            "domain": "person",
            "domain_plural": "people",
        },
    ),
    Combination(
        "explicit-slug-and-package-express-public-py312",
        {
            "project_slug": "fulfilment",
            "package_name": "fulfilment_svc",
            "domain": "parcel",
            "workflow_type": "EXPRESS",
            "api_auth": "none",
            "python_runtime": "3.12",
        },
    ),
    Combination(
        "only-retriable-steps-notracing-py312-x86",
        {
            "saga_steps": "notify_customer, update_crm",
            "tracing": "disabled",
            "python_runtime": "3.12",
            "architecture": "x86_64",
        },
    ),
    Combination(
        "two-word-domain-express-nodlq-py312-x86",
        {
            "domain": "payment_intent",
            "workflow_type": "EXPRESS",
            "dlq": "disabled",
            "python_runtime": "3.12",
            "architecture": "x86_64",
        },
    ),
    Combination(
        "year-long-ttl-nodlq-public-x86-frankfurt",
        {
            "idempotency_ttl_hours": "8760",
            "outbox_retention_days": "365",
            "aws_region": "eu-central-1",
            "dlq": "disabled",
            "api_auth": "none",
            "architecture": "x86_64",
            # The derived plural: companies, /companies.
            "domain": "company",
            "license": "Apache-2.0",
        },
    ),
    Combination(
        "plain-step-before-compensatable-express-public-x86",
        {
            "saga_steps": "validate_customer, reserve_stock:release_stock",
            "workflow_type": "EXPRESS",
            "api_auth": "none",
            "architecture": "x86_64",
            "aws_region": "us-west-2",
        },
    ),
    # One step, no compensation: no pivot, so the step can fail the saga and nothing is compensated.
    Combination("single-step-without-compensation", {"saga_steps": "post_entry", "project_name": "Ledger Poster"}),
)
BY_ID = {combination.id: combination for combination in COMBINATIONS}
# The combinations whose whole generated suite `make test` runs (tests/test_generated_suite.py); diverse on
# purpose: both workflow types, with and without queues, tracing and auth, both runtimes and architectures, a
# region besides us-east-1, sagas of 1 to 5 steps, with and without compensations. The render matrix leaves
# to that suite the checks it repeats (the unit tests, cfn-lint), so each runs once per combination.
WHOLE_SUITE_IDS = (
    "default",
    "exotic-booking-express-long-steps",
    "express-notracing-py312-only-compensatable-steps",
    "only-retriable-steps-notracing-py312-x86",
    "single-step-without-compensation",
)
