"""Run one saga action exactly once per ({{ cookiecutter.domain }}, action), however often it is invoked."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from {{ cookiecutter.package_name }}.dal.entities import PROGRESS_MAP, ActionKind
from {{ cookiecutter.package_name }}.errors import SagaNotPending
from {{ cookiecutter.package_name }}.models import Status


@dataclass(frozen=True)
class ActionContext:
    """What an action needs: the {{ cookiecutter.domain }} as stored and a key that is stable across retries."""

    action: str
    entity: dict[str, Any]

    @property
    def entity_id(self) -> str:
        return str(self.entity["id"])

    @property
    def idempotency_key(self) -> str:
        """Hand this to any external provider so that a retried call has no second effect there."""
        return f"{self.entity_id}/{self.action}"

    def step_result(self, step: str) -> dict[str, Any] | None:
        """The result a step recorded, or None when it never completed (nothing to undo)."""
        record = self.entity["steps"].get(step)
        return None if record is None else dict(record["result"])


ActionFunction = Callable[[ActionContext], dict[str, Any]]


class ProgressStore(Protocol):
    def get(self, entity_id: str) -> dict[str, Any]: ...

    def record_action(
        self, entity_id: str, kind: ActionKind, action: str, record: dict[str, Any], now: str
    ) -> bool: ...


def run_action(
    store: ProgressStore, entity_id: str, action: str, kind: ActionKind, perform: ActionFunction, now: datetime
) -> dict[str, Any]:
    entity = store.get(entity_id)
    recorded = entity[PROGRESS_MAP[kind]].get(action)
    if recorded is not None:
        return {"action": action, "outcome": "already recorded", "result": recorded["result"]}
    if kind == "step" and (entity["status"] != Status.PENDING or entity["compensations"]):
        raise SagaNotPending(f"{action} refused: the saga of {entity_id} is compensating or over")
    result = perform(ActionContext(action=action, entity=entity))
    at = now.isoformat()
    first_time = store.record_action(entity_id, kind, action, {"result": result, "at": at}, at)
    return {"action": action, "outcome": "recorded" if first_time else "already recorded", "result": result}
