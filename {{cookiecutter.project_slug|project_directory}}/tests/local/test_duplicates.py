"""At-least-once hops inside the saga: duplicate executions, crashes after an effect, transient Lambda errors."""

import pytest

from infra.saga_model import SagaStep
from infra.saga_steps import SAGA_STEPS
from infra.settings import SETTINGS
from local.aws import ServiceOnEmbeddedAws
from tests.local.support import (
    COMPENSATABLE,
    PIVOTAL,
    Client,
    Invoked,
    action_outcomes,
    compensations_after_failure_at,
    event_id_of,
    executions_of,
    lambda_outcomes,
    only_execution,
    scheduled_functions,
    task_failures,
)

pytestmark = pytest.mark.usefixtures("settled")

only_express = pytest.mark.skipif(
    SETTINGS.workflow_type != "EXPRESS", reason="STANDARD deduplicates executions by name: no duplicate runs"
)


def test_a_duplicate_start_of_a_finished_saga_has_no_second_effect(
    aws: ServiceOnEmbeddedAws, client: Client, invoked: list[Invoked]
) -> None:
    # Given a completed saga
    entity_id = client.create()
    aws.settle()
    before = client.entity(entity_id)
    # When its execution is started again, as a repeated start would
    answer = aws.start_duplicate_execution(event_id_of(aws, entity_id))
    aws.settle()
    # Then STANDARD refuses the used name; EXPRESS runs it again, and every step finds its effect recorded
    executions = executions_of(aws, entity_id)
    if SETTINGS.workflow_type == "STANDARD":
        assert (answer, len(executions)) == ("already exists", 1)
    else:
        assert (answer, [execution["status"] for execution in executions]) == ("started", ["SUCCEEDED"] * 2)
        for step in SAGA_STEPS:
            assert action_outcomes(aws, invoked, step.name, entity_id) == ["recorded", "already recorded"]
    # And the entity is exactly as the first execution left it
    after = client.entity(entity_id)
    assert after["status"] == "COMPLETED"
    assert (after["steps"], after["compensations"], after["failures"]) == (
        before["steps"],
        before["compensations"],
        before["failures"],
    )


@only_express
def test_a_duplicate_express_execution_running_alongside_has_no_second_effect(
    aws: ServiceOnEmbeddedAws, client: Client, invoked: list[Invoked]
) -> None:
    # Given an accepted request whose saga was just started
    entity_id = client.create()
    aws.pump_streams()
    # When a duplicate execution starts while the first one runs
    assert aws.start_duplicate_execution(event_id_of(aws, entity_id)) == "started"
    aws.settle()
    # Then both finish, each step recorded its effect once, and the entity is COMPLETED
    executions = executions_of(aws, entity_id)
    assert [execution["status"] for execution in executions] == ["SUCCEEDED"] * 2
    for step in SAGA_STEPS:
        assert sorted(action_outcomes(aws, invoked, step.name, entity_id)) == ["already recorded", "recorded"]
    entity = client.entity(entity_id)
    assert entity["status"] == "COMPLETED"
    assert set(entity["steps"]) == {step.name for step in SAGA_STEPS}
    assert entity["compensations"] == {}


@only_express
def test_a_duplicate_express_execution_of_a_failed_saga_changes_nothing(
    aws: ServiceOnEmbeddedAws, client: Client, invoked: list[Invoked]
) -> None:
    # Given a saga that failed at its last step that can fail it, and was compensated
    failing = PIVOTAL[-1]
    aws.arm_fault(failing.name, "business_error", error_name="Refused")
    entity_id = client.create()
    aws.settle()
    before = client.entity(entity_id)
    assert (before["status"], before["failure_reason"]) == ("FAILED", "Refused")
    # When its execution runs again
    assert aws.start_duplicate_execution(event_id_of(aws, entity_id)) == "started"
    aws.settle()
    # Then no step ran again, and the duplicate found the saga over and ran no compensation at all
    for compensation in compensations_after_failure_at(failing):
        assert action_outcomes(aws, invoked, compensation, entity_id) == ["recorded"]
    after = client.entity(entity_id)
    assert (after["steps"], after["compensations"], after["failures"]) == (
        before["steps"],
        before["compensations"],
        before["failures"],
    )
    # And the entity still tells why it failed, and when
    assert (after["status"], after["failure_reason"], after["updated_at"]) == (
        "FAILED",
        "Refused",
        before["updated_at"],
    )


@pytest.mark.parametrize("step", SAGA_STEPS, ids=lambda step: step.name)
def test_a_crash_after_a_step_took_effect_is_retried_without_a_second_effect(
    aws: ServiceOnEmbeddedAws, client: Client, step: SagaStep
) -> None:
    # Given a step whose function will crash once, after its effect happened
    aws.arm_fault(step.name, "crash_after")
    # When an accepted request's saga runs
    entity_id = client.create()
    aws.settle()
    # Then the state machine retried the crash, the retry found the effect recorded, and the saga completed
    history = aws.execution_history(only_execution(aws, entity_id)["executionArn"])
    assert scheduled_functions(history).count(aws.function_name(step.name)) == 2
    assert task_failures(history) == ["Runtime.ExitError"]
    outcomes = [outcome["outcome"] for outcome in lambda_outcomes(history) if outcome["action"] == step.name]
    assert outcomes == ["already recorded"]
    entity = client.entity(entity_id)
    assert entity["status"] == "COMPLETED"
    assert set(entity["steps"]) == {step.name for step in SAGA_STEPS}
    assert aws.faults.armed() == {}


@pytest.mark.skipif(not COMPENSATABLE, reason="no compensatable step: nothing is ever compensated")
@pytest.mark.parametrize("step", COMPENSATABLE, ids=lambda step: str(step.compensation))
def test_a_crash_after_a_compensation_took_effect_is_retried_without_a_second_effect(
    aws: ServiceOnEmbeddedAws, client: Client, step: SagaStep
) -> None:
    # Given a saga that will fail at its last compensatable step, and a compensation that crashes after its effect
    assert step.compensation is not None
    aws.arm_fault(COMPENSATABLE[-1].name, "business_error", error_name="Refused")
    aws.arm_fault(step.compensation, "crash_after")
    # When an accepted request's saga runs
    entity_id = client.create()
    aws.settle()
    # Then the compensation was retried, the retry found its effect recorded, and the saga failed as it should
    history = aws.execution_history(only_execution(aws, entity_id)["executionArn"])
    assert scheduled_functions(history).count(aws.function_name(step.compensation)) == 2
    outcomes = [outcome["outcome"] for outcome in lambda_outcomes(history) if outcome["action"] == step.compensation]
    assert outcomes == ["already recorded"]
    entity = client.entity(entity_id)
    assert (entity["status"], entity["failure_reason"]) == ("FAILED", "Refused")
    assert set(entity["compensations"]) == {earlier.compensation for earlier in COMPENSATABLE}


@pytest.mark.parametrize("step", list(dict.fromkeys([PIVOTAL[0], PIVOTAL[-1]])), ids=lambda step: step.name)
def test_a_transient_lambda_error_is_retried_and_the_saga_completes(
    aws: ServiceOnEmbeddedAws, client: Client, step: SagaStep
) -> None:
    # Given a step whose invoke the Lambda service fails once
    aws.arm_fault(step.name, "transient")
    # When an accepted request's saga runs
    entity_id = client.create()
    aws.settle()
    # Then the state machine retried it and the saga completed
    history = aws.execution_history(only_execution(aws, entity_id)["executionArn"])
    assert task_failures(history) == ["Lambda.ServiceException"]
    assert scheduled_functions(history).count(aws.function_name(step.name)) == 2
    assert client.entity(entity_id)["status"] == "COMPLETED"
