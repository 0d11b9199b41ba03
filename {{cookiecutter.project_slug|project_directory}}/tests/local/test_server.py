"""`make serve`'s banner says truly what the local API leaves unchecked, for the authorization generated."""

import dataclasses
from types import SimpleNamespace
from typing import Any

from infra.settings import SETTINGS, ServiceSettings
from local.serve import banner


def printed_banner(settings: ServiceSettings) -> str:
    """The service's lines of what ``make serve`` prints once ready, for ``settings``, with a stand-in deployment."""
    aws: Any = SimpleNamespace(
        stack=SimpleNamespace(outputs={"EntityTableName": "entities"}),
        state_machine_arn="arn:aws:states:eu-west-1:123456789012:stateMachine:saga",
    )
    return "\n".join(banner(settings, aws, "http://localhost:3000", "http://localhost:5000"))


def test_given_iam_auth_when_serving_then_the_banner_says_signatures_are_not_checked_locally() -> None:
    text = printed_banner(dataclasses.replace(SETTINGS, api_auth="iam"))
    assert "SigV4 signatures are not checked (the caller is the X-Local-Caller-Arn header's IAM ARN" in text


def test_given_no_auth_when_serving_then_the_banner_says_the_api_is_open_as_deployed() -> None:
    text = printed_banner(dataclasses.replace(SETTINGS, api_auth="none"))
    assert "no authorization (api_auth none)" in text
    assert "IAM" not in text and "SigV4" not in text
