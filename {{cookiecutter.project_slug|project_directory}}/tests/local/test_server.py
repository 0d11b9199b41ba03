"""`make serve`'s banner says truly what the local API leaves unchecked, for the authorization generated."""

import dataclasses
from types import SimpleNamespace

import pytest

from infra.settings import SETTINGS, ServiceSettings
from local.server import _print_banner


def printed_banner(settings: ServiceSettings, capsys: pytest.CaptureFixture[str]) -> str:
    """What ``make serve`` prints once ready, for ``settings``, with a stand-in deployment."""
    aws = SimpleNamespace(
        stack=SimpleNamespace(outputs={"EntityTableName": "entities"}),
        state_machine_arn="arn:aws:states:eu-west-1:123456789012:stateMachine:saga",
    )
    _print_banner(settings, aws, SimpleNamespace(routes=[]), "127.0.0.1", 3000, 5000, 1.0)
    return capsys.readouterr().out


def test_given_iam_auth_when_serving_then_the_banner_says_signatures_are_not_checked_locally(
    capsys: pytest.CaptureFixture[str],
) -> None:
    banner = printed_banner(dataclasses.replace(SETTINGS, api_auth="iam"), capsys)
    assert "SigV4 signatures are not checked (the caller is the X-Local-Caller-Arn header's IAM ARN" in banner


def test_given_no_auth_when_serving_then_the_banner_says_the_api_is_open_as_deployed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    banner = printed_banner(dataclasses.replace(SETTINGS, api_auth="none"), capsys)
    assert "as deployed; no authorization (api_auth none)" in banner
    assert "IAM" not in banner and "SigV4" not in banner
