"""Claims that make EXPRESS saga starts effectively once per outbox event.

Express executions are not deduplicated by name (they run at least once), so the relay claims
an event with a conditional write before starting it and marks the claim when the start
succeeded. A start that fails (throttled, denied, timed out) releases its claim, so the stream
mapping's retry can start the event at once rather than after the lease. A relay that crashed
between the two leaves a CLAIMED row; once its lease has passed another attempt may take over.
Both can start a second execution (a timed-out start may have started one): harmless, because
every saga action is idempotent.
"""

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from {{ cookiecutter.package_name }}.logic.dispatch import ExecutionStarter

CLAIMED = "CLAIMED"
STARTED = "STARTED"


class ClaimHeld(Exception):
    """Another relay invocation claimed this event moments ago; retry after its lease passes."""


class ClaimingStarter:
    def __init__(
        self,
        client: Any,
        table_name: str,
        starter: ExecutionStarter,
        *,
        retention: timedelta,
        lease: timedelta = timedelta(minutes=5),
    ) -> None:
        self._client = client
        self._table_name = table_name
        self._starter = starter
        self._retention = retention
        self._lease = lease

    def start(self, name: str, execution_input: str) -> bool:
        """Start the execution unless this event's execution was already started; False then.

        Raises ClaimHeld while another invocation's claim is within its lease, and whatever the start raised
        (after releasing this invocation's claim).
        """
        claimed_at = datetime.now(UTC)
        if not self._claim(name, claimed_at):
            return False
        try:
            self._starter.start(name, execution_input)
        except Exception:
            self._release(name, claimed_at)
            raise
        self._client.update_item(
            TableName=self._table_name,
            Key={"event_id": {"S": name}},
            UpdateExpression="SET #state = :started",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":started": {"S": STARTED}},
        )
        return True

    def _release(self, event_id: str, claimed_at: datetime) -> None:
        # A claim taken over meanwhile is not ours to delete, and one we fail to delete still ends with its lease.
        with contextlib.suppress(ClientError):
            self._client.delete_item(
                TableName=self._table_name,
                Key={"event_id": {"S": event_id}},
                ConditionExpression="#state = :claimed AND claimed_at = :claimed_at",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":claimed": {"S": CLAIMED},
                    ":claimed_at": {"N": str(int(claimed_at.timestamp()))},
                },
            )

    def _claim(self, event_id: str, now: datetime) -> bool:
        try:
            self._client.put_item(
                TableName=self._table_name,
                Item={
                    "event_id": {"S": event_id},
                    "state": {"S": CLAIMED},
                    "claimed_at": {"N": str(int(now.timestamp()))},
                    "expires_at": {"N": str(int((now + self._retention).timestamp()))},
                },
                # A crashed claimer's CLAIMED row may be taken over once its lease has passed.
                ConditionExpression=(
                    "attribute_not_exists(event_id) OR (#state = :claimed AND claimed_at < :lease_start)"
                ),
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":claimed": {"S": CLAIMED},
                    ":lease_start": {"N": str(int((now - self._lease).timestamp()))},
                },
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            existing = self._client.get_item(
                TableName=self._table_name, Key={"event_id": {"S": event_id}}, ConsistentRead=True
            ).get("Item", {})
            if existing.get("state", {}).get("S") == STARTED:
                return False
            raise ClaimHeld(f"event {event_id} is being started by another relay invocation") from error
        return True
