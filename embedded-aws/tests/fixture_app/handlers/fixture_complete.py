"""The state machine's task: marks an existing item COMPLETED (a missing one fails the condition: a function error)."""

import os
from typing import Any

import boto3

dynamodb = boto3.client("dynamodb")
ITEMS = os.environ["ITEMS_TABLE_NAME"]


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    dynamodb.update_item(
        TableName=ITEMS,
        Key={"id": {"S": event["entity_id"]}},
        UpdateExpression="SET #status = :completed",
        ConditionExpression="attribute_exists(id)",
        ExpressionAttributeNames={"#status": "status"},
        ExpressionAttributeValues={":completed": {"S": "COMPLETED"}},
    )
    return {"entity_id": event["entity_id"], "status": "COMPLETED"}
