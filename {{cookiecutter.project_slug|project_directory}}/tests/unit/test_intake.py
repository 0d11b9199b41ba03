"""Accepting {{ cookiecutter.domain_plural }}: ids derived from the caller's Idempotency-Key, and the stored items."""

from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from {{ cookiecutter.package_name }}.logic.intake import created_response, entity_id_for, is_same_request, plan_creation
from {{ cookiecutter.package_name }}.logic.views import is_visible_to
from {{ cookiecutter.package_name }}.models import EVENT_TYPE, {{ cookiecutter.domain | pascal }}Request

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
ALICE = "arn:aws:iam::123456789012:user/alice"
BOB = "arn:aws:sts::123456789012:assumed-role/billing"
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


def test_a_key_belongs_to_its_caller_so_two_callers_with_one_key_derive_two_ids() -> None:
    # Given one Idempotency-Key used by two IAM principals, and by a caller without an identity
    # When each plans a creation
    alice = plan_creation(REQUEST, "1", NOW, timedelta(days=7), ALICE)
    bob = plan_creation(REQUEST, "1", NOW, timedelta(days=7), BOB)
    anonymous = plan_creation(REQUEST, "1", NOW, timedelta(days=7))
    # Then each gets its own ids, stable for that caller, and the entity records who may read it
    assert len({alice.entity["id"], bob.entity["id"], anonymous.entity["id"]}) == 3
    assert len({alice.outbox_event["event_id"], bob.outbox_event["event_id"]}) == 2
    assert alice.entity["id"] == entity_id_for("1", ALICE)
    assert (alice.entity["principal"], "principal" in anonymous.entity) == (ALICE, False)


def test_an_entity_is_visible_to_its_creator_only_and_one_without_a_creator_to_everyone() -> None:
    owned = plan_creation(REQUEST, "1", NOW, timedelta(days=7), ALICE).entity
    unowned = plan_creation(REQUEST, "1", NOW, timedelta(days=7)).entity
    assert is_visible_to(owned, ALICE)
    assert not is_visible_to(owned, BOB)
    assert not is_visible_to(owned, None)
    assert is_visible_to(unowned, BOB) and is_visible_to(unowned, None)


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
    assert created_response(stored) == {"id": creation.entity["id"], "status": "PENDING", "created_at": NOW.isoformat()}


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
