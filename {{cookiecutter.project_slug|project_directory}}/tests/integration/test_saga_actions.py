"""The deployed step and compensation functions: one effect per ({{ cookiecutter.domain }}, action)."""

from typing import Any

import pytest

from infra.saga_steps import SAGA_STEPS
from local.lambdas import LambdaRuntime
from tests.integration.support import VALID_BODY, get, new_key, post

COMPENSATABLE = [step for step in SAGA_STEPS if step.compensation]


@pytest.fixture
def entity_id(functions: LambdaRuntime) -> str:
    return str(post(functions.function("create_{{ cookiecutter.domain }}"), VALID_BODY, new_key()).body["id"])


def stored(functions: LambdaRuntime, entity_id: str) -> dict[str, Any]:
    return get(functions.function("get_{{ cookiecutter.domain }}"), entity_id).body


@pytest.mark.parametrize("step", SAGA_STEPS, ids=lambda step: step.name)
def test_a_step_invoked_twice_records_one_effect(functions: LambdaRuntime, entity_id: str, step: Any) -> None:
    # Given a PENDING {{ cookiecutter.domain }}
    function = functions.function(step.name)
    # When the step's function is invoked twice with the saga's input
    first = function.invoke({"entity_id": entity_id, "event_id": "ev"})
    second = function.invoke({"entity_id": entity_id, "event_id": "ev"})
    # Then the second invocation finds the first one's record, which the {{ cookiecutter.domain }} shows
    assert (first["outcome"], second["outcome"]) == ("recorded", "already recorded")
    assert second["result"] == first["result"]
    assert list(stored(functions, entity_id)["steps"]) == [step.name]


@pytest.mark.parametrize("step", COMPENSATABLE, ids=lambda step: step.name)
def test_a_compensation_undoes_its_step_once(functions: LambdaRuntime, entity_id: str, step: Any) -> None:
    # Given one {{ cookiecutter.domain }} whose step completed
    functions.function(step.name).invoke({"entity_id": entity_id})
    compensation = functions.function(step.compensation)
    # When its compensation runs twice
    first = compensation.invoke({"entity_id": entity_id})
    second = compensation.invoke({"entity_id": entity_id})
    # Then it was recorded once, and a step can no longer run for this {{ cookiecutter.domain }}
    assert (first["outcome"], second["outcome"]) == ("recorded", "already recorded")
    assert list(stored(functions, entity_id)["compensations"]) == [step.compensation]


@pytest.mark.parametrize("step", COMPENSATABLE, ids=lambda step: step.name)
def test_a_compensation_with_nothing_to_undo_succeeds(functions: LambdaRuntime, entity_id: str, step: Any) -> None:
    outcome = functions.function(step.compensation).invoke({"entity_id": entity_id})
    assert outcome["outcome"] == "recorded"
    assert outcome["result"] == {"undone": None}
