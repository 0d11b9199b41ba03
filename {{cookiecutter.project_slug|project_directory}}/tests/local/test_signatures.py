"""api_auth iam, served as `make serve` serves it: the API refuses an unsigned call as API Gateway does, and a call
SigV4-signed for its region and execute-api (with any credentials) goes through, so clients sign as on AWS."""

import json

import pytest
from embedded_aws.services.apigateway import LocalApi

from infra.settings import SETTINGS
from local.aws import ServiceOnEmbeddedAws
from tests.local.support import VALID_BODY, item_counts, new_key, sigv4_signed

pytestmark = [
    pytest.mark.usefixtures("settled"),
    pytest.mark.skipif(SETTINGS.api_auth != "iam", reason="generated with api_auth none: no method needs a signature"),
]


def signed_headers(key: str, region: str) -> list[tuple[str, str]]:
    """The header lines of a POST of VALID_BODY, SigV4-signed for ``region`` and execute-api with made-up
    credentials."""
    headers = [("Content-Type", "application/json"), ("Idempotency-Key", key)]
    return sigv4_signed("POST", SETTINGS.route, headers, json.dumps(VALID_BODY), region=region)


def test_an_unsigned_or_wrongly_scoped_call_gets_api_gateways_403_and_writes_nothing(
    aws: ServiceOnEmbeddedAws,
) -> None:
    # Given the API checking signatures, and every table's item count
    api = LocalApi(aws, check_signatures=True)
    before = item_counts()
    # When a create arrives unsigned, and signed for another region
    unsigned = api.request(
        "POST", SETTINGS.route, [("Content-Type", "application/json"), ("Idempotency-Key", new_key())], VALID_BODY
    )
    elsewhere = api.request("POST", SETTINGS.route, signed_headers(new_key(), "ap-south-2"), json.dumps(VALID_BODY))
    aws.settle()
    # Then both get API Gateway's 403 and nothing was written
    assert (unsigned.status_code, unsigned.body) == (403, {"message": "Missing Authentication Token"})
    assert elsewhere.status_code == 403 and "valid region" in elsewhere.body["message"]
    assert item_counts() == before


def test_a_call_signed_for_the_apis_region_with_any_credentials_is_served(aws: ServiceOnEmbeddedAws) -> None:
    # Given the API checking signatures
    api = LocalApi(aws, check_signatures=True)
    # When a create arrives SigV4-signed for the API's region with made-up credentials
    headers = signed_headers(new_key(), SETTINGS.aws_region)
    response = api.request("POST", SETTINGS.route, headers, json.dumps(VALID_BODY))
    # Then it is created
    assert response.status_code == 201, response
