"""`make serve`'s banner says truly what the local API leaves unchecked, for the authorization generated."""

import dataclasses
from types import SimpleNamespace
from typing import Any

from infra.settings import SETTINGS, ServiceSettings
from local.serve import banner


def printed_banner(settings: ServiceSettings, check_signatures: bool = True, iam_enforced: bool = True) -> str:
    """The service's lines of what ``make serve`` prints once ready, for ``settings``, with a stand-in deployment."""
    aws: Any = SimpleNamespace(
        stack=SimpleNamespace(outputs={"EntityTableName": "entities"}),
        state_machine_arn="arn:aws:states:eu-west-1:123456789012:stateMachine:saga",
        iam=object() if iam_enforced else None,
    )
    return "\n".join(banner(settings, aws, "http://localhost:3000", "http://localhost:5000", check_signatures))


def test_given_iam_auth_when_serving_then_the_banner_says_how_to_sign_and_the_example_signs() -> None:
    # Given IAM authorization, served as `make serve` serves it (signatures checked)
    text = printed_banner(dataclasses.replace(SETTINGS, api_auth="iam", aws_region="eu-west-3"))
    # Then the banner says a signature for the region is needed with any credentials, and its POST example signs
    assert "IAM methods need a SigV4 signature for eu-west-3/execute-api, with any credentials" in text
    assert '--aws-sigv4 "aws:amz:eu-west-3:execute-api" --user any:any -H' in text
    assert "LOCAL_API_SIGNATURES=off accepts unsigned requests" in text


def test_given_iam_auth_with_signatures_off_when_serving_then_the_banner_says_they_are_not_checked() -> None:
    text = printed_banner(dataclasses.replace(SETTINGS, api_auth="iam"), check_signatures=False)
    assert "signatures are not checked (LOCAL_API_SIGNATURES=off)" in text
    assert "--aws-sigv4" not in text


def test_given_no_auth_when_serving_then_the_banner_says_the_api_is_open_as_deployed() -> None:
    text = printed_banner(dataclasses.replace(SETTINGS, api_auth="none"))
    assert "no authorization (api_auth none)" in text
    assert "SigV4" not in text and "X-Local-Caller-Arn" not in text


def test_the_banner_says_whether_iam_is_enforced() -> None:
    # Given the embedded AWS with IAM enforcement on (the default) and switched off
    enforced, off = printed_banner(SETTINGS), printed_banner(SETTINGS, iam_enforced=False)
    # Then the banner says which, and how it was switched off
    assert "IAM: each function's and the state machine's AWS calls are authorized against their synthesized roles" in (
        enforced
    )
    assert "IAM: not enforced (EMBEDDED_AWS_IAM=off)" in off
