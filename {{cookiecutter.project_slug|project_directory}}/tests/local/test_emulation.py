"""The emulation's own promises, where moto alone would differ from AWS: transactions, stream and idempotency time."""

import uuid

import boto3
import pytest
from botocore.exceptions import ClientError

from local.runtime import EmbeddedAws
from tests.local.support import (
    IDEMPOTENCY_TTL_SECONDS,
    VALID_BODY,
    Client,
    item_counts,
    live_idempotency_records,
    new_key,
    outbox_events,
    stream_sequence_numbers,
)

pytestmark = pytest.mark.usefixtures("settled")


def test_a_cancelled_transaction_leaves_its_items_and_the_stream_as_they_were(aws: EmbeddedAws) -> None:
    dynamodb = boto3.client("dynamodb")
    entity_table, outbox_table = aws.stack.outputs["EntityTableName"], aws.stack.outputs["OutboxTableName"]
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
    (poller,) = aws.pollers
    aws.clock.advance(30 * 24 * 3600)
    sent_to_on_failure = len(poller.log.sent_to_on_failure)
    # When a request is accepted afterwards
    entity_id = client.create()
    aws.settle()
    # Then its record was delivered, not discarded as expired
    assert client.entity(entity_id)["status"] == "COMPLETED"
    assert len(poller.log.sent_to_on_failure) == sent_to_on_failure


def test_idempotency_records_expire_on_virtual_time_and_the_key_still_names_one_entity(
    aws: EmbeddedAws, client: Client
) -> None:
    # Given an accepted request whose saga has run, and its idempotency record still live
    key = new_key()
    first = client.post(VALID_BODY, key)
    aws.settle()
    assert live_idempotency_records(aws) >= 1
    counts = item_counts()
    # When virtual time passes the idempotency TTL
    aws.clock.advance(IDEMPOTENCY_TTL_SECONDS + 1)
    # Then Powertools judges every record written so far expired
    assert live_idempotency_records(aws) == 0
    # And when the same request arrives again, it is not answered from the expired record: the request is
    # handled anew and writes a fresh record
    replay = client.post(VALID_BODY, key)
    aws.settle()
    assert live_idempotency_records(aws) == 1
    # Yet it gets the first answer, and no second entity or outbox event exists
    assert (replay.status_code, replay.body) == (first.status_code, first.body)
    assert item_counts() == counts
    assert len(outbox_events(aws, first.body["id"])) == 1
    assert client.entity(first.body["id"])["status"] == "COMPLETED"
