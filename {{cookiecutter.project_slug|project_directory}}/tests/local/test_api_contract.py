"""Requests drawn from openapi.json by schemathesis, against the local API: every answer is one the description
declares, and no request, valid or not, gets a 5xx.

tests/local/test_hostile_api.py draws what the description cannot express (several Idempotency-Key lines, bodies
that are not JSON, wrong media types); this test draws from the description itself, valid requests and requests
that break it (schemathesis' positive and negative cases), so a change of a model or a route that the handlers and
the description disagree on fails here. The local API is called in-process, through a WSGI adapter: no port, no
network. The number of cases follows the Hypothesis profile, per operation.
"""

import json
from collections.abc import Callable, Iterable
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import schemathesis
from embedded_aws.services.apigateway import LocalApi
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from infra.openapi import OPENAPI_PATH
from local.aws import ServiceOnEmbeddedAws

PROJECT_ROOT = Path(__file__).resolve().parents[2]
# The local API has no stage prefix to strip and no host to reach: the path is all that is routed.
BASE_URL = "http://localhost"

pytestmark = pytest.mark.usefixtures("settled")
# positive_data_acceptance (a valid request gets a 2xx) is off: JSON Schema calls 1000.0 an integer, which the
# request model (strict) refuses, and drawn keys repeat ("0"), so a valid body may meet its key's earlier one (422).
CONFIG = SchemathesisConfig.from_dict({"checks": {"positive_data_acceptance": {"enabled": False}}})

StartResponse = Callable[[str, list[tuple[str, str]]], Any]


class WsgiLocalApi:
    """The local API as a WSGI application, which schemathesis calls in-process.

    WSGI joins a header sent on several lines into one value; the hostile-input test sends such requests itself.
    """

    def __init__(self, api: LocalApi) -> None:
        self._api = api

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        headers = [
            (name[len("HTTP_") :].replace("_", "-").title(), str(value))
            for name, value in environ.items()
            if name.startswith("HTTP_")
        ]
        if environ.get("CONTENT_TYPE"):
            headers.append(("Content-Type", environ["CONTENT_TYPE"]))
        length = int(environ.get("CONTENT_LENGTH") or 0)
        # API Gateway hands a body that is not UTF-8 to the function as text with replacement characters too.
        body = environ["wsgi.input"].read(length).decode("utf-8", errors="replace") if length else None
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        # The path as sent (percent-encoded), as the local server hands it over: PATH_INFO is already decoded, and a
        # decoded %3F would read as the start of a query string.
        path = urlsplit(environ.get("REQUEST_URI") or quote(environ["PATH_INFO"])).path
        response = self._api.request(environ["REQUEST_METHOD"], path, headers, body, query)
        status = HTTPStatus(response.status_code)
        start_response(f"{status.value} {status.phrase}", list(response.headers.items()))
        return [response.raw_body]


def locally_callable(document: dict[str, Any]) -> dict[str, Any]:
    """The description without its SigV4 requirement: the local API checks no signature (README, Running it
    locally), so a request without one is not the refusal schemathesis would expect there."""
    components = {key: value for key, value in document["components"].items() if key != "securitySchemes"}
    return {key: value for key, value in document.items() if key != "security"} | {"components": components}


@pytest.fixture(scope="module")
def api_schema(aws: ServiceOnEmbeddedAws) -> Any:
    document = json.loads((PROJECT_ROOT / OPENAPI_PATH).read_text(encoding="utf-8"))
    schema = schemathesis.openapi.from_dict(locally_callable(document), config=CONFIG)
    schema.app = WsgiLocalApi(LocalApi(aws))
    return schema


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_every_answer_to_a_drawn_request_is_declared_and_none_is_a_server_error(case: Any) -> None:
    # Given a request drawn from the description (valid, or breaking it on purpose)
    # When it is sent to the local API
    # Then no answer is a 5xx, and status, media type, headers and body are those the description declares
    case.call_and_validate(base_url=BASE_URL)
