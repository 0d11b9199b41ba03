"""Reading a synthesized cloud assembly (cdk.out) and deploying it into moto's CloudFormation.

The deploy follows what ``cdk deploy`` does: publish every file asset (directories zipped) to the
bootstrap bucket named in ``<stack>.assets.json``, then create the stack from the template's own
asset URL (the template is over CloudFormation's 51,200-byte inline limit).

moto skips (with a warning) API Gateway stages, models and validators, alarms and queue policies, and it
ignores DefinitionSubstitutions, StateMachineType, TTL, layers and tracing; tests/test_render_matrix.py
asserts those on the template instead.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import boto3
from moto import mock_aws


@dataclass(frozen=True)
class CloudAssembly:
    directory: Path

    @cached_property
    def _stack_artifact(self) -> tuple[str, dict[str, Any]]:
        manifest = json.loads((self.directory / "manifest.json").read_text())
        stacks = [
            (artifact_id, artifact)
            for artifact_id, artifact in manifest["artifacts"].items()
            if artifact["type"] == "aws:cloudformation:stack"
        ]
        assert len(stacks) == 1, f"expected one stack, found {[artifact_id for artifact_id, _ in stacks]}"
        return stacks[0]

    @property
    def stack_name(self) -> str:
        artifact_id, artifact = self._stack_artifact
        return str(artifact["properties"].get("stackName", artifact_id))

    @property
    def template_path(self) -> Path:
        return self.directory / str(self._stack_artifact[1]["properties"]["templateFile"])

    @cached_property
    def template(self) -> dict[str, Any]:
        template: dict[str, Any] = json.loads(self.template_path.read_text())
        return template

    @property
    def template_object_url(self) -> str:
        """``s3://<bucket with ${AWS::...} placeholders>/<key>``: where ``cdk deploy`` uploads the template."""
        return str(self._stack_artifact[1]["properties"]["stackTemplateAssetObjectUrl"])

    @cached_property
    def file_assets(self) -> dict[str, Any]:
        manifest = json.loads((self.directory / f"{self._stack_artifact[0]}.assets.json").read_text())
        files: dict[str, Any] = manifest["files"]
        assert not manifest.get("dockerImages"), "the service must build without Docker"
        return files

    def asset_bytes(self, asset: dict[str, Any]) -> bytes:
        source = self.directory / str(asset["source"]["path"])
        if asset["source"]["packaging"] == "file":
            return source.read_bytes()
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(source.rglob("*")):
                if path.is_file():
                    archive.write(path, path.relative_to(source).as_posix())
        return buffer.getvalue()

    def resources(self, resource_type: str) -> dict[str, dict[str, Any]]:
        """Properties of every resource of one type, by logical id."""
        return {
            logical_id: resource.get("Properties", {})
            for logical_id, resource in self.template["Resources"].items()
            if resource["Type"] == resource_type
        }


@dataclass(frozen=True)
class Deployment:
    status: str
    status_reason: str
    failed_resources: list[str]
    table_count: int
    queue_count: int
    function_handlers: list[str]
    state_machine_count: int


def _resolve(text: str, account: str, region: str) -> str:
    return (
        text.replace("${AWS::AccountId}", account).replace("${AWS::Region}", region).replace("${AWS::Partition}", "aws")
    )


def deploy_to_moto(assembly: CloudAssembly, region: str) -> Deployment:
    """Create the stack in an in-process moto and report what exists afterwards."""
    with mock_aws():
        # Explicit fake keys: nothing here may use (or need) the developer's real credentials.
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region
        )
        account = session.client("sts").get_caller_identity()["Account"]
        s3 = session.client("s3")
        buckets: set[str] = set()
        for asset in assembly.file_assets.values():
            body = assembly.asset_bytes(asset)
            for destination in asset["destinations"].values():
                bucket = _resolve(destination["bucketName"], account, region)
                if bucket not in buckets:
                    configuration = {} if region == "us-east-1" else {"LocationConstraint": region}
                    s3.create_bucket(
                        Bucket=bucket, **({"CreateBucketConfiguration": configuration} if configuration else {})
                    )
                    buckets.add(bucket)
                s3.put_object(Bucket=bucket, Key=destination["objectKey"], Body=body)

        bucket, key = _resolve(assembly.template_object_url, account, region).removeprefix("s3://").split("/", 1)
        cloudformation = session.client("cloudformation")
        cloudformation.create_stack(
            StackName=assembly.stack_name,
            TemplateURL=f"https://{bucket}.s3.{region}.amazonaws.com/{key}",
            Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM"],
        )
        stack = cloudformation.describe_stacks(StackName=assembly.stack_name)["Stacks"][0]
        events = cloudformation.describe_stack_events(StackName=assembly.stack_name)["StackEvents"]
        return Deployment(
            status=stack["StackStatus"],
            status_reason=stack.get("StackStatusReason", ""),
            failed_resources=[
                f"{event['LogicalResourceId']}: {event.get('ResourceStatusReason', '')}"
                for event in events
                if event["ResourceStatus"].endswith("_FAILED")
            ],
            table_count=len(session.client("dynamodb").list_tables()["TableNames"]),
            queue_count=len(session.client("sqs").list_queues().get("QueueUrls", [])),
            function_handlers=sorted(
                function["Handler"] for function in session.client("lambda").list_functions()["Functions"]
            ),
            state_machine_count=len(session.client("stepfunctions").list_state_machines()["stateMachines"]),
        )
