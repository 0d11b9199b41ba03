"""The outbox stream's mapping: one execution per new row, named after its event id (a redelivery starts none)."""

import contextlib
import json
import os
from typing import Any

import boto3

stepfunctions = boto3.client("stepfunctions")
STATE_MACHINE_ARN = os.environ["STATE_MACHINE_ARN"]


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    for record in event["Records"]:
        image = record["dynamodb"]["NewImage"]
        with contextlib.suppress(stepfunctions.exceptions.ExecutionAlreadyExists):
            stepfunctions.start_execution(
                stateMachineArn=STATE_MACHINE_ARN,
                name=image["event_id"]["S"],
                input=json.dumps({"entity_id": image["entity_id"]["S"]}),
            )
    return {"batchItemFailures": []}
