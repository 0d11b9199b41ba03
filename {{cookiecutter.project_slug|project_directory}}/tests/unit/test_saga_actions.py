"""Each saga action runs once per ({{ cookiecutter.domain }}, action) and every step list entry has its logic."""

import inspect
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
{% set infra_imports %}
from infra.saga_definition import action_names, check_action_functions
from infra.saga_steps import SAGA_STEPS
from infra.settings import SETTINGS
{%- endset %}
{%- set package_imports %}
from {{ cookiecutter.package_name }}.dal.entities import PROGRESS_MAP, ActionKind
from {{ cookiecutter.package_name }}.errors import SagaNotPending
from {{ cookiecutter.package_name }}.logic import actions
from {{ cookiecutter.package_name }}.logic.saga import ActionContext, run_action
{%- endset %}
{#- isort orders first-party imports by module name, so the block order depends on the package name. #}
{%- if cookiecutter.package_name < "infra" %}{{ package_imports }}{{ infra_imports }}{% else %}{{ infra_imports }}{{ package_imports }}{% endif %}

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
FIRST_STEP = SAGA_STEPS[0]


class InMemoryProgress:
    """The two operations run_action needs, with the conditional write's semantics."""

    def __init__(self, entity: dict[str, Any]) -> None:
        self.entity = entity

    def get(self, entity_id: str) -> dict[str, Any]:
        return self.entity

    def record_action(self, entity_id: str, kind: ActionKind, action: str, record: dict[str, Any], now: str) -> bool:
        progress = self.entity[PROGRESS_MAP[kind]]
        if action in progress:
            return False
        progress[action] = record
        return True


def new_entity() -> dict[str, Any]:
    return {"id": "e-1", "status": "PENDING", "steps": {}, "compensations": {}, "failures": {}}


class CountingAction:
    def __init__(self) -> None:
        self.calls: list[ActionContext] = []

    def __call__(self, context: ActionContext) -> dict[str, Any]:
        self.calls.append(context)
        return {"reference": context.idempotency_key}


def test_every_step_and_compensation_has_an_action_function_and_every_function_a_name() -> None:
    # Given the step list and the actions module
    # When they are compared (a mismatch fails here, naming every function to add and to remove, as synth does)
    check_action_functions(PROJECT_ROOT, SETTINGS.package_name, SAGA_STEPS)
    # Then each function takes the context
    names = action_names(SAGA_STEPS)
    parameters = {name: list(inspect.signature(getattr(actions, name)).parameters) for name in names}
    assert parameters == {name: ["context"] for name in names}


def test_a_step_runs_once_however_often_it_is_invoked() -> None:
    # Given a new {{ cookiecutter.domain }} and a step's action
    store, action = InMemoryProgress(new_entity()), CountingAction()
    # When the step is invoked twice (a Lambda retry or a duplicate execution)
    first = run_action(store, "e-1", FIRST_STEP.name, "step", action, NOW)
    second = run_action(store, "e-1", FIRST_STEP.name, "step", action, NOW)
    # Then the action ran once, its result is recorded with the time, and the retry reports it
    assert len(action.calls) == 1
    assert first["outcome"] == "recorded" and second["outcome"] == "already recorded"
    assert store.entity["steps"][FIRST_STEP.name] == {"result": first["result"], "at": NOW.isoformat()}


def test_the_idempotency_key_is_stable_per_entity_and_action() -> None:
    action = CountingAction()
    run_action(InMemoryProgress(new_entity()), "e-1", FIRST_STEP.name, "step", action, NOW)
    run_action(InMemoryProgress(new_entity()), "e-1", FIRST_STEP.name, "step", action, NOW)
    assert [call.idempotency_key for call in action.calls] == [f"e-1/{FIRST_STEP.name}"] * 2


def test_a_step_refuses_to_run_once_the_saga_is_compensating() -> None:
    # Given one {{ cookiecutter.domain }} whose saga already ran a compensation
    entity = new_entity()
    entity["compensations"]["anything"] = {"result": {}, "at": NOW.isoformat()}
    action = CountingAction()
    # When a duplicate execution invokes a step
    with pytest.raises(SagaNotPending):
        run_action(InMemoryProgress(entity), "e-1", FIRST_STEP.name, "step", action, NOW)
    # Then the step had no effect
    assert action.calls == []


@pytest.mark.parametrize("step", [step for step in SAGA_STEPS if step.compensation], ids=lambda step: step.name)
def test_a_compensation_with_nothing_to_undo_succeeds_and_records_it(step: Any) -> None:
    # Given one {{ cookiecutter.domain }} whose step never completed
    store = InMemoryProgress(new_entity())
    # When its compensation runs
    outcome = run_action(store, "e-1", step.compensation, "compensation", getattr(actions, step.compensation), NOW)
    # Then it succeeds and records that it ran
    assert outcome["outcome"] == "recorded"
    assert step.compensation in store.entity["compensations"]


@pytest.mark.parametrize("step", [step for step in SAGA_STEPS if step.compensation], ids=lambda step: step.name)
def test_a_compensation_undoes_what_its_step_recorded(step: Any) -> None:
    # Given one {{ cookiecutter.domain }} whose step completed
    store = InMemoryProgress(new_entity())
    done = run_action(store, "e-1", step.name, "step", getattr(actions, step.name), NOW)
    # When its compensation runs
    undone = run_action(store, "e-1", step.compensation, "compensation", getattr(actions, step.compensation), NOW)
    # Then it undoes that result
    assert undone["result"]["undone"] == done["result"]["reference"]


@pytest.mark.parametrize("status", ["COMPLETED", "FAILED", "COMPENSATION_FAILED"])
def test_a_step_refuses_to_run_once_the_saga_is_over(status: str) -> None:
    # Given one {{ cookiecutter.domain }} whose saga already ended before this step recorded anything
    entity = {**new_entity(), "status": status}
    action = CountingAction()
    # When a duplicate execution invokes the step
    with pytest.raises(SagaNotPending):
        run_action(InMemoryProgress(entity), "e-1", FIRST_STEP.name, "step", action, NOW)
    # Then the step had no effect
    assert action.calls == []
