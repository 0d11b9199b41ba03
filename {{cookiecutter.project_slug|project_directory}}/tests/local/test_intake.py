"""Intake through the local API as clients call it: whose key it is, where links point, how headers are read.

Each test is one request a client may send, answered by the deployed routes and handlers end to end.
"""

import pytest
from embedded_aws.services.apigateway import LOCAL_CALLER_ARN, STAGE

from infra.settings import SETTINGS
from local.aws import ServiceOnEmbeddedAws
from tests.local.support import COLLECTION, VALID_BODY, Client, new_key, table_contents

pytestmark = pytest.mark.usefixtures("settled")

ALICE = "arn:aws:iam::123456789012:user/alice"
BOB = "arn:aws:sts::123456789012:assumed-role/billing/session-1"
IAM = SETTINGS.api_auth == "iam"


@pytest.mark.skipif(not IAM, reason="with api_auth=none there is no caller identity: keys are global")
def test_two_callers_with_the_same_key_get_two_independent_entities_and_cannot_read_each_others(
    client: Client,
) -> None:
    # Given a key that two callers both happen to choose
    key = new_key()
    # When each posts with it, Bob with another body
    alice = client.post(VALID_BODY, key, caller=ALICE)
    bob = client.post({**VALID_BODY, "customer_id": "c-2"}, key, caller=BOB)
    # Then each gets a new entity of their own (no 422, no replay of the other's answer)
    assert (alice.status_code, bob.status_code) == (201, 201)
    assert alice.body["id"] != bob.body["id"]
    # And each reads their own, while the other's answers 404 as if it did not exist
    assert client.get(alice.body["id"], caller=ALICE).body["customer_id"] == "c-1"
    assert client.get(bob.body["id"], caller=BOB).body["customer_id"] == "c-2"
    for reader, other_id in ((BOB, alice.body["id"]), (ALICE, bob.body["id"])):
        response = client.get(other_id, caller=reader)
        assert (response.status_code, response.body["error"]) == (404, "not_found")


@pytest.mark.skipif(not IAM, reason="with api_auth=none there is no caller identity: keys are global")
def test_a_role_caller_with_renewed_credentials_replays_its_first_answer(client: Client) -> None:
    # Given an entity created by a role's session
    key = new_key()
    first = client.post(VALID_BODY, key, caller=BOB)
    # When the same role retries under a new session (its credentials renewed)
    retry = client.post(VALID_BODY, key, caller=BOB.replace("session-1", "session-2"))
    # Then it is the same caller: the first answer, not a second entity
    assert (retry.status_code, retry.raw_body) == (201, first.raw_body)


@pytest.mark.skipif(IAM, reason="with api_auth=iam keys are per caller")
def test_without_caller_identity_a_key_is_global(client: Client) -> None:
    # Given a key used once; When anyone sends it again with the same body; Then the first answer comes back
    key = new_key()
    first = client.post(VALID_BODY, key, caller=ALICE)
    again = client.post(VALID_BODY, key, caller=BOB)
    assert again.raw_body == first.raw_body
    assert client.get(first.body["id"], caller=BOB).status_code == 200


@pytest.mark.parametrize("base", [f"/{STAGE}", ""], ids=["execute-api-stage", "custom-domain"])
def test_the_location_resolves_against_the_url_called_with_or_without_the_stage(client: Client, base: str) -> None:
    # Given the API called through its stage URL, or through a custom domain without a base path
    # When an entity is created
    lines = [("Content-Type", "application/json"), ("Idempotency-Key", new_key())]
    created = client.request("POST", f"{base}{COLLECTION}", lines, VALID_BODY)
    # Then Location and the body's link keep that base, and following them reads the entity
    location = created.headers["Location"]
    assert location == created.body["links"]["self"] == f"{base}{COLLECTION}/{created.body['id']}"
    assert client.request("GET", location).body["id"] == created.body["id"]


@pytest.mark.parametrize(
    "content_type", ["Application/JSON", "APPLICATION/JSON; charset=UTF-8", "application/json;charset=utf-8"]
)
def test_a_json_media_type_in_any_case_or_with_parameters_creates_the_entity(client: Client, content_type: str) -> None:
    response = client.post(VALID_BODY, new_key(), content_type=content_type)
    assert response.status_code == 201, response


def test_two_different_idempotency_keys_in_one_request_are_refused_and_write_nothing(
    aws: ServiceOnEmbeddedAws, client: Client
) -> None:
    # Given a request with two Idempotency-Key header lines of different values
    before = table_contents()
    lines = [("Content-Type", "application/json"), ("Idempotency-Key", new_key()), ("Idempotency-Key", new_key())]
    # When it is sent
    response = client.request("POST", COLLECTION, lines, VALID_BODY)
    aws.settle()
    # Then it is a 400 that says why, and nothing was stored
    assert response.status_code == 400
    assert response.body["error"] == "invalid_idempotency_key"
    assert "different values" in response.body["message"]
    assert table_contents() == before


def test_the_same_idempotency_key_on_two_header_lines_is_one_key(client: Client) -> None:
    key = new_key()
    lines = [("Content-Type", "application/json"), ("Idempotency-Key", key), ("idempotency-key", key)]
    first = client.request("POST", COLLECTION, lines, VALID_BODY)
    assert first.status_code == 201
    assert client.post(VALID_BODY, key).body["id"] == first.body["id"]


def test_a_replayed_answer_is_byte_identical_to_the_first(client: Client) -> None:
    # Given an accepted request; When it is sent again; Then the answer's bytes are the same, headers included
    key = new_key()
    first = client.post(VALID_BODY, key)
    replay = client.post(VALID_BODY, key)
    assert replay.raw_body == first.raw_body
    assert replay.headers["Location"] == first.headers["Location"]


@pytest.mark.skipif(not IAM, reason="with api_auth=none no method has IAM authorization: the header is ignored")
def test_the_local_caller_header_must_name_an_iam_principal(client: Client) -> None:
    response = client.post(VALID_BODY, new_key(), caller="alice")
    assert response.status_code == 400
    assert response.body["error"] == "invalid_local_caller"
    assert LOCAL_CALLER_ARN in response.body["message"]
