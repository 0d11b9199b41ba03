"""All reads and writes of the {{ cookiecutter.domain }} and outbox tables."""

from typing import Any, Literal

from botocore.exceptions import ClientError

from {{ cookiecutter.package_name }}.dal.items import from_item, to_item
from {{ cookiecutter.package_name }}.errors import EntityNotFound, SagaNotPending
from {{ cookiecutter.package_name }}.models import Status

ActionKind = Literal["step", "compensation"]
# Each kind of action records its progress in its own map on the entity.
PROGRESS_MAP: dict[ActionKind, str] = {"step": "steps", "compensation": "compensations"}


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

    def record_action(self, entity_id: str, kind: ActionKind, action: str, record: dict[str, Any], now: str) -> bool:
        """Record an action's result once; False when it was already recorded (a duplicate run).

        This single conditional write is both the action's idempotency guard and the saga's
        progress record, so progress costs no extra state transition.
        """
        condition = "attribute_exists(id) AND attribute_not_exists(#progress.#action)"
        names = {"#progress": PROGRESS_MAP[kind], "#action": action}
        values: dict[str, Any] = {":record": record, ":now": now}
        if kind == "step":
            # A duplicate execution must not redo a step once the saga began compensating or ended.
            condition += " AND #status = :pending AND size(compensations) = :zero"
            names["#status"] = "status"
            values |= {":pending": Status.PENDING.value, ":zero": 0}
        try:
            self._client.update_item(
                TableName=self._entity_table,
                Key={"id": {"S": entity_id}},
                UpdateExpression="SET #progress.#action = :record, updated_at = :now",
                ConditionExpression=condition,
                ExpressionAttributeNames=names,
                ExpressionAttributeValues=to_item(values),
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            entity = self.get(entity_id)
            if action in entity[PROGRESS_MAP[kind]]:
                return False
            raise SagaNotPending(f"{action} refused: the saga of {entity_id} is compensating or over") from error
        return True
