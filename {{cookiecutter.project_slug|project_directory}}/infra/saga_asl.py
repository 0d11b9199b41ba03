"""Compile the saga's step list into the Step Functions definition (ASL, JSONPath), and bound its duration.

Semantics (see README "Saga"):
- A step with a compensation is undone when it, or any later non-retriable step, fails.
- A step without a compensation after the last compensatable step is retriable: retried on any
  error, and when retries are exhausted its failure is recorded and the saga still completes.
- Any other failure first claims the saga for failing (PENDING -> COMPENSATING, once for every
  execution), then compensates, in reverse order, every compensatable step up to and including the
  failed one, and every later one that another execution of the same event had already taken (a
  duplicate EXPRESS execution can be ahead of the one that fails), then marks the entity FAILED.
  Steps and "Mark completed" require PENDING, so once the saga is claimed no step is taken any more
  and no execution can complete it; one that finds the saga already over, or past its pivot (another
  execution started a retriable step), ends without compensating.
- A step's failure is one of two kinds, told apart by its error name. A business refusal (a
  ``BusinessError`` subclass, whose class name becomes the error name) means the effect did not
  happen: it fails the saga at once. Any other failure leaves the outcome unknown (the step's
  handler raises every other exception as ``StepOutcomeUnknown``; Lambda names crashes, timeouts and
  throttling; Step Functions names its own task timeout ``States.Timeout``): it is retried with
  backoff and full jitter up to the step's bound, then fails the saga, and the failed step is
  compensated as possibly done.
- Every Task has a timeout, so the worst case of an execution is bounded: ``worst_case_seconds``
  computes it from the ASL, and an EXPRESS saga whose worst case exceeds the 5-minute limit is refused.
"""

from __future__ import annotations

import json
import re

from infra.saga_model import JsonObject, RetryPolicy, SagaStep, pascal, retriable_steps

ENTITY_TABLE_PLACEHOLDER = "EntityTableName"
RETRIABLE_FAILURES_QUEUE_PLACEHOLDER = "RetriableFailuresQueueUrl"

# Internal state names contain spaces, step state names never do, so they cannot collide.
MARK_COMPLETED = "Mark completed"
MARK_FAILED = "Mark failed"
MARK_COMPENSATION_FAILED = "Mark compensation failed"
SAGA_COMPLETED = "Saga completed"
SAGA_DECIDED_ELSEWHERE = "Saga decided by another execution"
SAGA_FAILED = "Saga failed"
COMPENSATION_FAILED = "Compensation failed"
# The entity's statuses the state machine reads and writes (src/<package>/models.py names them for the code).
PENDING = "PENDING"
COMPENSATING = "COMPENSATING"

TRANSIENT_LAMBDA_ERRORS = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.TooManyRequestsException",
    # The function crashed or timed out, maybe after its effect: safe to retry because every action is
    # idempotent, and a crash says nothing about the business outcome.
    "Lambda.Unknown",
    "Runtime.ExitError",
    "Sandbox.Timedout",
]
TRANSIENT_DYNAMODB_ERRORS = [
    "DynamoDB.ProvisionedThroughputExceededException",
    "DynamoDB.ThrottlingException",
    "DynamoDB.RequestLimitExceeded",
    "DynamoDB.InternalServerErrorException",
    "DynamoDB.TransactionConflictException",
]
TRANSIENT_SQS_ERRORS = ["SQS.SdkClientException", "SQS.AmazonSQSException"]
# The error name of every step failure whose effect may have happened (src/<package>/errors.py).
STEP_OUTCOME_UNKNOWN = "StepOutcomeUnknown"
# Failures after which a step may or may not have taken effect: retried, and compensated when retries run out.
UNKNOWN_OUTCOME_ERRORS = [*TRANSIENT_LAMBDA_ERRORS, "States.Timeout", STEP_OUTCOME_UNKNOWN]
# The state machine's own DynamoDB and SQS calls answer in milliseconds; the bound keeps the worst case finite.
SERVICE_TASK_TIMEOUT_SECONDS = 5
# AWS's default when a Task sets no TimeoutSeconds (Step Functions docs, "Task workflow state").
DEFAULT_TASK_TIMEOUT_SECONDS = 99_999_999
# Step Functions quotas: an EXPRESS execution runs for at most five minutes, then fails with States.Timeout.
EXPRESS_MAX_DURATION_SECONDS = 300

SERVICE_TASK_RETRY = RetryPolicy(max_attempts=3)


def function_arn_placeholder(action: str) -> str:
    return f"{pascal(action)}FunctionArn"


def failure_claim(step_name: str) -> str:
    """The state that claims the saga for failing when this step fails."""
    return f"Fail at {pascal(step_name)}"


def later_steps_check(step_name: str) -> str:
    """The state that looks for steps started, by another execution, after this failed step."""
    return f"Find steps started after {pascal(step_name)}"


def compensation_entry(steps: tuple[SagaStep, ...], failed_index: int) -> str:
    """The first state to run when the step at ``failed_index`` fails: its own compensation or an earlier one."""
    for step in reversed(steps[: failed_index + 1]):
        if step.compensation:
            return pascal(step.compensation)
    return MARK_FAILED


def _invoke(
    action: str, *, timeout_seconds: int, retry: list[JsonObject], on_error: str, next_state: str
) -> JsonObject:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": f"${{{function_arn_placeholder(action)}}}", "Payload.$": "$"},
        # Results are recorded on the entity by the action itself; the state keeps only the event.
        "ResultPath": None,
        "TimeoutSeconds": timeout_seconds,
        "Retry": retry,
        "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": on_error}],
        "Next": next_state,
    }


def _update_entity(
    update_expression: str,
    names: dict[str, str],
    values: JsonObject,
    next_state: str,
    condition: str = "attribute_exists(id)",
) -> JsonObject:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::dynamodb:updateItem",
        "Parameters": {
            "TableName": f"${{{ENTITY_TABLE_PLACEHOLDER}}}",
            "Key": {"id": {"S.$": "$.entity_id"}},
            "UpdateExpression": update_expression,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        },
        "ResultPath": None,
        "TimeoutSeconds": SERVICE_TASK_TIMEOUT_SECONDS,
        "Retry": [SERVICE_TASK_RETRY.retrier(TRANSIENT_DYNAMODB_ERRORS)],
        "Next": next_state,
    }


def _when_condition_fails(state: JsonObject, next_state: str) -> JsonObject:
    state["Catch"] = [
        {"ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"], "ResultPath": None, "Next": next_state}
    ]
    return state


def _mark_status(status: str, next_state: str, *, from_status: str, with_reason: bool) -> JsonObject:
    """Move the entity from ``from_status`` to its final status, once: a duplicate execution finds it moved on."""
    expression = "SET #status = :status, updated_at = :now"
    values: JsonObject = {
        ":status": {"S": status},
        ":from": {"S": from_status},
        ":now": {"S.$": "$$.State.EnteredTime"},
    }
    if with_reason:
        expression += ", failure_reason = :reason"
        values[":reason"] = {"S.$": "$.error.Error"}
    state = _update_entity(expression, {"#status": "status"}, values, next_state, condition="#status = :from")
    # Already final, or being failed (a duplicate EXPRESS execution): the first outcome and its failure_reason stand.
    return _when_condition_fails(state, next_state)


def _claim_failure(next_state: str, first_after_pivot: str | None) -> JsonObject:
    """PENDING -> COMPENSATING before anything is compensated; executions that fail together all may go on.

    When the saga is already over (a duplicate EXPRESS execution completed or failed it), this
    execution ends without compensating: compensating a COMPLETED saga would undo a finished order.
    So it does when another execution has started ``first_after_pivot``, the first step after the last
    compensatable one: that execution got past every compensatable step, and from there the saga can only
    complete (the steps after the pivot record their failure instead of failing it); compensating now would
    leave their effects (a notification sent) on a FAILED order.
    The claim keeps the steps started so far in ``$.claimed.started``: no step starts after it, and a step
    records that it started (with the same check for PENDING) before its effect can happen, so every step
    that may have taken effect is in it, whether or not its result was recorded.
    """
    names = {"#status": "status"}
    condition = "#status IN (:pending, :compensating)"
    if first_after_pivot is not None:
        names["#after_pivot"] = first_after_pivot
        condition += " AND attribute_not_exists(started.#after_pivot)"
    # The first claim's error is the saga's failure reason: a duplicate execution refused afterwards (SagaNotPending)
    # joins the compensation, and may end it first, without replacing the reason.
    state = _update_entity(
        "SET #status = :compensating, failure_reason = if_not_exists(failure_reason, :reason), updated_at = :now",
        names,
        {
            ":compensating": {"S": COMPENSATING},
            ":pending": {"S": PENDING},
            ":reason": {"S.$": "$.error.Error"},
            ":now": {"S.$": "$$.State.EnteredTime"},
        },
        next_state,
        condition=condition,
    )
    state["Parameters"]["ReturnValues"] = "ALL_NEW"
    state["ResultSelector"] = {"started.$": "$.Attributes.started.M"}
    state["ResultPath"] = "$.claimed"
    return _when_condition_fails(state, SAGA_DECIDED_ELSEWHERE)


def _later_steps_check(later_steps: list[SagaStep], otherwise: str) -> JsonObject:
    """Compensate from the latest of these steps that another execution started; when none was, ``otherwise``."""
    return {
        "Type": "Choice",
        "Choices": [
            {"Variable": f"$.claimed.started.{step.name}", "IsPresent": True, "Next": pascal(str(step.compensation))}
            for step in reversed(later_steps)
        ],
        "Default": otherwise,
    }


def _retriable_failure_states(step: SagaStep, next_state: str, *, dlq_enabled: bool) -> dict[str, JsonObject]:
    record = f"Record {pascal(step.name)} failure"
    report = f"Report {pascal(step.name)} failure"
    recording = _update_entity(
        "SET failures.#step = :failure",
        {"#step": step.name, "#status": "status"},
        {
            ":failure": {"M": {"error": {"S.$": "$.error.Error"}, "at": {"S.$": "$$.State.EnteredTime"}}},
            ":pending": {"S": PENDING},
        },
        report if dlq_enabled else next_state,
        condition="#status = :pending",
    )
    # A saga already over or failing (a duplicate EXPRESS execution) records and reports nothing.
    states = {record: _when_condition_fails(recording, next_state)}
    if dlq_enabled:
        states[report] = {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage",
            "Parameters": {
                "QueueUrl": f"${{{RETRIABLE_FAILURES_QUEUE_PLACEHOLDER}}}",
                "MessageBody": {
                    "entity_id.$": "$.entity_id",
                    "event_id.$": "$.event_id",
                    "step": step.name,
                    "error.$": "$.error",
                },
            },
            "ResultPath": None,
            "TimeoutSeconds": SERVICE_TASK_TIMEOUT_SECONDS,
            "Retry": [SERVICE_TASK_RETRY.retrier(TRANSIENT_SQS_ERRORS)],
            "Next": next_state,
        }
    return states


def build_asl(steps: tuple[SagaStep, ...], *, dlq_enabled: bool) -> JsonObject:
    if not steps:
        raise ValueError("a saga needs at least one step")
    retriable = retriable_steps(steps)
    first_after_pivot = next((step.name for step in steps if step.name in retriable), None)
    states: dict[str, JsonObject] = {}
    for index, step in enumerate(steps):
        next_state = pascal(steps[index + 1].name) if index + 1 < len(steps) else MARK_COMPLETED
        if step.name in retriable:
            # It never fails the saga, so any error is worth retrying, a business refusal included.
            states[pascal(step.name)] = _invoke(
                step.name,
                timeout_seconds=step.timeout_seconds,
                retry=[step.retry.retrier(["States.ALL"])],
                on_error=f"Record {pascal(step.name)} failure",
                next_state=next_state,
            )
            states.update(_retriable_failure_states(step, next_state, dlq_enabled=dlq_enabled))
        else:
            claim = failure_claim(step.name)
            # Business refusals match no retrier: they fail the saga at once. Unknown outcomes are retried first.
            states[pascal(step.name)] = _invoke(
                step.name,
                timeout_seconds=step.timeout_seconds,
                retry=[step.retry.retrier(UNKNOWN_OUTCOME_ERRORS)],
                on_error=claim,
                next_state=next_state,
            )
            entry = compensation_entry(steps, index)
            later_steps = [later for later in steps[index + 1 :] if later.compensation]
            if later_steps:
                states[claim] = _claim_failure(later_steps_check(step.name), first_after_pivot)
                states[later_steps_check(step.name)] = _later_steps_check(later_steps, entry)
            else:
                states[claim] = _claim_failure(entry, first_after_pivot)
    for index, step in enumerate(steps):
        if step.compensation:
            # Compensations must eventually succeed, so unlike steps they retry on any error.
            states[pascal(step.compensation)] = _invoke(
                step.compensation,
                timeout_seconds=step.timeout_seconds,
                retry=[step.compensation_retry.retrier(["States.ALL"])],
                on_error=MARK_COMPENSATION_FAILED,
                next_state=compensation_entry(steps, index - 1),
            )
    states[MARK_COMPLETED] = _mark_status("COMPLETED", SAGA_COMPLETED, from_status=PENDING, with_reason=False)
    # The claim recorded why the saga failed.
    states[MARK_FAILED] = _mark_status("FAILED", SAGA_FAILED, from_status=COMPENSATING, with_reason=False)
    compensations = any(step.compensation for step in steps)
    if compensations:  # only a compensation's Catch leads there: without one, the states would be unreachable
        states[MARK_COMPENSATION_FAILED] = _mark_status(
            "COMPENSATION_FAILED", COMPENSATION_FAILED, from_status=COMPENSATING, with_reason=True
        )
    states[SAGA_COMPLETED] = {"Type": "Succeed"}
    # Another execution of the same event decided the outcome (ended the saga, or got past its pivot); this one
    # changed nothing.
    states[SAGA_DECIDED_ELSEWHERE] = {"Type": "Succeed"}
    states[SAGA_FAILED] = {
        "Type": "Fail",
        "Error": "SagaFailed",
        "Cause": "A step failed and the completed steps were compensated; see the entity's failure_reason.",
    }
    if compensations:
        states[COMPENSATION_FAILED] = {
            "Type": "Fail",
            "Error": "CompensationFailed",
            "Cause": "A compensation kept failing after its retries; the entity needs manual attention.",
        }
    return {
        "Comment": "Generated from infra/saga_steps.py by `make asl`; do not edit by hand.",
        "StartAt": pascal(steps[0].name),
        "States": states,
    }


def render_asl(steps: tuple[SagaStep, ...], *, dlq_enabled: bool) -> str:
    return json.dumps(build_asl(steps, dlq_enabled=dlq_enabled), indent=2) + "\n"


def retry_delays_seconds(retrier: JsonObject) -> list[float]:
    """The longest wait before each retry this Retry entry allows (full jitter only shortens them), in seconds.

    ASL defaults (Step Functions docs, "Handling errors"): IntervalSeconds 1, MaxAttempts 3, BackoffRate 2.0,
    no MaxDelaySeconds.
    """
    interval, rate = float(retrier.get("IntervalSeconds", 1)), float(retrier.get("BackoffRate", 2.0))
    cap = float(retrier.get("MaxDelaySeconds", float("inf")))
    return [min(interval * rate**attempt, cap) for attempt in range(int(retrier.get("MaxAttempts", 3)))]


def task_worst_case_seconds(state: JsonObject) -> float:
    """The longest a Task state can run: every attempt its retriers allow, each to its timeout, plus the waits."""
    retriers = state.get("Retry", [])
    attempts = 1 + sum(int(retrier.get("MaxAttempts", 3)) for retrier in retriers)
    waits = sum(sum(retry_delays_seconds(retrier)) for retrier in retriers)
    return attempts * float(state.get("TimeoutSeconds", DEFAULT_TASK_TIMEOUT_SECONDS)) + waits


def worst_case_seconds(asl: JsonObject) -> float:
    """The longest path through the definition, each Task at its worst (``task_worst_case_seconds``), in seconds.

    The generated definition has no loops, so the longest path is finite. Choice, Succeed and Fail states
    take no time.
    """
    states = asl["States"]
    successors: dict[str, list[str]] = {}
    for source, target, _kind in transitions(asl):
        successors.setdefault(source, []).append(target)
    longest: dict[str, float] = {}

    def from_state(name: str) -> float:
        if name not in longest:
            state = states[name]
            own = task_worst_case_seconds(state) if state["Type"] == "Task" else 0.0
            longest[name] = own + max((from_state(target) for target in successors.get(name, [])), default=0.0)
        return longest[name]

    return from_state(asl["StartAt"])


class SagaTooLongForExpress(ValueError):
    """An EXPRESS saga whose worst case exceeds Step Functions' five-minute limit for EXPRESS executions."""


# What a generated project can change (its workflow type is chosen at generation: the relay is built for it).
SHORTEN_THE_SAGA = "lower timeout_seconds and retries, or remove steps, in infra/saga_steps.py"


def check_express_duration(steps: tuple[SagaStep, ...], *, workflow_type: str, dlq_enabled: bool) -> float:
    """The saga's worst case in seconds; raises SagaTooLongForExpress when it cannot fit an EXPRESS execution.

    An EXPRESS execution stopped at five minutes would leave its saga neither completed nor compensated.
    """
    worst = worst_case_seconds(build_asl(steps, dlq_enabled=dlq_enabled))
    if workflow_type == "EXPRESS" and worst > EXPRESS_MAX_DURATION_SECONDS:
        raise SagaTooLongForExpress(
            f"the saga's worst case, every step and compensation retried to its bound and timed out, is {worst:g} s,"
            f" more than the {EXPRESS_MAX_DURATION_SECONDS} s an EXPRESS execution may run"
        )
    return worst


def placeholders(steps: tuple[SagaStep, ...], *, dlq_enabled: bool) -> set[str]:
    """The ``${Name}`` DefinitionSubstitutions the ASL needs."""
    return set(re.findall(r"\$\{(\w+)\}", render_asl(steps, dlq_enabled=dlq_enabled)))


def retriable_failures_queue_needed(steps: tuple[SagaStep, ...], *, dlq_enabled: bool) -> bool:
    """Whether the ASL sends a retriable step's exhausted failure to a queue (then ``placeholders`` names it)."""
    return dlq_enabled and bool(retriable_steps(steps))


def transitions(asl: JsonObject) -> list[tuple[str, str, str]]:
    """Every ``(from, to, kind)`` edge of the definition; kind is ``next``, ``catch`` or ``choice``."""
    edges = []
    for name, state in asl["States"].items():
        if "Next" in state:
            edges.append((name, state["Next"], "next"))
        edges.extend((name, catcher["Next"], "catch") for catcher in state.get("Catch", []))
        edges.extend((name, choice["Next"], "choice") for choice in state.get("Choices", []))
        if "Default" in state:
            edges.append((name, state["Default"], "next"))
    return edges
