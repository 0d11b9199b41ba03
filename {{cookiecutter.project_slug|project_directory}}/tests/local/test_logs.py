"""What the functions log at INFO, the level they are deployed with: never a request's body."""

import json
import logging
import uuid
from collections.abc import Iterator

import pytest

from infra.settings import SETTINGS
from local.aws import ServiceOnEmbeddedAws
from tests.local.support import CREATE_HANDLER, VALID_BODY, Client, new_key

pytestmark = pytest.mark.usefixtures("settled")


class Captured(logging.Handler):
    """Every record as the function's own log handler would write it (Powertools' JSON), or plain."""

    def __init__(self, formatter: logging.Formatter | None) -> None:
        super().__init__(logging.INFO)
        self.setFormatter(formatter)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@pytest.fixture
def info_logs() -> Iterator[list[str]]:
    logger = logging.getLogger(SETTINGS.service_name)
    own_formatter = next((handler.formatter for handler in logger.handlers if handler.formatter), None)
    captured = Captured(own_formatter)
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(captured)
    yield captured.lines
    logger.removeHandler(captured)
    logger.setLevel(level)


def test_request_bodies_never_reach_the_logs_at_info(
    aws: ServiceOnEmbeddedAws, client: Client, info_logs: list[str]
) -> None:
    # Given request bodies carrying a value that must stay private
    secret = f"private-{uuid.uuid4()}"
    body = VALID_BODY | {"customer_id": secret}
    key = new_key()
    # When they are accepted, replayed, rejected and the saga runs
    accepted = client.post(body, key)
    assert accepted.status_code == 201
    assert client.post(body, key).status_code == 201
    assert client.post(body | {"items": [{"sku": secret, "quantity": 1}]}, key).status_code == 422
    assert client.post({"customer_id": secret}, new_key()).status_code == 400
    client.get(str(accepted.body["id"]))
    aws.settle()
    # Then the functions logged the flow, and none of it carries the private value
    assert info_logs, "nothing was logged at INFO: this test would prove nothing"
    assert [line for line in info_logs if secret in line] == []


def test_keys_one_function_appended_never_show_in_another_functions_lines(
    aws: ServiceOnEmbeddedAws, client: Client, info_logs: list[str]
) -> None:
    # Given saga actions that appended their action and entity to their log keys (each in its own environment)
    client.create()
    aws.settle()
    info_logs.clear()
    # When another function logs: the create handler refusing a request
    assert client.post({"customer_id": "c-1"}, new_key()).status_code == 400
    # Then its line names its own function and carries none of the saga actions' keys, as in a process of its own
    (rejected,) = [json.loads(line) for line in info_logs if "request rejected" in line]
    assert rejected["function_name"] == aws.function_name(CREATE_HANDLER)
    assert "action" not in rejected and "entity_id" not in rejected
