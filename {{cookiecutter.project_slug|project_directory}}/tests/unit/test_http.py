"""The API handlers' HTTP: the Idempotency-Key header, JSON media types, the caller, links and the body's bytes."""

import json
from typing import Any

import pytest

from {{ cookiecutter.package_name }}.handlers.http import (
    InvalidIdempotencyKey,
    base_path,
    caller_principal,
    canonical_json,
    field_problems,
    idempotency_key_from,
    is_json_content_type,
    link,
    with_json_media_type_in_lowercase,
)


def event_with(header_lines: list[tuple[str, str]]) -> dict[str, Any]:
    """A proxy event's two header fields as API Gateway fills them from the lines sent."""
    multi_value_headers: dict[str, list[str]] = {}
    for name, value in header_lines:
        multi_value_headers.setdefault(name, []).append(value)
    return {
        "headers": {name: values[-1] for name, values in multi_value_headers.items()},
        "multiValueHeaders": multi_value_headers,
    }


def test_the_idempotency_key_header_is_found_whatever_its_case() -> None:
    assert idempotency_key_from(event_with([("idempotency-key", " k-1 ")])) == "k-1"
    assert idempotency_key_from({"headers": {"Idempotency-Key": "k-1"}}) == "k-1"


def test_the_same_idempotency_key_on_two_header_lines_is_one_key() -> None:
    assert idempotency_key_from(event_with([("Idempotency-Key", "k-1"), ("idempotency-key", "k-1")])) == "k-1"


def test_different_idempotency_keys_on_two_header_lines_are_refused_not_one_chosen() -> None:
    # Given two header lines with different keys (headers holds only the last one)
    event = event_with([("Idempotency-Key", "k-1"), ("Idempotency-Key", "k-2")])
    # When the key is read; Then neither is chosen, and the message says why
    with pytest.raises(InvalidIdempotencyKey, match="sent 2 times with different values"):
        idempotency_key_from(event)


@pytest.mark.parametrize(
    "header_lines",
    [
        [],
        [("Idempotency-Key", "")],
        [("Idempotency-Key", "k" * 129)],
        [("Idempotency-Key", "clé")],
        [("Idempotency-Key", "a b")],
    ],
    ids=["missing", "empty", "too-long", "non-ascii", "space"],
)
def test_unusable_idempotency_keys_are_rejected(header_lines: list[tuple[str, str]]) -> None:
    with pytest.raises(InvalidIdempotencyKey):
        idempotency_key_from(event_with(header_lines))


@pytest.mark.parametrize(
    ("content_type", "is_json"),
    [
        ("application/json", True),
        ("Application/JSON; charset=utf-8", True),
        ("APPLICATION/JSON", True),
        (None, True),
        (" ", True),
        ("text/plain", False),
        ("application/x-www-form-urlencoded", False),
        ("application/json-patch+json", False),
    ],
)
def test_only_json_in_any_case_or_no_content_type_counts_as_json(content_type: str | None, is_json: bool) -> None:
    # Given a request's Content-Type; When it is checked; Then only JSON (or none, read as JSON) passes
    event = event_with([] if content_type is None else [("content-type", content_type)])
    assert is_json_content_type(event) is is_json


def test_a_json_media_type_in_any_case_reaches_the_validation_in_lowercase_with_its_parameters() -> None:
    # Given a JSON body declared with capitals and a charset
    event = event_with([("Content-Type", "Application/JSON; charset=UTF-8")])
    # When the event is prepared for Powertools' validation, which matches the media type case-sensitively
    prepared = with_json_media_type_in_lowercase(event)
    # Then both header fields carry the lowercase media type, with the parameters as sent
    assert prepared["headers"]["Content-Type"] == "application/json; charset=UTF-8"
    assert prepared["multiValueHeaders"]["Content-Type"] == ["application/json; charset=UTF-8"]
    assert event["headers"]["Content-Type"] == "Application/JSON; charset=UTF-8"


def test_another_media_type_is_left_as_sent() -> None:
    event = event_with([("Content-Type", "Text/Plain")])
    assert with_json_media_type_in_lowercase(event) == event


@pytest.mark.parametrize(
    ("user_arn", "principal"),
    [
        ("arn:aws:iam::123456789012:user/alice", "arn:aws:iam::123456789012:user/alice"),
        (
            "arn:aws:sts::123456789012:assumed-role/billing/session-1",
            "arn:aws:sts::123456789012:assumed-role/billing",
        ),
        ("arn:aws:iam::123456789012:root", "arn:aws:iam::123456789012:root"),
        (None, None),
    ],
    ids=["user", "assumed-role", "root", "unsigned"],
)
def test_the_caller_is_the_signing_principal_with_a_role_session_dropped(
    user_arn: str | None, principal: str | None
) -> None:
    # Given API Gateway's identity of a request (userArn only for AWS_IAM methods)
    event = {"requestContext": {"identity": {"userArn": user_arn, "sourceIp": "192.0.2.1"}}}
    # Then the caller is that principal; renewed credentials of one role (a new session) are the same caller
    assert caller_principal(event) == principal


@pytest.mark.parametrize(
    ("called", "route", "expected_base"),
    [
        ("/prod/{{ cookiecutter.domain_plural | kebab }}", "/{{ cookiecutter.domain_plural | kebab }}", "/prod"),
        ("/v1/{{ cookiecutter.domain_plural | kebab }}", "/{{ cookiecutter.domain_plural | kebab }}", "/v1"),
        ("/{{ cookiecutter.domain_plural | kebab }}", "/{{ cookiecutter.domain_plural | kebab }}", ""),
    ],
    ids=["execute-api-stage", "custom-domain-base-path", "custom-domain-root"],
)
def test_links_resolve_against_the_url_called_with_its_stage_or_base_path(
    called: str, route: str, expected_base: str
) -> None:
    # Given the path the client called and the route within the API
    event = {"path": route, "requestContext": {"path": called}}
    # When a link to a created resource is made; Then it keeps what preceded the route
    assert base_path(event) == expected_base
    assert link(event, f"{route}/id-1") == f"{expected_base}{route}/id-1"


def test_a_body_is_serialized_the_same_whatever_order_its_keys_were_built_in() -> None:
    built = {"id": "1", "status": "PENDING", "links": {"self": "/x/1"}}
    replayed = json.loads(json.dumps(built, sort_keys=True))
    assert canonical_json(built) == canonical_json(replayed) == json.dumps(replayed, separators=(",", ":"))


def test_a_refused_body_names_each_field_by_its_path_and_a_body_that_is_not_json_as_a_whole() -> None:
    # Given Powertools' validation errors: a field out of range, and a body cut off after 16 characters
    out_of_range = {"type": "greater_than_equal", "loc": ("body", "items", 0, "quantity"), "msg": "too small"}
    not_json = {
        "type": "json_invalid",
        "loc": ("body", 16),
        "msg": "JSON decode error",
        "ctx": {"error": "Expecting value"},
    }
    # When they become the ApiError's fields
    problems = field_problems([out_of_range, not_json])
    # Then the field is named by its dotted path, and the parse failure belongs to the body, at its character
    assert problems == [
        {"field": "items.0.quantity", "message": "too small"},
        {"field": "", "message": "not JSON: Expecting value at character 16"},
    ]
