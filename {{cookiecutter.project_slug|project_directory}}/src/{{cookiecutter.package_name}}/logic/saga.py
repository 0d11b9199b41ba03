"""Run one saga action exactly once per ({{ cookiecutter.domain }}, action), however often it is invoked."""

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import ModuleType
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


class ActionsMismatch(Exception):
    """The actions module and the step list disagree; the message names every function to add and to remove."""


def action_functions(module: ModuleType, names: Sequence[str]) -> dict[str, ActionFunction]:
    """The function for each action name (every step, then every compensation), by name, from the actions module.

    A public function of the module that no name asks for is left over from a step renamed or removed; helpers
    start with ``_``. Raises ActionsMismatch naming every missing and every leftover function at once, so that
    one run says everything there is to fix.
    """
    defined = {
        name: function
        for name, function in inspect.getmembers(module, inspect.isfunction)
        if function.__module__ == module.__name__ and not name.startswith("_")
    }
    missing = [name for name in names if name not in defined]
    leftover = sorted(set(defined) - set(names))
    problems: list[str] = []
    if missing:
        problems.append("missing " + ", ".join(f"{name}()" for name in missing))
    if leftover:
        named = ", ".join(f"{name}()" for name in leftover)
        problems.append(f"left over (no step or compensation has that name) {named}")
    if problems:
        raise ActionsMismatch(f"{module.__name__} does not match infra/saga_steps.py: {'; '.join(problems)}")
    return {name: defined[name] for name in names}


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
