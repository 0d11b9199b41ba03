"""Each saga action runs once per ({{ cookiecutter.domain }}, action) and every step list entry has its logic."""

import inspect
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from infra.saga_asl import STEP_OUTCOME_UNKNOWN
from infra.saga_definition import check_action_functions
from infra.saga_model import SagaStep, action_names
from infra.saga_steps import SAGA_STEPS
from infra.settings import SETTINGS
from local.provider import FakeProvider, ProviderFault, ProviderTimeout

from {{ cookiecutter.package_name }}.errors import BusinessError, SagaNotPending, StepOutcomeUnknown
from {{ cookiecutter.package_name }}.logic import actions
from {{ cookiecutter.package_name }}.logic.saga import ActionContext, run_action
from {{ cookiecutter.package_name }}.progress import PROGRESS_MAP, ActionKind

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
FIRST_STEP = SAGA_STEPS[0]
COMPENSATABLE = [step for step in SAGA_STEPS if step.compensation]


class InMemoryProgress:
    """The operations run_action needs, with the conditional writes' semantics (dal/entities.py)."""

    def __init__(self, entity: dict[str, Any]) -> None:
        self.entity = entity

    def get(self, entity_id: str) -> dict[str, Any]:
        return self.entity

    def start_step(self, entity_id: str, step: str, now: str) -> None:
        if self.entity["status"] != "PENDING" or self.entity["compensations"]:
            raise SagaNotPending(step)
        self.entity["started"].setdefault(step, now)

    def record_action(self, entity_id: str, kind: ActionKind, action: str, record: dict[str, Any], now: str) -> bool:
        progress = self.entity[PROGRESS_MAP[kind]]
        if action in progress:
            return False
        progress[action] = record
        return True


def new_entity() -> dict[str, Any]:
    return {"id": "e-1", "status": "PENDING", "started": {}, "steps": {}, "compensations": {}, "failures": {}}


class CountingAction:
    def __init__(self) -> None:
        self.calls: list[ActionContext] = []

    def __call__(self, context: ActionContext) -> dict[str, Any]:
        self.calls.append(context)
        return {"reference": context.idempotency_key}


def run(store: InMemoryProgress, action: str, kind: ActionKind) -> dict[str, Any]:
    return run_action(store, "e-1", action, kind, getattr(actions, action), NOW)


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
    # Then the action ran once, it is recorded as started and its result with the time, and the retry reports it
    assert len(action.calls) == 1
    assert first["outcome"] == "recorded" and second["outcome"] == "already recorded"
    assert store.entity["started"] == {FIRST_STEP.name: NOW.isoformat()}
    assert store.entity["steps"][FIRST_STEP.name] == {"result": first["result"], "at": NOW.isoformat()}


def test_the_idempotency_key_is_stable_per_entity_and_action() -> None:
    action = CountingAction()
    run_action(InMemoryProgress(new_entity()), "e-1", FIRST_STEP.name, "step", action, NOW)
    run_action(InMemoryProgress(new_entity()), "e-1", FIRST_STEP.name, "step", action, NOW)
    assert [call.idempotency_key for call in action.calls] == [f"e-1/{FIRST_STEP.name}"] * 2


def test_a_step_is_known_to_the_saga_as_started_before_its_effect_can_happen() -> None:
    # Given a PENDING {{ cookiecutter.domain }}, and a step whose effect looks at what the saga knows when it happens
    store = InMemoryProgress(new_entity())
    seen_started: list[dict[str, str]] = []

    def effect(context: ActionContext) -> dict[str, Any]:
        seen_started.append(dict(store.entity["started"]))
        # A duplicate execution claims the saga for failing while the effect is under way
        store.entity["status"] = "COMPENSATING"
        return {"reference": context.idempotency_key}

    # When the step runs
    run_action(store, "e-1", FIRST_STEP.name, "step", effect, NOW)
    # Then the step was recorded as started before its effect, so the claim found it and compensates it
    assert seen_started == [{FIRST_STEP.name: NOW.isoformat()}]
    # And its result is recorded even though the saga is compensating by then: the effect happened
    assert FIRST_STEP.name in store.entity["steps"]


@pytest.mark.parametrize("status", ["COMPENSATING", "COMPLETED", "FAILED", "COMPENSATION_FAILED"])
def test_a_step_refuses_to_run_once_the_saga_is_compensating_or_over(status: str) -> None:
    # Given one {{ cookiecutter.domain }} whose saga was claimed for failing or ended before this step started
    entity = {**new_entity(), "status": status}
    action = CountingAction()
    # When a duplicate execution invokes the step
    with pytest.raises(SagaNotPending):
        run_action(InMemoryProgress(entity), "e-1", FIRST_STEP.name, "step", action, NOW)
    # Then the step had no effect and is not started
    assert action.calls == []
    assert entity["started"] == {}


def test_a_step_whose_answer_was_lost_is_performed_again_with_its_key_and_takes_effect_once(
    provider: FakeProvider,
) -> None:
    # Given a provider that applies the step's effect and then loses the answer
    store = InMemoryProgress(new_entity())
    provider.arm(FIRST_STEP.name, ProviderFault.LOST_ANSWER)
    # When the step runs, fails with the provider's timeout, and runs again (the state machine's retry)
    with pytest.raises(ProviderTimeout):
        run(store, FIRST_STEP.name, "step")
    outcome = run(store, FIRST_STEP.name, "step")
    # Then the provider applied one effect for the step's key, and its answer is recorded once
    (effect,) = provider.effects("e-1").values()
    assert (effect.key, effect.standing, effect.performed) == (f"e-1/{FIRST_STEP.name}", True, 2)
    assert store.entity["steps"][FIRST_STEP.name]["result"] == outcome["result"]


@pytest.mark.parametrize("step", COMPENSATABLE, ids=lambda step: step.name)
def test_a_compensation_undoes_by_the_steps_key_when_the_steps_answer_was_lost(
    provider: FakeProvider, step: SagaStep
) -> None:
    # Given a step that took effect at the provider but recorded no result (its answer was lost, retries ran out)
    store = InMemoryProgress(new_entity())
    provider.arm(step.name, ProviderFault.LOST_ANSWER)
    with pytest.raises(ProviderTimeout):
        run(store, step.name, "step")
    assert step.name not in store.entity["steps"]
    # When its compensation runs
    outcome = run(store, str(step.compensation), "compensation")
    # Then the provider undid the effect by the step's key, and the compensation recorded the provider's answer
    assert provider.effects("e-1")[step.name].standing is False
    assert outcome["result"] == {"undone": f"e-1/{step.name}"}


@pytest.mark.parametrize("step", COMPENSATABLE, ids=lambda step: step.name)
def test_nothing_to_undo_is_the_providers_answer(provider: FakeProvider, step: SagaStep) -> None:
    # Given a step that never reached the provider
    store = InMemoryProgress(new_entity())
    # When its compensation runs, twice
    first = run(store, str(step.compensation), "compensation")
    second = run(store, str(step.compensation), "compensation")
    # Then the provider answered that the key had no effect, and the answer is recorded once
    assert first["result"] == {"undone": None} and second["outcome"] == "already recorded"
    # And a slow duplicate of the step arriving afterwards has no effect: the undo was final
    run(InMemoryProgress(new_entity()), step.name, "step")
    assert provider.effects("e-1")[step.name].standing is False


@pytest.mark.parametrize("step", COMPENSATABLE, ids=lambda step: step.name)
def test_a_compensation_undoes_what_its_step_did(provider: FakeProvider, step: SagaStep) -> None:
    # Given one {{ cookiecutter.domain }} whose step completed
    store = InMemoryProgress(new_entity())
    done = run(store, step.name, "step")
    # When its compensation runs
    undone = run(store, str(step.compensation), "compensation")
    # Then it undid that effect
    assert undone["result"]["undone"] == done["result"]["reference"]
    assert provider.effects("e-1")[step.name].standing is False


def test_the_step_handler_names_unknown_outcomes_as_the_definition_retries_them() -> None:
    # The ASL retries this name and catches every other one (a BusinessError subclass's name) at once.
    assert StepOutcomeUnknown.__name__ == STEP_OUTCOME_UNKNOWN
    assert not issubclass(StepOutcomeUnknown, BusinessError)
