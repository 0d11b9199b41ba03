"""Accepting {{ cookiecutter.domain_plural }}: deterministic ids, the stored items and the Idempotency-Key rules."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.logic.intake import (
    InvalidIdempotencyKey,
    created_response,
    entity_id_for,
    idempotency_key_from,
    is_json_content_type,
    is_same_request,
    plan_creation,
)
from {{ cookiecutter.package_name }}.models import EVENT_TYPE, {{ cookiecutter.domain | pascal }}Request

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
REQUEST = {{ cookiecutter.domain | pascal }}Request.model_validate(
    {"customer_id": "c-1", "items": [{"sku": "sku-1", "quantity": 2}]},
)


def test_the_same_key_always_derives_the_same_ids_and_other_keys_do_not() -> None:
    first = plan_creation(REQUEST, "key-1", NOW, timedelta(days=7))
    again = plan_creation(REQUEST, "key-1", NOW + timedelta(days=30), timedelta(days=7))
    other = plan_creation(REQUEST, "key-2", NOW, timedelta(days=7))
    assert first.entity["id"] == again.entity["id"] == entity_id_for("key-1")
    assert first.outbox_event["event_id"] == again.outbox_event["event_id"]
    assert other.entity["id"] != first.entity["id"]
    assert other.outbox_event["event_id"] != first.outbox_event["event_id"]


def test_a_new_entity_is_pending_and_its_event_expires_after_the_retention() -> None:
    creation = plan_creation(REQUEST, "key-1", NOW, timedelta(days=7))
    assert creation.entity["status"] == "PENDING"
    assert creation.entity["request"] == {"customer_id": "c-1", "items": [{"sku": "sku-1", "quantity": 2}]}
    assert creation.outbox_event["event_type"] == EVENT_TYPE
    assert creation.outbox_event["entity_id"] == creation.entity["id"]
    assert creation.outbox_event["expires_at"] == int((NOW + timedelta(days=7)).timestamp())


def test_the_created_response_depends_only_on_stored_fields() -> None:
    creation = plan_creation(REQUEST, "key-1", NOW, timedelta(days=7))
    stored = {**creation.entity, "status": "COMPLETED", "steps": {"any": {}}}
    assert created_response(stored) == created_response(creation.entity)
    assert created_response(stored)["links"]["self"] == f"/{{ cookiecutter.domain_plural | kebab }}/{creation.entity['id']}"


def test_a_request_is_the_same_only_when_its_body_is_equal() -> None:
    entity = plan_creation(REQUEST, "key-1", NOW, timedelta(days=7)).entity
    other = {{ cookiecutter.domain | pascal }}Request.model_validate(
        {"customer_id": "c-2", "items": [{"sku": "sku-1", "quantity": 2}]},
    )
    assert is_same_request(entity, REQUEST)
    assert not is_same_request(entity, other)


@pytest.mark.parametrize(
    "body",
    [
        {"customer_id": "c-1", "items": []},
        {"customer_id": "c-1", "items": [{"sku": "s", "quantity": 0}]},
        {"customer_id": "c-1", "items": [{"sku": "s", "quantity": "2"}]},
        {"customer_id": "c-1", "items": [{"sku": "s", "quantity": 1}], "unknown": True},
        {"items": [{"sku": "s", "quantity": 1}]},
    ],
    ids=["no-items", "zero-quantity", "quantity-as-text", "unknown-field", "no-customer"],
)
def test_invalid_bodies_are_rejected(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        {{ cookiecutter.domain | pascal }}Request.model_validate(body)


def test_the_idempotency_key_header_is_found_whatever_its_case() -> None:
    assert idempotency_key_from({"idempotency-key": " k-1 "}) == "k-1"
    assert idempotency_key_from({"Idempotency-Key": "k-1"}) == "k-1"


@pytest.mark.parametrize(
    "headers",
    [
        None,
        {},
        {"Idempotency-Key": ""},
        {"Idempotency-Key": "k" * 129},
        {"Idempotency-Key": "clé"},
        {"Idempotency-Key": "a b"},
    ],
    ids=["no-headers", "missing", "empty", "too-long", "non-ascii", "space"],
)
def test_unusable_idempotency_keys_are_rejected(headers: dict[str, str] | None) -> None:
    with pytest.raises(InvalidIdempotencyKey):
        idempotency_key_from(headers)


@pytest.mark.parametrize(
    ("headers", "is_json"),
    [
        ({"Content-Type": "application/json"}, True),
        ({"content-type": "Application/JSON; charset=utf-8"}, True),
        ({}, True),
        (None, True),
        ({"Content-Type": " "}, True),
        ({"Content-Type": "text/plain"}, False),
        ({"Content-Type": "application/x-www-form-urlencoded"}, False),
        ({"Content-Type": "application/json-patch+json"}, False),
    ],
)
def test_only_json_or_no_content_type_counts_as_json(headers: dict[str, str] | None, is_json: bool) -> None:
    # Given a request's headers; When its content type is checked; Then only JSON (or none, read as JSON) passes
    assert is_json_content_type(headers) is is_json
