"""Hostile requests against the local API: every one gets a 4xx with a clear JSON error and writes nothing.

Hypothesis draws them from what the API declares (the request model's fields and limits, the
Idempotency-Key rules): invalid JSON, wrong types, out-of-range or huge quantities, unknown fields,
missing, empty, oversized or non-ASCII keys, several different keys in one request, oversized bodies
and wrong content types. The number of cases follows the Hypothesis profile (``HYPOTHESIS_PROFILE=soak``
runs many more).
"""

import json
import string
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from local.aws import ServiceOnEmbeddedAws
from tests.local.support import COLLECTION, VALID_BODY, Client, item_counts, new_key

pytestmark = pytest.mark.usefixtures("settled")

MAX_KEY_LENGTH = 128
JSON = "application/json"

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)
printable = string.ascii_letters + string.digits + string.punctuation

bad_keys = st.one_of(
    st.none(),
    st.text(alphabet=" \t", max_size=3),
    st.text(alphabet=printable, min_size=MAX_KEY_LENGTH + 1, max_size=4 * MAX_KEY_LENGTH),
    st.text(min_size=1, max_size=40).filter(lambda key: any(not "!" <= char <= "~" for char in key.strip())),
)
bad_quantities = st.one_of(
    st.integers(max_value=0),
    st.integers(min_value=1001),
    st.integers(min_value=10**18),
    st.floats(allow_nan=False),
    st.text(max_size=5),
    st.none(),
)


def with_item(quantity: Any) -> dict[str, Any]:
    return {"customer_id": "c-1", "items": [{"sku": "sku-1", "quantity": quantity}]}


bad_bodies = st.one_of(
    # Not JSON at all, or truncated JSON
    st.text(max_size=50).filter(lambda text: not _parses(text)),
    st.just(json.dumps(VALID_BODY)[:-1]),
    # JSON, but not an order
    json_values.filter(lambda value: not isinstance(value, dict) or set(value) != set(VALID_BODY)).map(json.dumps),
    st.fixed_dictionaries({"customer_id": json_values, "items": json_values})
    .filter(lambda body: not isinstance(body["customer_id"], str) or not isinstance(body["items"], list))
    .map(json.dumps),
    bad_quantities.map(with_item).map(json.dumps),
    # Unknown fields, at the top and inside an item
    st.text(min_size=1, max_size=12)
    .filter(lambda name: name not in VALID_BODY)
    .map(lambda name: json.dumps(VALID_BODY | {name: 1})),
    st.just(json.dumps(with_item(1) | {"items": [{"sku": "s", "quantity": 1, "price": 0}]})),
    # Over the limits: long strings, many items, a body of several hundred kilobytes
    st.integers(min_value=65, max_value=500_000).map(lambda size: json.dumps(VALID_BODY | {"customer_id": "c" * size})),
    st.integers(min_value=51, max_value=500).map(
        lambda count: json.dumps(VALID_BODY | {"items": [with_item(1)["items"][0]] * count})
    ),
)
wrong_content_types = st.sampled_from(
    [
        "text/plain",
        "application/xml",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=b",
        # Without its boundary: Powertools cannot even start parsing it (a crash before the 415 existed).
        "multipart/form-data",
        "application/json-patch+json",
    ]
)


def _parses(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


# The Idempotency-Key header lines of a request: none, one bad key, or several different good ones.
one_bad_key = bad_keys.map(lambda key: [] if key is None else [key])
several_different_keys = st.lists(st.builds(new_key), min_size=2, max_size=4, unique=True)
one_good_key = st.builds(new_key).map(lambda key: [key])

hostile_requests = st.one_of(
    st.tuples(one_bad_key, st.just(json.dumps(VALID_BODY)), st.just(JSON)),
    st.tuples(several_different_keys, st.just(json.dumps(VALID_BODY)), st.just(JSON)),
    st.tuples(one_good_key, bad_bodies, st.just(JSON)),
    st.tuples(one_good_key, st.just(json.dumps(VALID_BODY)), wrong_content_types),
)


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(request=hostile_requests)
def test_a_hostile_request_gets_a_clear_4xx_and_writes_nothing(
    aws: ServiceOnEmbeddedAws, client: Client, request: tuple[list[str], str, str]
) -> None:
    # Given the tables as they are
    keys, body, content_type = request
    before = item_counts()
    # When the hostile request is sent
    lines = [("Content-Type", content_type)] + [("Idempotency-Key", key) for key in keys]
    response = client.request("POST", COLLECTION, lines, body)
    aws.settle()
    # Then it is refused with a 4xx whose JSON body names the problem, and no table changed
    assert 400 <= response.status_code < 500, response
    assert isinstance(response.body, dict), response
    assert response.body.get("error") and response.body.get("message"), response
    assert item_counts() == before
