"""Tables and failure queues: keys, streams, TTLs, encryption and recovery."""

from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from infra.saga_model import pascal
from infra.settings import SETTINGS
from tests.infra.support import expected_failure_queues, logical_id_of_type, resources_of_type

FOURTEEN_DAYS = 14 * 24 * 3600


def table(template_json: dict[str, Any], name: str) -> dict[str, Any]:
    properties: dict[str, Any] = template_json["Resources"][
        logical_id_of_type(template_json, "AWS::DynamoDB::Table", f"{name}Table")
    ]["Properties"]
    return properties


def test_every_table_is_on_demand_encrypted_and_recoverable(template: Template) -> None:
    # Given the service's tables
    # When the stack is synthesized
    # Then none needs capacity planning, all are encrypted at rest and restorable to a point in time
    template.all_resources_properties(
        "AWS::DynamoDB::Table",
        {
            "BillingMode": "PAY_PER_REQUEST",
            "SSESpecification": {"SSEEnabled": True},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        },
    )


@pytest.mark.parametrize(
    ("name", "key", "ttl_attribute"),
    [
        (pascal(SETTINGS.domain_plural), "id", None),
        ("Outbox", "event_id", "expires_at"),
        ("Idempotency", "id", "expiration"),
    ],
)
def test_tables_have_the_keys_and_ttl_the_code_expects(
    template_json: dict[str, Any], name: str, key: str, ttl_attribute: str | None
) -> None:
    # Given a table the handlers read and write
    # When the stack is synthesized
    properties = table(template_json, name)
    # Then its key and TTL attribute are the ones the code uses
    assert properties["KeySchema"] == [{"AttributeName": key, "KeyType": "HASH"}]
    if ttl_attribute:
        assert properties["TimeToLiveSpecification"] == {"AttributeName": ttl_attribute, "Enabled": True}
    else:
        assert "TimeToLiveSpecification" not in properties


def test_only_the_outbox_has_a_stream_and_it_carries_new_images(template_json: dict[str, Any]) -> None:
    # Given the synthesized tables
    # When looking at their streams
    streams = {
        logical_id: resource["Properties"].get("StreamSpecification")
        for logical_id, resource in resources_of_type(template_json, "AWS::DynamoDB::Table").items()
    }
    # Then the outbox alone streams, with the new item (the event) in each record
    outbox = logical_id_of_type(template_json, "AWS::DynamoDB::Table", "OutboxTable")
    assert streams.pop(outbox) == {"StreamViewType": "NEW_IMAGE"}
    assert set(streams.values()) == {None}


def test_dispatch_claims_table_exists_only_for_express(template_json: dict[str, Any]) -> None:
    # Given the workflow type chosen at generation
    # When the stack is synthesized
    claims = [logical_id for logical_id in template_json["Resources"] if "DispatchClaimsTable" in logical_id]
    # Then Express (not deduplicated by execution name) gets a claims table, Standard does not
    if SETTINGS.workflow_type == "EXPRESS":
        assert table(template_json, "DispatchClaims")["TimeToLiveSpecification"] == {
            "AttributeName": "expires_at",
            "Enabled": True,
        }
    else:
        assert claims == []


def test_failure_queues_exist_only_where_failures_are_sent(template_json: dict[str, Any]) -> None:
    # Given the dlq option and the saga's steps
    expected = expected_failure_queues()
    # When the stack is synthesized
    queues = resources_of_type(template_json, "AWS::SQS::Queue")
    # Then there is a queue for each kind of failure that is reported, encrypted and kept 14 days
    assert {name for name in expected for logical_id in queues if name in logical_id} == expected
    assert len(queues) == len(expected)
    for queue in queues.values():
        assert queue["Properties"]["SqsManagedSseEnabled"] is True
        assert queue["Properties"]["MessageRetentionPeriod"] == FOURTEEN_DAYS


def test_failure_queues_refuse_unencrypted_transport(template: Template) -> None:
    # Given the failure queues (if any)
    queue_count = len(expected_failure_queues())
    # When looking at their policies
    # Then every queue denies requests without TLS
    template.resource_count_is("AWS::SQS::QueuePolicy", queue_count)
    if queue_count:
        template.all_resources_properties(
            "AWS::SQS::QueuePolicy",
            {
                "PolicyDocument": {
                    "Statement": Match.array_with(
                        [Match.object_like({"Effect": "Deny", "Condition": {"Bool": {"aws:SecureTransport": "false"}}})]
                    )
                }
            },
        )
