"""Calling the handlers as API Gateway and the stream mapping would, and reading what they stored."""

import json
import uuid
from dataclasses import dataclass
from typing import Any

import boto3
from embedded_aws.engine.deploy import DeployedStack
from embedded_aws.services.awslambda import LocalFunction
from embedded_aws.services.events import rest_api_event

COLLECTION = "/{{ cookiecutter.domain_plural | kebab }}"
VALID_BODY = {"customer_id": "c-1", "items": [{"sku": "sku-1", "quantity": 2}]}


@dataclass(frozen=True)
class ApiResponse:
    status_code: int
    headers: dict[str, str]
    body: dict[str, Any]


def new_key() -> str:
    return f"key-{uuid.uuid4()}"


def post(create: LocalFunction, body: Any, key: str | None) -> ApiResponse:
    headers = {"Content-Type": "application/json"} | ({"Idempotency-Key": key} if key is not None else {})
    return _api_response(
        create.invoke(rest_api_event("POST", COLLECTION, resource=COLLECTION, headers=headers, body=body))
    )


def get(get_function: LocalFunction, entity_id: str) -> ApiResponse:
    return _api_response(
        get_function.invoke(
            rest_api_event(
                "GET",
                f"{COLLECTION}/{entity_id}",
                resource=COLLECTION + "/{id}",
                path_parameters={"id": entity_id},
            )
        )
    )


def _api_response(response: dict[str, Any]) -> ApiResponse:
    """REST API proxy responses may carry headers in either field; API Gateway merges them."""
    headers = dict(response.get("headers") or {})
    headers.update({name: values[-1] for name, values in (response.get("multiValueHeaders") or {}).items()})
    return ApiResponse(response["statusCode"], headers, json.loads(response["body"]))


def item_counts(dynamodb: Any) -> dict[str, int]:
    """How many items each table holds: the evidence that a rejected request wrote nothing."""
    return {
        table: dynamodb.scan(TableName=table, Select="COUNT")["Count"] for table in dynamodb.list_tables()["TableNames"]
    }


def outbox_records_for(dynamodb: Any, stack: DeployedStack, entity_id: str) -> tuple[str, list[dict[str, Any]]]:
    """The outbox stream's records of one {{ cookiecutter.domain }}, as the stream mapping would read them."""
    streams = boto3.client("dynamodbstreams")
    stream_arn = dynamodb.describe_table(TableName=stack.outputs["OutboxTableName"])["Table"]["LatestStreamArn"]
    records = []
    for shard in streams.describe_stream(StreamArn=stream_arn)["StreamDescription"]["Shards"]:
        iterator = streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records.extend(streams.get_records(ShardIterator=iterator)["Records"])
    mine = [record for record in records if record["dynamodb"]["NewImage"]["entity_id"]["S"] == entity_id]
    return stream_arn, mine


def executions_named(stepfunctions: Any, stack: DeployedStack, name: str) -> list[dict[str, Any]]:
    executions = stepfunctions.list_executions(stateMachineArn=stack.outputs["StateMachineArn"])["executions"]
    return [execution for execution in executions if execution["name"] == name]
