"""Against a deployed stack: set E2E_API_URL to the stack's ApiUrl output (and have AWS credentials)."""

import json
import os
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest

from infra.settings import SETTINGS

API_URL = os.environ.get("E2E_API_URL", "").rstrip("/")
pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not API_URL, reason="E2E_API_URL is not set: no deployed stack to test against"),
]


def call(method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> tuple[int, Any]:
    data = None if body is None else json.dumps(body).encode()
    request = AWSRequest(method=method, url=f"{API_URL}{path}", data=data, headers=headers or {})
    if SETTINGS.api_auth == "iam":
        credentials = boto3.Session().get_credentials()
        SigV4Auth(credentials, "execute-api", boto3.Session().region_name or SETTINGS.aws_region).add_auth(request)
    prepared = urllib.request.Request(request.url, data=data, headers=dict(request.headers), method=method)
    try:
        with urllib.request.urlopen(prepared, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_an_order_runs_its_saga_to_completion() -> None:
    # Given a new Idempotency-Key
    key = f"e2e-{uuid.uuid4()}"
    body = {"customer_id": "e2e", "items": [{"sku": "sku-1", "quantity": 1}]}
    # When the {{ cookiecutter.domain }} is created, and the request replayed
    status, created = call("POST", SETTINGS.route, body, {"Idempotency-Key": key})
    replay_status, replayed = call("POST", SETTINGS.route, body, {"Idempotency-Key": key})
    # Then both answers are the same 201, and the saga completes within a minute
    assert (status, replay_status) == (201, 201)
    assert replayed == created
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        _, current = call("GET", f"{SETTINGS.route}/{created['id']}")
        if current["status"] != "PENDING":
            break
        time.sleep(2)
    assert current["status"] == "COMPLETED"
