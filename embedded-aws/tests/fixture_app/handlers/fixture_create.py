"""POST /items: one transaction writes the item (PENDING) and its outbox row; idempotent on the Idempotency-Key
header, for the fixture's TTL."""

import json
import os
import uuid
from typing import Any

import boto3
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent,
)

dynamodb = boto3.client("dynamodb")
ITEMS, OUTBOX = os.environ["ITEMS_TABLE_NAME"], os.environ["OUTBOX_TABLE_NAME"]
persistence = DynamoDBPersistenceLayer(table_name=os.environ["IDEMPOTENCY_TABLE_NAME"])
config = IdempotencyConfig(
    event_key_jmespath='headers."Idempotency-Key"',
    expires_after_seconds=int(os.environ["IDEMPOTENCY_TTL_SECONDS"]),
)


@idempotent(persistence_store=persistence, config=config)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    item_id = str(uuid.uuid4())
    dynamodb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": ITEMS, "Item": {"id": {"S": item_id}, "status": {"S": "PENDING"}}}},
            {"Put": {"TableName": OUTBOX, "Item": {"event_id": {"S": str(uuid.uuid4())}, "entity_id": {"S": item_id}}}},
        ]
    )
    return {"statusCode": 201, "headers": {"Content-Type": "application/json"}, "body": json.dumps({"id": item_id})}
