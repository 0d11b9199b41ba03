"""Business failures in the saga: compensation in reverse order, or a recorded failure for a retriable step."""

import pytest

from infra.saga_asl import MARK_COMPLETED, MARK_FAILED, failure_claim
from infra.saga_model import SagaStep
from infra.saga_steps import SAGA_STEPS
from infra.settings import SETTINGS
from local.aws import ServiceOnEmbeddedAws
from tests.local.support import (
    PIVOTAL,
    RETRIABLE,
    Client,
    attempts_until_caught,
    compensations_after_failure_at,
    entered_tasks,
    event_id_of,
    only_execution,
    queue_bodies,
    scheduled_functions,
    state_name,
    steps_before,
)

pytestmark = pytest.mark.usefixtures("settled")

RETRIABLE_FAILURES_QUEUE = "RetriableFailuresQueueUrl"


def business_error_name(step: SagaStep) -> str:
    return f"{state_name(step.name)}Refused"


@pytest.mark.parametrize("failing", PIVOTAL, ids=lambda step: step.name)
def test_a_business_error_compensates_exactly_the_steps_up_to_it_in_reverse_and_fails(
    aws: ServiceOnEmbeddedAws, client: Client, failing: SagaStep
) -> None:
    # Given a step that will refuse with a business error
    error = business_error_name(failing)
    aws.arm_fault(failing.name, "business_error", error_name=error)
    expected_compensations = compensations_after_failure_at(failing)
    # When an accepted request's saga runs
    entity_id = client.create()
    aws.settle()
    # Then the earlier steps ran, the failing step was tried once (business errors are not retried), the saga was
    # claimed for failing, exactly the compensations of the compensatable steps up to and including the failing
    # step ran, latest first, then Mark failed
    execution = only_execution(aws, entity_id)
    assert execution["status"] == "FAILED"
    history = aws.execution_history(execution["executionArn"])
    ran = [*steps_before(failing), failing.name, *expected_compensations]
    assert entered_tasks(history) == [
        *(state_name(action) for action in [*steps_before(failing), failing.name]),
        failure_claim(failing.name),
        *(state_name(action) for action in expected_compensations),
        MARK_FAILED,
    ]
    assert scheduled_functions(history) == [aws.function_name(action) for action in ran]
    assert aws.faults.armed() == {}
    # And the entity shows it: FAILED for that error, the earlier steps done, and each of them undone once
    entity = client.entity(entity_id)
    assert entity["status"] == "FAILED"
    assert entity["failure_reason"] == error
    assert set(entity["steps"]) == set(steps_before(failing))
    assert set(entity["compensations"]) == set(expected_compensations)
    undone_at = [entity["compensations"][compensation]["at"] for compensation in expected_compensations]
    assert undone_at == sorted(undone_at)


@pytest.mark.skipif(not RETRIABLE, reason="no retriable step (a step without compensation after the last one with)")
@pytest.mark.parametrize("failing", RETRIABLE, ids=lambda step: step.name)
def test_a_retriable_step_that_keeps_failing_is_recorded_and_the_saga_still_completes(
    aws: ServiceOnEmbeddedAws, client: Client, failing: SagaStep
) -> None:
    # Given a retriable step that fails on every attempt the state machine's Retry allows
    error = business_error_name(failing)
    attempts = attempts_until_caught(failing.name, error)
    aws.arm_fault(failing.name, "business_error", count=attempts, error_name=error)
    # When an accepted request's saga runs
    entity_id = client.create()
    aws.settle()
    # Then the step was tried exactly that often, its failure recorded, nothing compensated, and the saga completed
    execution = only_execution(aws, entity_id)
    assert execution["status"] == "SUCCEEDED"
    history = aws.execution_history(execution["executionArn"])
    assert scheduled_functions(history).count(aws.function_name(failing.name)) == attempts
    assert f"Record {state_name(failing.name)} failure" in entered_tasks(history)
    assert entered_tasks(history)[-1] == MARK_COMPLETED
    assert aws.faults.armed() == {}
    entity = client.entity(entity_id)
    assert entity["status"] == "COMPLETED"
    assert entity["compensations"] == {}
    assert set(entity["steps"]) == {step.name for step in SAGA_STEPS} - {failing.name}
    assert list(entity["failures"]) == [failing.name]
    assert entity["failures"][failing.name]["error"] == error
    # And the failure is reported to the retriable-failures queue when the DLQs are enabled
    if not SETTINGS.dlq_enabled:
        assert RETRIABLE_FAILURES_QUEUE not in aws.stack.outputs
        return
    reports = [body for body in queue_bodies(aws, RETRIABLE_FAILURES_QUEUE) if body["entity_id"] == entity_id]
    assert len(reports) == 1
    assert reports[0]["step"] == failing.name
    assert reports[0]["event_id"] == event_id_of(aws, entity_id)
    assert reports[0]["error"]["Error"] == error
