"""GET /items/{id}: the item as stored, or 404."""

import json
import os
from typing import Any

import boto3

dynamodb = boto3.client("dynamodb")
ITEMS = os.environ["ITEMS_TABLE_NAME"]


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    key = {"id": {"S": event["pathParameters"]["id"]}}
    item = dynamodb.get_item(TableName=ITEMS, Key=key, ConsistentRead=True).get("Item")
    if item is None:
        return {"statusCode": 404, "body": json.dumps({"error": "not_found"})}
    body = {name: next(iter(value.values())) for name, value in item.items()}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": json.dumps(body)}
