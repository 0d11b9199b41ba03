"""Synthesize the CDK app and create its CloudFormation stack, with its file assets, in moto.

Local and cloud cannot disagree on table keys, environment variables or mapping settings because
the local resources are created from the very template `cdk deploy` would use.
"""

import io
import json
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from moto.dynamodb.models import dynamodb_backends

ACCOUNT_PLACEHOLDER = "${AWS::AccountId}"
REGION_PLACEHOLDER = "${AWS::Region}"


@dataclass(frozen=True)
class DeployedStack:
    name: str
    template: dict[str, Any]
    outputs: dict[str, str]
    physical_ids: dict[str, str]

    def resources_of_type(self, resource_type: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.template["Resources"].items()
            if resource["Type"] == resource_type
        }


class SynthFailed(Exception):
    """The CDK app did not synthesize; its own output says why."""


def synthesize(app_directory: Path, outdir: Path) -> Path:
    """Run `python app.py` in ``app_directory`` as the CDK CLI would; returns the cloud assembly directory.

    Raises SynthFailed when the app exits with an error.

    The synth runs in its own session, so a Ctrl-C stops it from here (without a second traceback
    from the child), and a failing synth ends with a short message after the app's own output.
    """
    environment = {**os.environ, "CDK_OUTDIR": str(outdir), "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
    child = subprocess.Popen([sys.executable, "app.py"], cwd=app_directory, env=environment, start_new_session=True)
    try:
        if child.wait() != 0:
            raise SynthFailed(f"`python app.py` failed with exit code {child.returncode} (see above)")
    except BaseException:
        child.terminate()
        child.wait()
        raise
    return outdir


@dataclass(frozen=True)
class StackArtifact:
    """The one stack of a cloud assembly, as `cdk deploy` reads it from manifest.json."""

    name: str
    template_file: Path
    template_object_url: str
    assets_file: Path


def stack_artifact(assembly: Path) -> StackArtifact:
    manifest = json.loads((assembly / "manifest.json").read_text(encoding="utf-8"))
    stacks = [
        (artifact_id, artifact)
        for artifact_id, artifact in manifest["artifacts"].items()
        if artifact["type"] == "aws:cloudformation:stack"
    ]
    if len(stacks) != 1:
        raise ValueError(f"expected one stack in {assembly}, found {[artifact_id for artifact_id, _ in stacks]}")
    artifact_id, artifact = stacks[0]
    properties = artifact["properties"]
    return StackArtifact(
        name=properties.get("stackName", artifact_id),
        template_file=assembly / properties["templateFile"],
        template_object_url=properties["stackTemplateAssetObjectUrl"],
        assets_file=assembly / f"{artifact_id}.assets.json",
    )


def _zip_directory(directory: Path) -> bytes:
    buffer = io.BytesIO()
    # Stored, not deflated: moto keeps the archive in memory and reads it, and deflating the dependencies layer
    # (about 50 MB) took seconds of every start of the embedded AWS.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for path in sorted(directory.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(directory).as_posix())
    return buffer.getvalue()


def _resolve(text: str, account: str, region: str) -> str:
    return text.replace(ACCOUNT_PLACEHOLDER, account).replace(REGION_PLACEHOLDER, region)


def publish_assets(assets_file: Path, account: str, region: str) -> None:
    """Upload every file asset where the template expects it, as `cdk deploy` does before deploying."""
    s3 = boto3.client("s3", region_name=region)
    for asset in json.loads(assets_file.read_text(encoding="utf-8")).get("files", {}).values():
        source = assets_file.parent / asset["source"]["path"]
        body = _zip_directory(source) if asset["source"].get("packaging") == "zip" else source.read_bytes()
        for destination in asset["destinations"].values():
            bucket = _resolve(destination["bucketName"], account, region)
            if bucket not in {existing["Name"] for existing in s3.list_buckets()["Buckets"]}:
                configuration = (
                    {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
                )
                s3.create_bucket(Bucket=bucket, **configuration)
            s3.put_object(Bucket=bucket, Key=destination["objectKey"], Body=body)


def deploy(assembly: Path, region: str) -> DeployedStack:
    """Create the assembly's stack in the (mocked) account; raises unless it reaches CREATE_COMPLETE.

    Like `cdk deploy`: publish the file assets (the template among them), then create the stack from
    the template's URL (the template is larger than CloudFormation accepts inline).
    """
    artifact = stack_artifact(assembly)
    account = boto3.client("sts", region_name=region).get_caller_identity()["Account"]
    publish_assets(artifact.assets_file, account, region)
    bucket, key = _resolve(artifact.template_object_url, account, region).removeprefix("s3://").split("/", 1)
    cloudformation = boto3.client("cloudformation", region_name=region)
    cloudformation.create_stack(
        StackName=artifact.name,
        TemplateURL=f"https://{bucket}.s3.{region}.amazonaws.com/{key}",
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
    )
    stack = cloudformation.describe_stacks(StackName=artifact.name)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        events = cloudformation.describe_stack_events(StackName=artifact.name)["StackEvents"]
        failures = [
            f"{event['LogicalResourceId']}: {event.get('ResourceStatusReason', '')}"
            for event in events
            if event["ResourceStatus"].endswith("FAILED")
        ]
        raise RuntimeError(f"stack {artifact.name} is {stack['StackStatus']}: {failures}")
    detach_moto_stream_triggers(account, region)
    resources = cloudformation.describe_stack_resources(StackName=artifact.name)["StackResources"]
    return DeployedStack(
        name=artifact.name,
        template=json.loads(artifact.template_file.read_text(encoding="utf-8")),
        outputs={output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])},
        # Resource types moto skips have no physical id.
        physical_ids={
            resource["LogicalResourceId"]: resource["PhysicalResourceId"]
            for resource in resources
            if "LogicalResourceId" in resource and "PhysicalResourceId" in resource
        },
    )


def detach_moto_stream_triggers(account: str, region: str) -> None:
    """Stop moto from invoking stream mappings inside each write.

    moto calls the mapped function synchronously during the write, ignoring the mapping's filter,
    batch size and failure settings, and then drops the records from the stream. Detached, the
    records stay readable through the DynamoDB Streams API, which is what the mapping (and the
    tests) consume; the mapping itself stays deployed with all its settings.
    """
    for table in dynamodb_backends[account][region].tables.values():
        table.lambda_event_source_mappings.clear()
