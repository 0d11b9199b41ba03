"""EXPRESS only: the relay claims each event before starting it, so a redelivery starts nothing twice."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError
from botocore.exceptions import ClientError
from embedded_aws.engine.deploy import DeployedStack
from embedded_aws.services.awslambda import LambdaRuntime
from embedded_aws.services.events import stream_event

from tests.integration.support import executions_named

from {{ cookiecutter.package_name }}.dal.dispatch_claims import ClaimingStarter


@pytest.fixture
def relay(functions: LambdaRuntime) -> Any:
    return functions.function("outbox_relay")


def claim_of(dynamodb: Any, relay: Any, event_id: str) -> dict[str, Any]:
    table = relay.environment["DISPATCH_CLAIMS_TABLE_NAME"]
    item: dict[str, Any] = dynamodb.get_item(TableName=table, Key={"event_id": {"S": event_id}})["Item"]
    return item


def test_an_event_is_claimed_then_marked_started(
    relay: Any, created: tuple[str, list[dict[str, Any]]], dynamodb: Any, stepfunctions: Any, stack: DeployedStack
) -> None:
    # Given a new outbox record
    stream_arn, records = created
    event_id = records[0]["dynamodb"]["NewImage"]["event_id"]["S"]
    # When it is relayed, and redelivered
    assert relay.invoke(stream_event(records, stream_arn)) == {"batchItemFailures": []}
    assert relay.invoke(stream_event(records, stream_arn)) == {"batchItemFailures": []}
    # Then its claim says STARTED and one execution exists
    assert claim_of(dynamodb, relay, event_id)["state"]["S"] == "STARTED"
    assert len(executions_named(stepfunctions, stack, event_id)) == 1


def test_an_event_claimed_moments_ago_by_another_invocation_is_retried_later(
    relay: Any, created: tuple[str, list[dict[str, Any]]], dynamodb: Any, stepfunctions: Any, stack: DeployedStack
) -> None:
    # Given an event another relay invocation claimed just now (it may be starting the execution)
    stream_arn, records = created
    event_id = records[0]["dynamodb"]["NewImage"]["event_id"]["S"]
    dynamodb.put_item(
        TableName=relay.environment["DISPATCH_CLAIMS_TABLE_NAME"],
        Item={
            "event_id": {"S": event_id},
            "state": {"S": "CLAIMED"},
            "claimed_at": {"N": str(int(datetime.now(UTC).timestamp()))},
        },
    )
    # When the relay gets a batch of just that record
    # Then the invocation fails, so the stream mapping retries the batch later, and nothing was started
    with pytest.raises(BatchProcessingError):
        relay.invoke(stream_event(records, stream_arn))
    assert executions_named(stepfunctions, stack, event_id) == []


class RefusingTheFirstStart:
    """Step Functions refusing the first StartExecution (as a throttle or an IAM denial would), then starting."""

    def __init__(self) -> None:
        self.attempts = 0
        self.started: list[str] = []

    def start(self, name: str, execution_input: str) -> bool:
        self.attempts += 1
        if self.attempts == 1:
            raise ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "StartExecution")
        self.started.append(name)
        return True


def test_a_start_that_failed_releases_its_claim_so_the_retry_starts_the_event(relay: Any, dynamodb: Any) -> None:
    # Given a claiming starter whose first StartExecution is refused
    step_functions = RefusingTheFirstStart()
    claims = ClaimingStarter(
        dynamodb, relay.environment["DISPATCH_CLAIMS_TABLE_NAME"], step_functions, retention=timedelta(days=1)
    )
    # When an event is started, refused, and started again at once (the stream mapping's retry)
    with pytest.raises(ClientError, match="ThrottlingException"):
        claims.start("event-refused-once", "{}")
    started = claims.start("event-refused-once", "{}")
    # Then the retry was not held off by the failed attempt's claim: it started the execution and marked it
    assert (started, step_functions.started) == (True, ["event-refused-once"])
    assert claim_of(dynamodb, relay, "event-refused-once")["state"]["S"] == "STARTED"
