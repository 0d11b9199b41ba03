"""The emulation's own promises, where moto alone would differ from AWS: transactions, stream and idempotency time,
stream retention, the answers it serializes itself, and what a state machine's Lambda task sees.

Run against the fixture stack (fixture_app/app.py): its POST handler writes an item and an outbox row in one
transaction, the outbox stream's relay starts one execution per row, and the execution completes the item.
"""

import json
import threading
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, cast
from unittest.mock import patch

import boto3
import pytest
from botocore.exceptions import ClientError
from embedded_aws.engine.runtime import EmbeddedAws
from embedded_aws.server import LocalControls
from embedded_aws.services.streams import STREAM_RETENTION_SECONDS
from fixture_stack import (
    COMPLETE,
    CREATE,
    RELAY,
    Client,
    live_idempotency_records,
    new_key,
    poller_of,
    stream_sequence_numbers,
)
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.core.responses import BaseResponse
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
from moto.sqs.models import sqs_backends
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils

pytestmark = pytest.mark.usefixtures("settled")


def test_a_cancelled_transaction_leaves_its_items_and_the_stream_as_they_were(aws: EmbeddedAws) -> None:
    dynamodb = boto3.client("dynamodb")
    entity_table, outbox_table = aws.stack.outputs["ItemsTableName"], aws.stack.outputs["OutboxTableName"]
    # Given an existing item and the outbox stream as it stands
    existing_id, new_id = f"existing-{uuid.uuid4()}", f"new-{uuid.uuid4()}"
    dynamodb.put_item(TableName=entity_table, Item={"id": {"S": existing_id}, "status": {"S": "PENDING"}})
    records_before = stream_sequence_numbers(aws)
    # When a transaction changes that item, writes an outbox row and then fails a condition check
    with pytest.raises(ClientError) as cancelled:
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": entity_table,
                        "Key": {"id": {"S": existing_id}},
                        "UpdateExpression": "SET #status = :done",
                        "ExpressionAttributeNames": {"#status": "status"},
                        "ExpressionAttributeValues": {":done": {"S": "COMPLETED"}},
                    }
                },
                {
                    "Put": {
                        "TableName": outbox_table,
                        "Item": {"event_id": {"S": new_id}, "entity_id": {"S": new_id}},
                    }
                },
                {
                    "ConditionCheck": {
                        "TableName": entity_table,
                        "Key": {"id": {"S": new_id}},
                        "ConditionExpression": "attribute_exists(id)",
                    }
                },
            ]
        )
    # Then it is cancelled, the item is unchanged, the row was never written and the stream has no new record
    assert cancelled.value.response["Error"]["Code"] == "TransactionCanceledException"
    item = dynamodb.get_item(TableName=entity_table, Key={"id": {"S": existing_id}}, ConsistentRead=True)["Item"]
    assert item["status"] == {"S": "PENDING"}
    outbox_key = {"event_id": {"S": new_id}}
    assert "Item" not in dynamodb.get_item(TableName=outbox_table, Key=outbox_key, ConsistentRead=True)
    assert stream_sequence_numbers(aws) == records_before
    dynamodb.delete_item(TableName=entity_table, Key={"id": {"S": existing_id}})


def test_records_written_after_virtual_time_skipped_ahead_are_not_too_old(aws: EmbeddedAws, client: Client) -> None:
    # Given virtual time skipped far past any record age the mapping allows (a long Wait or retry interval)
    poller = poller_of(aws, RELAY)
    aws.clock.advance(30 * 24 * 3600)
    sent_to_on_failure = len(poller.log.sent_to_on_failure)
    # When a request is accepted afterwards
    entity_id = client.create()
    aws.settle()
    # Then its record was delivered, not discarded as expired
    assert client.status(entity_id) == "COMPLETED"
    assert len(poller.log.sent_to_on_failure) == sent_to_on_failure


def test_stream_records_leave_the_stream_a_day_after_they_were_written(aws: EmbeddedAws, client: Client) -> None:
    # Given an accepted request whose outbox record the relay has read
    entity_id = client.create()
    aws.settle()
    sequence_number = stream_sequence_numbers(aws)[entity_id]
    # When a day of virtual time passes
    aws.clock.advance(STREAM_RETENTION_SECONDS + 1)
    # Then the record has left the stream: a read from the oldest record skips it, a read at it is refused
    assert entity_id not in stream_sequence_numbers(aws)
    streams = boto3.client("dynamodbstreams")
    poller = poller_of(aws, RELAY)
    (shard,) = streams.describe_stream(StreamArn=poller.mapping.stream_arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(
        StreamArn=poller.mapping.stream_arn,
        ShardId=shard["ShardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        SequenceNumber=sequence_number,
    )["ShardIterator"]
    with pytest.raises(ClientError) as trimmed:
        streams.get_records(ShardIterator=iterator)
    assert trimmed.value.response["Error"]["Code"] == "TrimmedDataAccessException"
    # And a redelivery now re-reads nothing, while a new request still flows through
    assert aws.redeliver_streams() == 0
    later_id = client.create()
    aws.settle()
    assert client.status(later_id) == "COMPLETED"


def test_idempotency_records_expire_on_virtual_time(aws: EmbeddedAws, client: Client) -> None:
    ttl_seconds = int(aws.lambdas.function(CREATE).environment["IDEMPOTENCY_TTL_SECONDS"])
    # Given an accepted request whose execution has run, answered from its idempotency record when repeated
    key = new_key()
    first = client.post(key)
    assert client.post(key).body == first.body
    aws.settle()
    assert live_idempotency_records(aws) >= 1
    # When virtual time passes the idempotency TTL
    aws.clock.advance(ttl_seconds + 1)
    # Then Powertools judges every record written so far expired
    assert live_idempotency_records(aws) == 0
    # And when the same request arrives again, it is not answered from the expired record: the handler runs anew
    # (the fixture's creates a new item every time it runs) and writes a fresh record
    replay = client.post(key)
    aws.settle()
    assert live_idempotency_records(aws) == 1
    assert replay.status_code == 201 and replay.body["id"] != first.body["id"]


def item_operations(table: str, key: dict[str, Any]) -> list[Callable[[Any], dict[str, Any]]]:
    """Every DynamoDB item operation, reading or writing the item under ``key``; each leaves it as it found it."""
    item = {
        **key,
        "text": {"S": "Bestellung ✓"},
        "number": {"N": "12.50"},
        "binary": {"B": b"\x00\xff"},
        "sets": {"M": {"ss": {"SS": ["a", "b"]}, "ns": {"NS": ["1", "2.5"]}, "bs": {"BS": [b"\x01"]}}},
        "list": {"L": [{"BOOL": True}, {"NULL": True}, {"M": {}}]},
    }
    return [
        lambda dynamodb: dynamodb.put_item(TableName=table, Item=item, ReturnValues="ALL_OLD"),
        lambda dynamodb: dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True),
        lambda dynamodb: dynamodb.update_item(
            TableName=table,
            Key=key,
            UpdateExpression="SET #number = #number + :zero",
            ExpressionAttributeNames={"#number": "number"},
            ExpressionAttributeValues={":zero": {"N": "0"}},
            ReturnValues="ALL_NEW",
        ),
        lambda dynamodb: dynamodb.query(
            TableName=table, KeyConditionExpression="id = :id", ExpressionAttributeValues={":id": key["id"]}
        ),
        lambda dynamodb: dynamodb.transact_get_items(TransactItems=[{"Get": {"TableName": table, "Key": key}}]),
        lambda dynamodb: dynamodb.batch_get_item(RequestItems={table: {"Keys": [key]}}),
        lambda dynamodb: dynamodb.delete_item(TableName=table, Key=key, ReturnValues="ALL_OLD"),
        lambda dynamodb: dynamodb.transact_write_items(TransactItems=[{"Put": {"TableName": table, "Item": item}}]),
        lambda dynamodb: dynamodb.batch_write_item(RequestItems={table: [{"DeleteRequest": {"Key": key}}]}),
    ]


def test_dynamodb_item_answers_parse_as_moto_would_have_serialized_them(aws: EmbeddedAws) -> None:
    # Given every kind of attribute value on an item, and every item operation on it
    dynamodb = boto3.client("dynamodb")
    key = {"id": {"S": f"answers-{uuid.uuid4()}"}}
    operations = item_operations(aws.stack.outputs["ItemsTableName"], key)

    def answers() -> list[dict[str, Any]]:
        return [{**operation(dynamodb), "ResponseMetadata": None} for operation in operations]

    # When they run with the emulation's answers, and again with moto's own serializer
    dumped = answers()
    with patch.object(DynamoHandler, "serialized", BaseResponse.serialized):
        serialized = answers()
    # Then botocore parses both into the same responses
    assert dumped == serialized
    assert dumped[1]["Item"]["binary"] == {"B": b"\x00\xff"}


def test_stream_records_parse_as_moto_would_have_serialized_them(aws: EmbeddedAws, client: Client) -> None:
    # Given an item whose outbox row is on the stream
    client.create()
    aws.settle()
    streams = boto3.client("dynamodbstreams")
    poller = poller_of(aws, RELAY)
    (shard,) = streams.describe_stream(StreamArn=poller.mapping.stream_arn)["StreamDescription"]["Shards"]

    def records() -> list[dict[str, Any]]:
        iterator = streams.get_shard_iterator(
            StreamArn=poller.mapping.stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        answer: list[dict[str, Any]] = streams.get_records(ShardIterator=iterator)["Records"]
        return answer

    # When the stream is read with the emulation's answers, and again with moto's own serializer
    dumped = records()
    with patch.object(DynamoDBStreamsHandler, "serialized", BaseResponse.serialized):
        serialized = records()
    # Then botocore parses both into the same records, creation times included
    assert dumped == serialized
    assert dumped and all(isinstance(record["dynamodb"]["ApproximateCreationDateTime"], datetime) for record in dumped)


def test_writes_that_share_an_expression_are_each_judged_on_their_own_names_and_values(
    aws: EmbeddedAws,
) -> None:
    dynamodb = boto3.client("dynamodb")
    table, key = aws.stack.outputs["ItemsTableName"], {"id": {"S": f"expressions-{uuid.uuid4()}"}}
    # Given an item, and one conditional update whose text every write below shares
    dynamodb.put_item(TableName=table, Item={**key, "status": {"S": "PENDING"}})

    def update(attribute: str, value: str, tested: str, expected: str) -> str:
        try:
            dynamodb.update_item(
                TableName=table,
                Key=key,
                UpdateExpression="SET #attribute = :value",
                ConditionExpression="#tested = :expected",
                ExpressionAttributeNames={"#attribute": attribute, "#tested": tested},
                ExpressionAttributeValues={":value": {"S": value}, ":expected": {"S": expected}},
            )
        except ClientError as error:
            return str(error.response["Error"]["Code"])
        return "updated"

    # When writes differ from the first only in the names and values they give it
    outcomes = [
        update("first", "1", tested="status", expected="PENDING"),
        update("first", "2", tested="status", expected="COMPLETED"),
        update("first", "3", tested="missing", expected="PENDING"),
        update("second", "4", tested="status", expected="PENDING"),
    ]
    # Then each write tested and set what it named itself
    assert outcomes == ["updated", "ConditionalCheckFailedException", "ConditionalCheckFailedException", "updated"]
    item = dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True)["Item"]
    assert (item["first"], item["second"]) == ({"S": "1"}, {"S": "4"})
    dynamodb.delete_item(TableName=table, Key=key)


def test_an_invalid_update_expression_is_refused_every_time_it_is_sent(aws: EmbeddedAws) -> None:
    dynamodb = boto3.client("dynamodb")
    table, key = aws.stack.outputs["ItemsTableName"], {"id": {"S": f"invalid-{uuid.uuid4()}"}}
    # Given an update expression that does not parse
    errors = []
    # When it is sent twice
    for _ in range(2):
        with pytest.raises(ClientError) as refused:
            dynamodb.update_item(
                TableName=table, Key=key, UpdateExpression="SET = :v", ExpressionAttributeValues={":v": {"N": "1"}}
            )
        errors.append(refused.value.response["Error"]["Code"])
    # Then both are refused, and no item was written
    assert errors == ["ValidationException", "ValidationException"]
    assert "Item" not in dynamodb.get_item(TableName=table, Key=key, ConsistentRead=True)


def test_a_request_to_a_service_the_emulation_lacks_gets_moto_s_own_answer() -> None:
    # Given a service that moto does not emulate
    braket = boto3.client("braket")
    # When it is called
    with pytest.raises(ClientError) as answered:
        braket.search_devices(filters=[])
    # Then moto answers as it does for every service it lacks
    assert answered.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert "Not yet implemented" in str(answered.value)


def test_a_request_to_a_region_other_than_us_east_1_reaches_that_regions_resources() -> None:
    # Given a region other than moto's default, and SQS, whose region moto reads from the credential scope
    region, name = "eu-central-1", f"regional-{uuid.uuid4()}"
    sqs = boto3.client("sqs", region_name=region)
    # When a queue is created there and then looked up by its URL
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    # Then both requests reached that region's queues, and us-east-1 holds no such queue
    assert arn == f"arn:aws:sqs:{region}:{DEFAULT_ACCOUNT_ID}:{name}"
    assert name in sqs_backends[DEFAULT_ACCOUNT_ID][region].queues
    assert name not in sqs_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].queues
    sqs.delete_queue(QueueUrl=url)


def test_a_state_machine_task_gets_the_answer_the_lambda_api_gives(aws: EmbeddedAws, client: Client) -> None:
    # Given an item whose execution completed, and the completing function as the state machine's task names it
    completed = client.create()
    aws.settle()
    name = aws.function_name(COMPLETE)
    arn = f"arn:aws:lambda:{aws.region}:123456789012:function:{name}"
    missing = f"missing-{uuid.uuid4()}"

    def task_answer(payload: dict[str, Any], **through_api: str) -> dict[str, Any]:
        """What the task sees; a Qualifier sends the invoke through the Lambda API."""
        parameters = {"FunctionName": arn, "Payload": json.dumps(payload).encode(), **through_api}
        try:
            answer = lambda_eval_utils._invoke_lambda_function(parameters, aws.region, cast(Any, None))
        except ClientError as error:
            return {"Error": error.response["Error"], "Status": error.response["ResponseMetadata"]["HTTPStatusCode"]}
        return {key: value for key, value in answer.items() if key != "ResponseMetadata"}

    def answers(**through_api: str) -> list[dict[str, Any]]:
        succeeded = task_answer({"entity_id": completed}, **through_api)
        function_error = task_answer({"entity_id": missing}, **through_api)
        aws.arm_fault(COMPLETE, "transient")
        service_error = task_answer({"entity_id": completed}, **through_api)
        return [succeeded, function_error, service_error]

    # When the task invokes it in-process, and again through the Lambda API
    in_process, through_the_api = answers(), answers(Qualifier="$LATEST")
    # Then it sees the same answers: a result, a function error and a failure of the Lambda service
    assert in_process == through_the_api
    assert in_process[0]["StatusCode"] == 200 and "FunctionError" not in in_process[0]
    assert in_process[1]["FunctionError"] == "Handled"
    assert in_process[2]["Error"]["Code"] == "ServiceException"


def test_queue_messages_lists_every_waiting_message_and_leaves_them_queued(aws: EmbeddedAws) -> None:
    # Given more messages in a queue than one ReceiveMessage answers (10)
    sqs = boto3.client("sqs")
    url = aws.stack.outputs["FailuresQueueUrl"]
    bodies = [json.dumps({"n": n, "run": str(uuid.uuid4())}) for n in range(12)]
    for body in bodies:
        sqs.send_message(QueueUrl=url, MessageBody=body)

    # When they are listed twice
    first = [message["Body"] for message in aws.queue_messages("FailuresQueueUrl")]
    second = [message["Body"] for message in aws.queue_messages("FailuresQueueUrl")]

    # Then each listing has all of them, in the order sent, and none was received (they stay for their reader)
    assert [body for body in first if body in bodies] == bodies
    assert second == first
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
    assert attributes["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "0"


def test_the_local_fault_controls_answer_with_the_short_names_they_accept(aws: EmbeddedAws) -> None:
    # Given the /_local controls of a running stack
    controls = LocalControls(aws, threading.Lock())
    _, listing = controls.handle("GET", "/_local/faults", None)

    # When a fault is armed on the relay by its short name
    status, armed = controls.handle("POST", "/_local/faults", {"function": RELAY, "kind": "crash_before"})
    _, listed = controls.handle("GET", "/_local/faults", None)
    controls.handle("DELETE", "/_local/faults", None)

    # Then the answer and the listing name it as it was armed, one of the names GET offers, not the deployed name
    assert status == 201
    assert RELAY in listing["functions"]
    assert armed["armed"] == listed["armed"] == {RELAY: ["crash_before"]}
