"""The deployed step and compensation functions: one effect per ({{ cookiecutter.domain }}, action)."""

from typing import Any

import pytest
from embedded_aws.services.awslambda import LambdaRuntime

from infra.saga_steps import SAGA_STEPS
from local.provider import FakeProvider, ProviderFault
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
def test_a_compensation_with_nothing_to_undo_succeeds(
    functions: LambdaRuntime, entity_id: str, step: Any, provider: FakeProvider
) -> None:
    outcome = functions.function(step.compensation).invoke({"entity_id": entity_id})
    assert outcome["outcome"] == "recorded"
    assert outcome["result"] == {"undone": None}


@pytest.mark.parametrize("fault", [ProviderFault.LOST_ANSWER, ProviderFault.UNAVAILABLE])
@pytest.mark.parametrize("step", SAGA_STEPS, ids=lambda step: step.name)
def test_a_step_that_fails_without_a_refusal_reports_an_unknown_outcome(
    functions: LambdaRuntime, entity_id: str, step: Any, provider: FakeProvider, fault: ProviderFault
) -> None:
    # Given a provider whose answer is lost (effect applied) or that is unavailable (no effect)
    provider.arm(step.name, fault)
    # When the step's function runs
    # Then it fails with the one error name the state machine retries, the provider's error as its message
    with pytest.raises(Exception) as failure:
        functions.function(step.name).invoke({"entity_id": entity_id, "event_id": "ev"})
    assert type(failure.value).__name__ == "StepOutcomeUnknown"
    assert str(failure.value).startswith(("ProviderTimeout: ", "ProviderUnavailable: "))
    # And the step is recorded as started, without a result, so that a compensation would undo it
    entity = stored(functions, entity_id)
    assert step.name in entity["started"] and step.name not in entity["steps"]


@pytest.mark.parametrize("step", SAGA_STEPS, ids=lambda step: step.name)
def test_a_step_whose_provider_outlasts_its_timeout_ends_as_lambda_timed_out_with_the_effect_unrecorded(
    functions: LambdaRuntime, entity_id: str, step: Any, provider: FakeProvider
) -> None:
    # Given a provider that applies the effect but answers after the step function's timeout
    provider.arm(step.name, ProviderFault.SLOW)
    # When the Lambda service invokes the step's function
    invocation = functions.invoke(functions.function_name(step.name), {"entity_id": entity_id, "event_id": "ev"})
    # Then the invocation ends as Lambda ends a timed-out one, which the step's own code cannot catch or map
    assert invocation.error_type == "Sandbox.Timedout"
    timeout = functions.function(step.name).timeout_seconds
    assert invocation.payload["errorMessage"] == f"Task timed out after {timeout:.2f} seconds"
    # And the effect happened at the provider while the step is only known as started, so a compensation would undo it
    assert provider.effects(entity_id)[step.name].standing
    entity = stored(functions, entity_id)
    assert step.name in entity["started"] and step.name not in entity["steps"]
