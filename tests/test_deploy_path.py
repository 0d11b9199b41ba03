"""The generated deploy path, for real: `make bootstrap`, `make deploy` and `make destroy` run the pinned CDK CLI.

The CLI talks to a moto server on loopback instead of an AWS account (``AWS_ENDPOINT_URL``, dummy credentials),
so the generated Makefile, cdk.json, the app's synthesis, asset publishing and the stack's CloudFormation are
exercised exactly as a user's deploy would exercise them. The CLI comes from the template's package-lock.json
(``make test`` runs ``npm ci``), at the version the generated Makefile pins.

moto has no change sets (the CLI's default deploy method fails on moto's answer), so the deploy passes
``--method=direct``, as the generated README says for a local endpoint. moto does not create API Gateway
stages, so the ApiUrl output ends in ``/None/`` there; only the API id and region in it are checked.
"""

from __future__ import annotations

import json
import shlex
import subprocess
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto.server import ThreadedMotoServer

from tests.combinations import BY_ID, Combination
from tests.helpers import PYTHON, REPO_ROOT, generated_settings, render, tool_env

REPRESENTATIVE = [BY_ID["default"], BY_ID["exotic-booking-express-long-steps"]]
CDK_CLI = REPO_ROOT / "node_modules" / ".bin" / "cdk"
# The CLI's own stack, which `cdk bootstrap` creates (the asset bucket the deploy publishes to).
TOOLKIT_STACK = "CDKToolkit"
# Per make target: one synth of the app (~9 s on two cores, several times that under load) and the CLI's work.
TIMEOUT_SECONDS = 300


@pytest.fixture
def moto_endpoint() -> Iterator[str]:
    """A fresh moto server on a free loopback port; the URL names localhost, as the CDK CLI needs.

    With 127.0.0.1 in the URL the CLI's S3 client cannot tell the bucket from the host and publishing fails.
    """
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    _, port = server.get_host_and_port()
    endpoint = f"http://localhost:{port}"
    # The server serves this process's moto backends, which an earlier in-process test may have left filled.
    urllib.request.urlopen(urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST"), timeout=10).close()
    try:
        yield endpoint
    finally:
        server.stop()


def make(project: Path, target: str, env: dict[str, str], args: list[str]) -> None:
    """Run ``make <target>`` in the project as a user would, with ARGS for the CLI; fails the test with its output."""
    command = ["make", "--no-print-directory", target, f"PYTHON={PYTHON}", f"CDK={CDK_CLI}", f"ARGS={shlex.join(args)}"]
    completed = subprocess.run(
        command,
        cwd=project,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=TIMEOUT_SECONDS,
        check=False,
    )
    output = completed.stdout + completed.stderr
    if completed.returncode != 0:
        pytest.fail(f"`{' '.join(command)}` exited {completed.returncode}:\n{output}", pytrace=False)
    # The CLI reads environment variables named CDK* as options; the Makefile must not export CDK to it.
    assert "Unknown option" not in output, output


def created_stack(cloudformation: Any, stack_name: str) -> dict[str, Any]:
    """describe_stacks' description of the stack, which must have been created completely."""
    (stack,) = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    assert stack["StackStatus"] == "CREATE_COMPLETE", stack
    return dict(stack)


@pytest.mark.parametrize("combination", REPRESENTATIVE, ids=[combination.id for combination in REPRESENTATIVE])
def test_given_a_moto_endpoint_when_the_makefile_bootstraps_deploys_and_destroys_then_the_stack_comes_and_goes(
    cookiecutter_config: Path, tmp_path: Path, moto_endpoint: str, combination: Combination
) -> None:
    if not CDK_CLI.exists():
        pytest.fail(f"{CDK_CLI} is missing: `make test` installs it from package-lock.json (npm ci)", pytrace=False)
    project = render(tmp_path / "render", cookiecutter_config, combination.options)
    settings = generated_settings(project)
    region = settings.aws_region
    env = tool_env(
        AWS_ENDPOINT_URL=moto_endpoint,
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION=region,
        # Nothing from the developer's ~/.aws (profiles, SSO) and no instance-metadata probe for credentials.
        AWS_CONFIG_FILE=str(tmp_path / "aws-config"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "aws-credentials"),
        AWS_EC2_METADATA_DISABLED="true",
        # The CLI would send usage telemetry to AWS (ARGS' --no-notices stops it fetching notices from the internet)
        # and keep a cache in the home directory.
        CDK_DISABLE_CLI_TELEMETRY="true",
        CDK_HOME=str(tmp_path / "cdk-home"),
    )
    aws = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region)
    cloudformation = aws.client("cloudformation", endpoint_url=moto_endpoint)
    outputs_file = tmp_path / "outputs.json"

    # Given a bootstrapped environment
    make(project, "bootstrap", env, ["--no-notices"])
    assert created_stack(cloudformation, TOOLKIT_STACK)

    # When the service is deployed unattended, as in CI
    make(
        project,
        "deploy",
        env,
        ["--no-notices", "--method=direct", "--require-approval", "never", "--outputs-file", str(outputs_file)],
    )

    # Then the stack exists, its outputs file says what describe_stacks says, and each output names a real resource
    stack = created_stack(cloudformation, settings.service_name)
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack["Outputs"]}
    assert json.loads(outputs_file.read_text()) == {settings.service_name: outputs}
    (api,) = aws.client("apigateway", endpoint_url=moto_endpoint).get_rest_apis()["items"]
    assert outputs["ApiUrl"].startswith(f"https://{api['id']}.execute-api.{region}.amazonaws.com/")
    dynamodb = aws.client("dynamodb", endpoint_url=moto_endpoint)
    for table_output in ("EntityTableName", "OutboxTableName"):
        assert dynamodb.describe_table(TableName=outputs[table_output])["Table"]["TableStatus"] == "ACTIVE"
    stepfunctions = aws.client("stepfunctions", endpoint_url=moto_endpoint)
    assert stepfunctions.describe_state_machine(stateMachineArn=outputs["StateMachineArn"])["status"] == "ACTIVE"
    lambda_ = aws.client("lambda", endpoint_url=moto_endpoint)
    assert lambda_.get_function(FunctionName=outputs["OutboxRelayFunctionName"])["Configuration"]["Handler"].endswith(
        ".handlers.outbox_relay.handler"
    )
    sns = aws.client("sns", endpoint_url=moto_endpoint)
    assert sns.get_topic_attributes(TopicArn=outputs["AlarmTopicArn"])["Attributes"]["KmsMasterKeyId"]

    # When it is destroyed
    make(project, "destroy", env, ["--no-notices", "--force"])

    # Then the stack, its state machine and its alarm topic are gone; as on AWS, the bootstrap stack stays and
    # so do the tables (their removal policy is RETAIN: the data outlives the stack)
    remaining = {stack["StackName"] for stack in cloudformation.describe_stacks()["Stacks"]}
    assert remaining == {TOOLKIT_STACK}
    with pytest.raises(ClientError, match="StateMachineDoesNotExist"):
        stepfunctions.describe_state_machine(stateMachineArn=outputs["StateMachineArn"])
    with pytest.raises(ClientError, match="NotFound"):
        sns.get_topic_attributes(TopicArn=outputs["AlarmTopicArn"])
    for table_output in ("EntityTableName", "OutboxTableName"):
        assert dynamodb.describe_table(TableName=outputs[table_output])["Table"]["TableStatus"] == "ACTIVE"
