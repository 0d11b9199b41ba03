"""The stream -> relay mapping and what the relay may do."""

from typing import Any

from aws_cdk.assertions import Template

from infra.saga_model import pascal
from infra.settings import SETTINGS
from tests.infra.support import (
    actions_on,
    all_actions,
    function_by_handler,
    function_role_statements,
    logical_id_of_type,
    resources_of_type,
)

STREAM_READ_ACTIONS = {
    "dynamodb:DescribeStream",
    "dynamodb:GetRecords",
    "dynamodb:GetShardIterator",
    "dynamodb:ListStreams",
}
WRITE_ACTIONS = {
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:TransactWriteItems",
}


def mapping(template_json: dict[str, Any]) -> dict[str, Any]:
    mappings = list(resources_of_type(template_json, "AWS::Lambda::EventSourceMapping").values())
    assert len(mappings) == 1
    properties: dict[str, Any] = mappings[0]["Properties"]
    return properties


def test_the_outbox_stream_feeds_the_relay(template_json: dict[str, Any]) -> None:
    # Given the outbox table and the relay function
    outbox = logical_id_of_type(template_json, "AWS::DynamoDB::Table", "OutboxTable")
    relay, _ = function_by_handler(template_json, "outbox_relay")
    # When the stack is synthesized
    properties = mapping(template_json)
    # Then the relay reads the outbox's stream from its oldest record
    assert properties["EventSourceArn"] == {"Fn::GetAtt": [outbox, "StreamArn"]}
    assert properties["FunctionName"] == {"Ref": relay}
    assert properties["StartingPosition"] == "TRIM_HORIZON"


def test_only_inserts_reach_the_relay(template: Template) -> None:
    # Given the outbox stream also carries TTL deletions (REMOVE)
    # When the stack is synthesized
    # Then the mapping filters everything but INSERT records out before the relay is invoked
    template.has_resource_properties(
        "AWS::Lambda::EventSourceMapping",
        {"FilterCriteria": {"Filters": [{"Pattern": '{"eventName":["INSERT"]}'}]}},
    )


def test_a_failing_record_cannot_block_its_shard(template_json: dict[str, Any]) -> None:
    # Given the stream mapping
    # When a batch keeps failing
    properties = mapping(template_json)
    # Then the relay reports single failed records, the batch is bisected, and retries and record age are bounded
    assert properties["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert properties["BisectBatchOnFunctionError"] is True
    assert 0 <= properties["MaximumRetryAttempts"] <= 10
    assert 60 <= properties["MaximumRecordAgeInSeconds"] <= 6 * 3600
    assert properties["BatchSize"] == 10


def test_discarded_records_go_to_the_relay_failures_queue_when_dlq_enabled(template_json: dict[str, Any]) -> None:
    # Given the dlq option
    # When records are discarded after their retries
    properties = mapping(template_json)
    # Then their coordinates go to the relay failures queue, or nowhere when the dlq is disabled
    if SETTINGS.dlq_enabled:
        queue = logical_id_of_type(template_json, "AWS::SQS::Queue", "RelayFailuresQueue")
        assert properties["DestinationConfig"] == {"OnFailure": {"Destination": {"Fn::GetAtt": [queue, "Arn"]}}}
    else:
        assert "DestinationConfig" not in properties


def test_relay_environment_follows_the_workflow_type(template_json: dict[str, Any]) -> None:
    # Given the workflow type
    # When the stack is synthesized
    _, relay = function_by_handler(template_json, "outbox_relay")
    variables = relay["Properties"]["Environment"]["Variables"]
    # Then the relay knows the state machine and, for Express only, where to claim events
    assert variables["WORKFLOW_TYPE"] == SETTINGS.workflow_type
    assert variables["STATE_MACHINE_ARN"] == {
        "Ref": logical_id_of_type(template_json, "AWS::StepFunctions::StateMachine", "Saga")
    }
    if SETTINGS.workflow_type == "EXPRESS":
        assert variables["DISPATCH_CLAIM_RETENTION_DAYS"] == str(SETTINGS.outbox_retention_days)
        assert variables["DISPATCH_CLAIMS_TABLE_NAME"] == {
            "Ref": logical_id_of_type(template_json, "AWS::DynamoDB::Table", "DispatchClaimsTable")
        }
    else:
        assert variables.keys().isdisjoint({"DISPATCH_CLAIMS_TABLE_NAME", "DISPATCH_CLAIM_RETENTION_DAYS"})


def test_relay_can_start_executions_but_never_write_the_entity_or_the_outbox(template_json: dict[str, Any]) -> None:
    # Given the relay's role
    _, relay = function_by_handler(template_json, "outbox_relay")
    statements = function_role_statements(template_json, relay)
    state_machine = logical_id_of_type(template_json, "AWS::StepFunctions::StateMachine", "Saga")
    entity_table = logical_id_of_type(template_json, "AWS::DynamoDB::Table", f"{pascal(SETTINGS.domain_plural)}Table")
    outbox_table = logical_id_of_type(template_json, "AWS::DynamoDB::Table", "OutboxTable")
    # When looking at what it may do
    allowed = all_actions(statements)
    # Then it starts executions of the saga and nothing else in Step Functions
    assert {action for action in allowed if action.startswith("states:")} == {"states:StartExecution"}
    assert actions_on(statements, state_machine) == {"states:StartExecution"}
    # And it cannot touch the entity table, nor write the outbox (that would create MODIFY records)
    assert actions_on(statements, entity_table) == set()
    assert actions_on(statements, outbox_table).isdisjoint(WRITE_ACTIONS)


def test_relay_claims_events_only_for_express(template_json: dict[str, Any]) -> None:
    # Given the workflow type
    _, relay = function_by_handler(template_json, "outbox_relay")
    statements = function_role_statements(template_json, relay)
    # When looking at the relay's item-level DynamoDB permissions
    item_actions = {
        a
        for a in all_actions(statements)
        if a.startswith("dynamodb:")
        and "Stream" not in a
        and a != "dynamodb:GetRecords"
        and a != "dynamodb:GetShardIterator"
    }
    # Then only Express relays read and write claims, on the claims table alone
    if SETTINGS.workflow_type == "EXPRESS":
        claims = logical_id_of_type(template_json, "AWS::DynamoDB::Table", "DispatchClaimsTable")
        assert actions_on(statements, claims) == {
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
        }
        assert item_actions == {
            "dynamodb:GetItem",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
        }
    else:
        assert item_actions == set()
