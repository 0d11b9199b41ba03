"""All reads and writes of the {{ cookiecutter.domain }} and outbox tables."""

from typing import Any

from botocore.exceptions import ClientError

from {{ cookiecutter.package_name }}.dal.items import from_item, to_item
from {{ cookiecutter.package_name }}.errors import EntityNotFound, SagaNotPending
from {{ cookiecutter.package_name }}.progress import PROGRESS_MAP, ActionKind, Status


class AlreadyCreated(Exception):
    """The transaction found the {{ cookiecutter.domain }} or its event already stored."""


class EntityStore:
    def __init__(self, client: Any, entity_table: str, *, outbox_table: str | None = None) -> None:
        self._client = client
        self._entity_table = entity_table
        self._outbox_table = outbox_table

    def create_with_event(self, entity: dict[str, Any], outbox_event: dict[str, Any]) -> None:
        """Store both or neither; either one existing already means this request was handled before."""
        if self._outbox_table is None:
            raise TypeError("EntityStore needs outbox_table to create entities")
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._entity_table,
                            "Item": to_item(entity),
                            "ConditionExpression": "attribute_not_exists(id)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._outbox_table,
                            "Item": to_item(outbox_event),
                            "ConditionExpression": "attribute_not_exists(event_id)",
                        }
                    },
                ]
            )
        except ClientError as error:
            reasons = error.response.get("CancellationReasons", [])
            if any(reason.get("Code") == "ConditionalCheckFailed" for reason in reasons):
                raise AlreadyCreated from error
            raise

    def get(self, entity_id: str) -> dict[str, Any]:
        response = self._client.get_item(
            TableName=self._entity_table,
            Key={"id": {"S": entity_id}},
            ConsistentRead=True,
        )
        if "Item" not in response:
            raise EntityNotFound(entity_id)
        return from_item(response["Item"])

    def start_step(self, entity_id: str, step: str, now: str) -> None:
        """Record that ``step`` may take effect from now on, only while the saga is PENDING.

        Written before the step's effect, with the same condition a claim for failing breaks: a claim that
        comes later finds the step in ``started`` and compensates it; a step refused here performs nothing.
        A step started before keeps its first time. Raises SagaNotPending when the saga is compensating or over.
        """
        try:
            self._client.update_item(
                TableName=self._entity_table,
                Key={"id": {"S": entity_id}},
                UpdateExpression="SET started.#step = if_not_exists(started.#step, :now), updated_at = :now",
                ConditionExpression="attribute_exists(id) AND #status = :pending AND size(compensations) = :zero",
                ExpressionAttributeNames={"#step": step, "#status": "status"},
                ExpressionAttributeValues=to_item({":now": now, ":pending": Status.PENDING.value, ":zero": 0}),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            raise SagaNotPending(f"{step} refused: the saga of {entity_id} is compensating or over") from error

    def record_action(self, entity_id: str, kind: ActionKind, action: str, record: dict[str, Any], now: str) -> bool:
        """Record an action's result once; False when it was already recorded (a duplicate run).

        Whatever the saga's status: the effect has happened, and a compensation running now or later must find
        its result. Whether a step may run at all was decided before its effect (``start_step``).
        """
        try:
            self._client.update_item(
                TableName=self._entity_table,
                Key={"id": {"S": entity_id}},
                UpdateExpression="SET #progress.#action = :record, updated_at = :now",
                ConditionExpression="attribute_exists(id) AND attribute_not_exists(#progress.#action)",
                ExpressionAttributeNames={"#progress": PROGRESS_MAP[kind], "#action": action},
                ExpressionAttributeValues=to_item({":record": record, ":now": now}),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            return False
        return True
