"""Create and get handlers on the deployed tables: one {{ cookiecutter.domain }} per key; rejections write nothing."""

from typing import Any

import pytest
from embedded_aws.services.awslambda import LambdaRuntime

from tests.integration.support import VALID_BODY, get, item_counts, new_key, post


@pytest.fixture
def create(functions: LambdaRuntime) -> Any:
    return functions.function("create_{{ cookiecutter.domain }}")


@pytest.fixture
def read(functions: LambdaRuntime) -> Any:
    return functions.function("get_{{ cookiecutter.domain }}")


def test_a_new_request_creates_the_entity_and_its_outbox_event_together(create: Any, read: Any, dynamodb: Any) -> None:
    # Given an empty key
    before = item_counts(dynamodb)
    # When a valid body is posted with it
    response = post(create, VALID_BODY, new_key())
    # Then it is created PENDING, with one entity, one outbox event and one idempotency record more
    assert response.status_code == 201
    assert response.body["status"] == "PENDING"
    assert response.headers["Location"] == response.body["links"]["self"]
    after = item_counts(dynamodb)
    assert sum(after.values()) - sum(before.values()) == 3
    stored = get(read, response.body["id"])
    assert stored.status_code == 200
    assert stored.body["status"] == "PENDING"
    assert stored.body["items"] == VALID_BODY["items"]
    assert stored.body["steps"] == {}


def test_a_replay_returns_the_same_response_and_creates_nothing(create: Any, dynamodb: Any) -> None:
    # Given a created {{ cookiecutter.domain }}
    key = new_key()
    first = post(create, VALID_BODY, key)
    before = item_counts(dynamodb)
    # When the same request is sent again
    replay = post(create, VALID_BODY, key)
    # Then the answer is identical and nothing new is stored
    assert (replay.status_code, replay.body) == (first.status_code, first.body)
    assert item_counts(dynamodb) == before


def test_the_same_key_with_another_body_is_rejected_with_422(create: Any, dynamodb: Any) -> None:
    key = new_key()
    post(create, VALID_BODY, key)
    before = item_counts(dynamodb)
    response = post(create, {**VALID_BODY, "customer_id": "someone-else"}, key)
    assert response.status_code == 422
    assert response.body["error"] == "idempotency_key_reused"
    assert item_counts(dynamodb) == before


def test_after_the_idempotency_record_expired_a_retry_still_creates_nothing(create: Any, dynamodb: Any) -> None:
    # Given a created {{ cookiecutter.domain }} whose idempotency records have expired (TTL deleted them)
    key = new_key()
    first = post(create, VALID_BODY, key)
    idempotency_table = next(name for name in dynamodb.list_tables()["TableNames"] if "Idempotency" in name)
    for item in dynamodb.scan(TableName=idempotency_table)["Items"]:
        dynamodb.delete_item(TableName=idempotency_table, Key={"id": item["id"]})
    entities_before = item_counts(dynamodb)
    # When the same request arrives again, and then the key with another body
    retry = post(create, VALID_BODY, key)
    reused = post(create, {**VALID_BODY, "customer_id": "someone-else"}, key)
    # Then the stored {{ cookiecutter.domain }} answers the retry, the other body is refused,
    # and no entity or event is added
    assert (retry.status_code, retry.body) == (201, first.body)
    assert reused.status_code == 422
    after = item_counts(dynamodb)
    assert {t: n for t, n in after.items() if t != idempotency_table} == {
        t: n for t, n in entities_before.items() if t != idempotency_table
    }


@pytest.mark.parametrize(
    ("body", "key", "error"),
    [
        (VALID_BODY, None, "invalid_idempotency_key"),
        (VALID_BODY, "", "invalid_idempotency_key"),
        ("{not json", "k", "invalid_request"),
        ({"customer_id": "c-1", "items": []}, "k", "invalid_request"),
        ({**VALID_BODY, "unknown": 1}, "k", "invalid_request"),
        (None, "k", "invalid_request"),
        ([VALID_BODY], "k", "invalid_request"),
    ],
    ids=["missing-key", "empty-key", "malformed-json", "no-items", "unknown-field", "no-body", "array-body"],
)
def test_a_bad_request_gets_400_with_a_clear_body_and_writes_nothing(
    create: Any, dynamodb: Any, body: Any, key: str | None, error: str
) -> None:
    # Given the current contents of every table
    before = item_counts(dynamodb)
    # When a bad request arrives (with a fresh key, so it could not be a replay)
    response = post(create, body, None if key is None else (key and new_key()))
    # Then it is refused with 400 and a JSON error naming the problem, and no table changed
    assert response.status_code == 400
    assert response.body["error"] == error
    assert response.body["message"]
    assert item_counts(dynamodb) == before


def test_an_invalid_body_names_the_offending_field(create: Any) -> None:
    response = post(create, {"customer_id": "c-1", "items": [{"sku": "s", "quantity": 0}]}, new_key())
    assert response.status_code == 400
    assert [field["field"] for field in response.body["fields"]] == ["items.0.quantity"]


def test_an_unknown_id_is_404(read: Any) -> None:
    response = get(read, "00000000-0000-0000-0000-000000000000")
    assert response.status_code == 404
    assert response.body["error"] == "not_found"
