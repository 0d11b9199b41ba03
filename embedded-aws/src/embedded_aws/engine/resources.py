"""Resolve the template's references (Ref, Fn::GetAtt) to what the deployment in moto created."""

from typing import Any

import boto3

from embedded_aws.engine.deploy import DeployedStack


class Resolver:
    def __init__(self, stack: DeployedStack) -> None:
        self._stack = stack

    def resolve(self, value: Any) -> Any:
        """A property value with its Ref / Fn::GetAtt replaced; other intrinsics are not used by the mappings."""
        if isinstance(value, dict) and "Ref" in value:
            return self._stack.physical_ids[value["Ref"]]
        if isinstance(value, dict) and "Fn::GetAtt" in value:
            logical_id, attribute = value["Fn::GetAtt"]
            return self._attribute(logical_id, attribute)
        if isinstance(value, dict):
            return {key: self.resolve(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.resolve(item) for item in value]
        return value

    def _attribute(self, logical_id: str, attribute: str) -> str:
        resource_type = self._stack.template["Resources"][logical_id]["Type"]
        physical_id = self._stack.physical_ids[logical_id]
        if (resource_type, attribute) == ("AWS::Lambda::Function", "Arn"):
            return str(boto3.client("lambda").get_function(FunctionName=physical_id)["Configuration"]["FunctionArn"])
        if (resource_type, attribute) == ("AWS::SQS::Queue", "Arn"):
            attributes = boto3.client("sqs").get_queue_attributes(QueueUrl=physical_id, AttributeNames=["QueueArn"])
            return str(attributes["Attributes"]["QueueArn"])
        if (resource_type, attribute) == ("AWS::IAM::Role", "Arn"):
            return str(boto3.client("iam").get_role(RoleName=physical_id)["Role"]["Arn"])
        if resource_type == "AWS::DynamoDB::Table" and attribute in {"Arn", "StreamArn"}:
            table = boto3.client("dynamodb").describe_table(TableName=physical_id)["Table"]
            return str(table["TableArn"] if attribute == "Arn" else table["LatestStreamArn"])
        raise NotImplementedError(f"Fn::GetAtt {attribute} of {resource_type} ({logical_id})")
