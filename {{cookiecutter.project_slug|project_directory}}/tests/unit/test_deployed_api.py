"""`make e2e` finds the deployed API from E2E_API_URL or the CDK CLI's outputs file, and says what is missing."""

import json
from pathlib import Path

import pytest

from infra.settings import SETTINGS
from ops.deployed_api import DeployedApiNotFound, api_url, main

URL = "https://abc123.execute-api.us-east-1.amazonaws.com/prod/"


def test_given_the_variable_then_it_wins_over_the_outputs_file(tmp_path: Path) -> None:
    # Given E2E_API_URL and no outputs file, when the URL is asked for, then it is the variable's
    assert api_url(tmp_path / "cdk-outputs.json", {"E2E_API_URL": URL}) == URL


def test_given_the_outputs_file_of_a_deploy_then_the_url_is_the_stacks_api_url(tmp_path: Path) -> None:
    # Given the file `cdk deploy --outputs-file` writes, with this stack's outputs and another stack's
    outputs = tmp_path / "cdk-outputs.json"
    outputs.write_text(json.dumps({"other": {"ApiUrl": "x"}, SETTINGS.service_name: {"ApiUrl": URL}}))
    # When the URL is asked for without the variable, then it is this stack's ApiUrl output
    assert api_url(outputs, {}) == URL


@pytest.mark.parametrize(
    ("contents", "message"),
    [(None, "no {file}: set E2E_API_URL"), ("{", "is not JSON"), ("{}", "has no ApiUrl output of the stack")],
    ids=["missing", "not-json", "no-output"],
)
def test_given_no_way_to_the_api_then_the_command_says_what_to_do_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], contents: str | None, message: str
) -> None:
    # Given no E2E_API_URL and an outputs file that is missing, broken or from another stack
    outputs = tmp_path / "cdk-outputs.json"
    if contents is not None:
        outputs.write_text(contents)
    with pytest.raises(DeployedApiNotFound):
        api_url(outputs, {})
    # When `make e2e` runs it
    with pytest.MonkeyPatch.context() as environment:
        environment.delenv("E2E_API_URL", raising=False)
        exit_code = main([str(outputs)])
    # Then it fails with a usage status and one line naming the file and how to deploy with it
    error = capsys.readouterr().err
    assert exit_code == 2
    assert message.format(file=outputs) in error
    assert f'make deploy ARGS="--outputs-file {outputs}"' in error
