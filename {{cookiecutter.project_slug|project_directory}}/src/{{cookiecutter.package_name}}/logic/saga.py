"""Run a saga action and record its result once per ({{ cookiecutter.domain }}, action), however often it is invoked.

A step is recorded as started before its effect can happen and its result after: a claim for failing
that comes in between finds it started and compensates it, and a claim that came first stops it before
its effect. An attempt whose answer was lost is performed again with the same idempotency key, so the
provider, not this module, keeps the effect to one.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from {{ cookiecutter.package_name }}.progress import PROGRESS_MAP, ActionKind


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
        return self.idempotency_key_of(self.action)

    def idempotency_key_of(self, step: str) -> str:
        """The key ``step`` used with its provider: a compensation undoes by it (``{entity id}/{step}``)."""
        return f"{self.entity_id}/{step}"

    def step_result(self, step: str) -> dict[str, Any] | None:
        """The result a step recorded, or None when none was recorded as this action started.

        None does not mean the step had no effect: its answer may have been lost, or it may still be running
        in a duplicate execution. A compensation undoes by ``idempotency_key_of(step)`` whatever this says.
        """
        record = self.entity["steps"].get(step)
        return None if record is None else dict(record["result"])


ActionFunction = Callable[[ActionContext], dict[str, Any]]


class ProgressStore(Protocol):
    def get(self, entity_id: str) -> dict[str, Any]: ...

    def start_step(self, entity_id: str, step: str, now: str) -> None: ...

    def record_action(
        self, entity_id: str, kind: ActionKind, action: str, record: dict[str, Any], now: str
    ) -> bool: ...


def run_action(
    store: ProgressStore, entity_id: str, action: str, kind: ActionKind, perform: ActionFunction, now: datetime
) -> dict[str, Any]:
    """Perform the action unless its result is recorded, then record it; returns ``{action, outcome, result}``.

    A step first records that it started, which raises SagaNotPending (performing nothing) once the saga
    is compensating or over. Exceptions of ``perform`` propagate unrecorded.
    """
    entity = store.get(entity_id)
    recorded = entity[PROGRESS_MAP[kind]].get(action)
    if recorded is not None:
        return {"action": action, "outcome": "already recorded", "result": recorded["result"]}
    at = now.isoformat()
    if kind == "step":
        store.start_step(entity_id, action, at)
    result = perform(ActionContext(action=action, entity=entity))
    first_time = store.record_action(entity_id, kind, action, {"result": result, "at": at}, at)
    return {"action": action, "outcome": "recorded" if first_time else "already recorded", "result": result}
