"""The saga definition agrees with the step list and has the semantics the README promises."""

import json
from pathlib import Path
from typing import Any

import pytest

from infra.saga_asl import (
    COMPENSATING,
    MARK_COMPLETED,
    MARK_FAILED,
    PENDING,
    RETRIABLE_FAILURES_QUEUE_PLACEHOLDER,
    SAGA_DECIDED_ELSEWHERE,
    SagaTooLongForExpress,
    build_asl,
    check_express_duration,
    failure_claim,
    placeholders,
    render_asl,
    retriable_failures_queue_needed,
    transitions,
    worst_case_seconds,
)
from infra.saga_definition import (
    ASL_PATH,
    ActionFunctionsMismatch,
    StaleDefinition,
    check_action_functions,
    checked_in_definition,
    generated_files,
    main,
    out_of_date,
)
from infra.saga_model import RetryPolicy, SagaStep, action_names, pascal, retriable_steps
from infra.saga_steps import SAGA_STEPS
from infra.settings import SETTINGS

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_STEPS = (
    SagaStep("reserve_inventory", compensation="release_inventory"),
    SagaStep("process_payment", compensation="refund_payment"),
    SagaStep("send_notification"),
)
MIXED_STEPS = (
    SagaStep("reserve_stock", compensation="release_stock"),
    SagaStep("validate_customer"),
    SagaStep("charge_card", compensation="refund_card"),
    SagaStep("notify_customer"),
    SagaStep("update_crm"),
)
TEN_STEPS = (
    SagaStep("validate_order"),
    SagaStep("reserve_stock", compensation="release_stock"),
    SagaStep("reserve_credit", compensation="release_credit"),
    SagaStep("authorize_payment", compensation="void_payment"),
    SagaStep("allocate_courier", compensation="cancel_courier"),
    SagaStep("capture_payment", compensation="refund_payment"),
    SagaStep("issue_invoice", compensation="void_invoice"),
    SagaStep("notify_customer"),
    SagaStep("update_crm"),
    SagaStep("publish_analytics"),
)
# Shapes of step list whose definitions differ in which states they need: no compensation at all (no pivot),
# a compensatable step alone or with retriable steps after it, plain steps before one, and a long mixed list.
STEP_LISTS = {
    "this project": SAGA_STEPS,
    "default": DEFAULT_STEPS,
    "mixed": MIXED_STEPS,
    "one step without compensation": (SagaStep("post_entry"),),
    "two steps without compensation": (SagaStep("notify_customer"), SagaStep("update_crm")),
    "one compensatable step": (SagaStep("reserve_stock", compensation="release_stock"),),
    "compensatable then retriable": (SagaStep("reserve_stock", compensation="release_stock"), SagaStep("notify")),
    "plain step before compensatable": (SagaStep("validate"), SagaStep("charge_card", compensation="refund_card")),
    "ten mixed steps": TEN_STEPS,
}


def path_after_failure(asl: dict[str, Any], failed_state: str) -> list[str]:
    """The states a failure at ``failed_state`` runs when no other execution got further: its Catch, then each
    Next (a choice's Default) to the end."""
    state = asl["States"][failed_state]
    current = state["Catch"][0]["Next"]
    visited = []
    while "Next" in asl["States"][current] or "Default" in asl["States"][current]:
        visited.append(current)
        current = asl["States"][current].get("Next") or asl["States"][current]["Default"]
    return [*visited, current]


def without_checks(path: list[str]) -> list[str]:
    return [state for state in path if not state.startswith("Find steps started after ")]


def test_make_asl_writes_the_definition_and_names_the_action_functions_the_step_list_lacks(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a project whose actions.py lacks the last step's function (the step list was just edited)
    actions = Path("src") / SETTINGS.package_name / "logic" / "actions.py"
    (tmp_path / actions).parent.mkdir(parents=True)
    last = SAGA_STEPS[-1].compensation or SAGA_STEPS[-1].name
    kept = "".join(f"def {name}() -> None: ...\n" for name in action_names(SAGA_STEPS) if name != last)
    (tmp_path / actions).write_text(kept, encoding="utf-8")
    (tmp_path / "README.md").write_text((PROJECT_ROOT / "README.md").read_text(encoding="utf-8"), encoding="utf-8")
    # When `make asl` runs
    status = main(["--root", str(tmp_path)])
    # Then it still writes the definition, and fails naming the missing function once
    assert (tmp_path / ASL_PATH).is_file()
    assert status == 1
    assert capsys.readouterr().err.count(f"missing {last}()") == 1


def test_checked_in_asl_and_diagram_match_the_step_list() -> None:
    # Given the step list and the files generated from it
    expected = generated_files(PROJECT_ROOT, SAGA_STEPS, dlq_enabled=SETTINGS.dlq_enabled)
    # When the checked-in files are compared with what the step list generates
    stale = [
        path.relative_to(PROJECT_ROOT)
        for path, content in expected.items()
        if path.read_text(encoding="utf-8") != content
    ]
    # Then none has drifted
    assert stale == [], out_of_date(stale)


@pytest.mark.parametrize("checked_in", ["stale", "missing"])
def test_a_stack_is_not_built_from_a_definition_the_step_list_no_longer_generates(
    tmp_path: Path, checked_in: str
) -> None:
    # Given a project whose checked-in ASL was generated from another step list, or is missing
    if checked_in == "stale":
        (tmp_path / ASL_PATH).parent.mkdir(parents=True)
        (tmp_path / ASL_PATH).write_text(render_asl(DEFAULT_STEPS, dlq_enabled=True), encoding="utf-8")
    # When the definition is read for the state machine
    with pytest.raises(StaleDefinition) as stale:
        checked_in_definition(tmp_path, MIXED_STEPS, dlq_enabled=True)
    # Then it is refused with what to run
    assert str(stale.value) == "statemachine/saga.asl.json is out of date with infra/saga_steps.py: run `make asl`"


def test_a_stack_is_not_built_while_action_functions_are_missing_or_left_over(tmp_path: Path) -> None:
    # Given an actions module with a helper, a function of a removed step, and no function for one compensation
    actions = tmp_path / "src" / "shop" / "logic" / "actions.py"
    actions.parent.mkdir(parents=True)
    functions = [step.name for step in DEFAULT_STEPS] + ["release_inventory", "retired_step", "_helper"]
    actions.write_text("".join(f"def {name}(context): ...\n" for name in functions), encoding="utf-8")
    # When the saga's functions are checked before the stack is built
    with pytest.raises(ActionFunctionsMismatch) as mismatch:
        check_action_functions(tmp_path, "shop", DEFAULT_STEPS)
    # Then one message names what to add and what to remove, and says where
    assert str(mismatch.value) == (
        "src/shop/logic/actions.py does not match infra/saga_steps.py: missing refund_payment(); "
        "left over (no step or compensation has that name) retired_step()"
    )


def test_a_current_definition_is_read_as_checked_in(tmp_path: Path) -> None:
    # Given a project whose checked-in ASL was generated from its step list
    (tmp_path / ASL_PATH).parent.mkdir(parents=True)
    (tmp_path / ASL_PATH).write_text(render_asl(MIXED_STEPS, dlq_enabled=False), encoding="utf-8")
    # When the definition is read for the state machine
    definition = checked_in_definition(tmp_path, MIXED_STEPS, dlq_enabled=False)
    # Then it is the file's text
    assert definition == (tmp_path / ASL_PATH).read_text(encoding="utf-8")


@pytest.mark.parametrize("steps", STEP_LISTS.values(), ids=STEP_LISTS.keys())
@pytest.mark.parametrize("dlq_enabled", [True, False], ids=["dlq", "no-dlq"])
def test_every_transition_targets_an_existing_state_and_every_state_is_reachable(
    steps: tuple[SagaStep, ...], dlq_enabled: bool
) -> None:
    # Given the definition generated from a step list
    asl = build_asl(steps, dlq_enabled=dlq_enabled)
    edges = transitions(asl)
    # When its transitions are followed from StartAt
    reachable, frontier = set(), [asl["StartAt"]]
    while frontier:
        state = frontier.pop()
        if state not in reachable:
            reachable.add(state)
            frontier.extend(target for source, target, _ in edges if source == state)
    # Then every target exists and every state can be reached
    assert {target for _, target, _ in edges} <= set(asl["States"])
    assert reachable == set(asl["States"])


@pytest.mark.parametrize("steps", STEP_LISTS.values(), ids=STEP_LISTS.keys())
def test_a_failing_step_compensates_itself_and_every_earlier_compensatable_step_in_reverse(
    steps: tuple[SagaStep, ...],
) -> None:
    # Given a definition and the steps that can fail the saga
    asl = build_asl(steps, dlq_enabled=True)
    pivotal = [(index, step) for index, step in enumerate(steps) if step.name not in retriable_steps(steps)]
    for index, step in pivotal:
        # When that step fails
        path = path_after_failure(asl, pascal(step.name))
        # Then the saga is claimed for failing, exactly the compensations up to and including the step run, newest
        # first, and the entity is marked FAILED
        expected = [pascal(s.compensation) for s in reversed(steps[: index + 1]) if s.compensation]
        assert without_checks(path) == [failure_claim(step.name), *expected, MARK_FAILED, "Saga failed"]


@pytest.mark.parametrize("steps", STEP_LISTS.values(), ids=STEP_LISTS.keys())
def test_a_failing_step_also_compensates_the_latest_later_step_another_execution_took(
    steps: tuple[SagaStep, ...],
) -> None:
    # Given a definition, a step that can fail the saga, and a later compensatable step
    asl = build_asl(steps, dlq_enabled=True)
    for index, step in enumerate(steps):
        later = [s for s in steps[index + 1 :] if s.compensation]
        if step.name in retriable_steps(steps) or not later:
            continue
        # When the step fails after another execution of the same event had started later steps
        claim = asl["States"][failure_claim(step.name)]
        check = asl["States"][claim["Next"]]
        # Then the steps started (recorded before their effect, whether or not their result was), as the claim read
        # them, decide where compensating starts: the latest started first
        assert claim["ResultPath"] == "$.claimed"
        assert claim["ResultSelector"] == {"started.$": "$.Attributes.started.M"}
        assert [(choice["Variable"], choice["Next"]) for choice in check["Choices"]] == [
            (f"$.claimed.started.{s.name}", pascal(str(s.compensation))) for s in reversed(later)
        ]


def test_the_default_saga_runs_in_order_and_compensates_as_documented() -> None:
    # Given the template's default steps
    asl = build_asl(DEFAULT_STEPS, dlq_enabled=True)
    # Then the happy path and both compensation entries are the documented ones
    assert asl["StartAt"] == "ReserveInventory"
    assert asl["States"]["ReserveInventory"]["Next"] == "ProcessPayment"
    assert asl["States"]["ProcessPayment"]["Next"] == "SendNotification"
    assert asl["States"]["SendNotification"]["Next"] == MARK_COMPLETED
    assert without_checks(path_after_failure(asl, "ProcessPayment"))[1:3] == ["RefundPayment", "ReleaseInventory"]
    assert without_checks(path_after_failure(asl, "ReserveInventory"))[1:2] == ["ReleaseInventory"]


@pytest.mark.parametrize("dlq_enabled", [True, False], ids=["dlq", "no-dlq"])
def test_an_exhausted_retriable_step_is_recorded_and_the_saga_still_completes(dlq_enabled: bool) -> None:
    # Given a saga whose last steps have no compensation
    asl = build_asl(MIXED_STEPS, dlq_enabled=dlq_enabled)
    assert retriable_steps(MIXED_STEPS) == {"notify_customer", "update_crm"}
    # When a retriable step exhausts its retries
    path = path_after_failure(asl, "NotifyCustomer")
    # Then its failure is recorded (and queued with a DLQ), no compensation runs, and the saga completes
    recorded = ["Record NotifyCustomer failure", *(["Report NotifyCustomer failure"] if dlq_enabled else [])]
    assert path[: len(recorded) + 1] == [*recorded, "UpdateCrm"]
    assert path[-2:] == [MARK_COMPLETED, "Saga completed"]
    assert not {pascal(step.compensation) for step in MIXED_STEPS if step.compensation} & set(path)


def test_a_business_refusal_is_not_retried_and_every_unknown_outcome_is_retried_within_the_step_bounds() -> None:
    # Given a step that can fail the saga, with its own retry bounds
    bounds = RetryPolicy(max_attempts=4, interval_seconds=2, backoff_rate=3.0, max_delay_seconds=10)
    steps = (SagaStep("charge_card", compensation="refund_card", timeout_seconds=7, retry=bounds),)
    state = build_asl(steps, dlq_enabled=False)["States"]["ChargeCard"]
    # Then one retrier names the failures whose outcome is unknown (the handler's StepOutcomeUnknown, Lambda's
    # crashes, timeouts and throttling, the task's own timeout) with those bounds, backoff and full jitter
    (retrier,) = state["Retry"]
    assert {"StepOutcomeUnknown", "States.Timeout", "Lambda.ServiceException", "Sandbox.Timedout"} <= set(
        retrier["ErrorEquals"]
    )
    assert retrier | {"ErrorEquals": []} == {
        "ErrorEquals": [],
        "MaxAttempts": 4,
        "IntervalSeconds": 2,
        "BackoffRate": 3.0,
        "MaxDelaySeconds": 10,
        "JitterStrategy": "FULL",
    }
    # And no catch-all or business error is retried: a refusal (any BusinessError subclass's name) goes to the Catch
    assert not set(retrier["ErrorEquals"]) & {"States.ALL", "States.TaskFailed", "BusinessError", "PaymentDeclined"}
    # And the Catch handles everything else, the task's timeout and task failures included, by failing the saga
    (catcher,) = state["Catch"]
    assert catcher["ErrorEquals"] == ["States.ALL"] and catcher["Next"] == failure_claim("charge_card")
    assert state["TimeoutSeconds"] == 7


def test_a_compensation_retries_on_any_error_within_its_own_bounds() -> None:
    steps = (SagaStep("charge_card", compensation="refund_card", compensation_retry=RetryPolicy(max_attempts=6)),)
    (retrier,) = build_asl(steps, dlq_enabled=False)["States"]["RefundCard"]["Retry"]
    assert retrier["ErrorEquals"] == ["States.ALL"] and retrier["MaxAttempts"] == 6


def test_the_worst_case_adds_every_attempt_timeout_and_backoff_wait_along_the_longest_path() -> None:
    # Given one compensatable step: 10 s timeout, 2 retries after waits of 1 and 2 s; its compensation 3 retries
    # (waits 1, 2, 4 s); the claim and the final write each 5 s with 3 retries (waits 1, 2, 4 s)
    asl = build_asl((SagaStep("charge_card", compensation="refund_card"),), dlq_enabled=False)
    # When the step fails after its last retry and everything after it runs to its bound
    # Then the worst case is the step, the claim, the compensation and Mark failed, each at its worst
    step, compensation, service_task = 3 * 10 + 1 + 2, 4 * 10 + 1 + 2 + 4, 4 * 5 + 1 + 2 + 4
    assert worst_case_seconds(asl) == step + service_task + compensation + service_task


def test_an_express_saga_that_cannot_finish_in_five_minutes_is_refused() -> None:
    # Given four compensatable steps at the default bounds: 4 x 33 + 27 + 4 x 47 + 27 = 374 s at worst
    steps = tuple(SagaStep(f"step_{n}", compensation=f"undo_{n}") for n in range(4))
    # When the saga is checked for each workflow type
    # Then STANDARD takes it, and EXPRESS (at most 300 s an execution) is refused naming the figures
    assert check_express_duration(steps, workflow_type="STANDARD", dlq_enabled=False) == 374
    with pytest.raises(SagaTooLongForExpress, match=r"is 374 s, more than the 300 s an EXPRESS execution may run"):
        check_express_duration(steps, workflow_type="EXPRESS", dlq_enabled=False)
    # And three fit (294 s)
    assert check_express_duration(steps[:3], workflow_type="EXPRESS", dlq_enabled=False) == 294


def test_this_project_fits_its_workflow_type() -> None:
    check_express_duration(SAGA_STEPS, workflow_type=SETTINGS.workflow_type, dlq_enabled=SETTINGS.dlq_enabled)


def test_a_saga_without_compensations_fails_instead_of_completing() -> None:
    # Given steps none of which can be compensated (there is no pivot, so none is retriable)
    steps = (SagaStep("charge_card"), SagaStep("ship"))
    # When the second one fails
    path = path_after_failure(build_asl(steps, dlq_enabled=False), "Ship")
    # Then the saga ends FAILED
    assert without_checks(path) == [failure_claim("ship"), MARK_FAILED, "Saga failed"]


def test_placeholders_name_one_function_per_action_plus_the_table_and_queue() -> None:
    names = placeholders(DEFAULT_STEPS, dlq_enabled=True)
    assert names == {f"{pascal(action)}FunctionArn" for action in action_names(DEFAULT_STEPS)} | {
        "EntityTableName",
        "RetriableFailuresQueueUrl",
    }
    assert "RetriableFailuresQueueUrl" not in placeholders(DEFAULT_STEPS, dlq_enabled=False)


@pytest.mark.parametrize(
    "steps",
    [
        DEFAULT_STEPS,
        (SagaStep("a", "undo_a"),),
        (SagaStep("a"), SagaStep("b")),
        (SagaStep("a", "undo_a"), SagaStep("b")),
    ],
    ids=["default", "only-compensatable", "no-pivot", "one-retriable"],
)
@pytest.mark.parametrize("dlq_enabled", [True, False])
def test_the_storage_knows_whether_the_asl_reports_to_the_retriable_failures_queue_without_building_it(
    steps: tuple[SagaStep, ...], dlq_enabled: bool
) -> None:
    expected = RETRIABLE_FAILURES_QUEUE_PLACEHOLDER in placeholders(steps, dlq_enabled=dlq_enabled)
    assert retriable_failures_queue_needed(steps, dlq_enabled=dlq_enabled) is expected


def test_the_checked_in_asl_is_json_with_the_final_status_written_by_dynamodb() -> None:
    asl = json.loads((PROJECT_ROOT / ASL_PATH).read_text(encoding="utf-8"))
    assert asl["States"][MARK_COMPLETED]["Resource"] == "arn:aws:states:::dynamodb:updateItem"
    assert asl["States"][MARK_FAILED]["Resource"] == "arn:aws:states:::dynamodb:updateItem"


@pytest.mark.parametrize(
    ("mark", "from_status"),
    [(MARK_COMPLETED, PENDING), (MARK_FAILED, COMPENSATING), ("Mark compensation failed", COMPENSATING)],
)
def test_the_final_status_is_written_once_and_a_duplicate_execution_keeps_it(mark: str, from_status: str) -> None:
    # Given a status write of the default definition
    state = build_asl(DEFAULT_STEPS, dlq_enabled=True)["States"][mark]
    # Then it only moves an entity in the status its path leads from (a saga being failed never completes), and
    # finding it moved on ends the execution where it would have ended
    assert state["Parameters"]["ConditionExpression"] == "#status = :from"
    assert state["Parameters"]["ExpressionAttributeValues"][":from"] == {"S": from_status}
    assert state["Catch"] == [
        {"ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"], "ResultPath": None, "Next": state["Next"]}
    ]


def test_a_failure_claims_the_saga_before_compensating_and_a_saga_already_over_is_left_alone() -> None:
    # Given the claim a failing step leads to
    asl = build_asl(DEFAULT_STEPS, dlq_enabled=True)
    claim = asl["States"][failure_claim("process_payment")]
    # Then it moves a PENDING (or already failing) entity to COMPENSATING before any compensation runs, unless
    # another execution started the first step after the pivot (then the saga can only complete)
    assert claim["Parameters"]["UpdateExpression"].startswith("SET #status = :compensating")
    # And the first claim's error stays the failure reason, whichever execution ends the saga
    assert "failure_reason = if_not_exists(failure_reason, :reason)" in claim["Parameters"]["UpdateExpression"]
    assert claim["Parameters"]["ExpressionAttributeValues"][":reason"] == {"S.$": "$.error.Error"}
    assert "failure_reason" not in asl["States"][MARK_FAILED]["Parameters"]["UpdateExpression"]
    assert claim["Parameters"]["ConditionExpression"] == (
        "#status IN (:pending, :compensating) AND attribute_not_exists(started.#after_pivot)"
    )
    assert claim["Parameters"]["ExpressionAttributeNames"]["#after_pivot"] == "send_notification"
    assert claim["Next"] == "RefundPayment"
    # And when another execution already ended the saga or got past its pivot, this one ends without compensating
    assert claim["Catch"] == [
        {
            "ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"],
            "ResultPath": None,
            "Next": SAGA_DECIDED_ELSEWHERE,
        }
    ]
    assert asl["States"][SAGA_DECIDED_ELSEWHERE] == {"Type": "Succeed"}


@pytest.mark.parametrize("steps", STEP_LISTS.values(), ids=STEP_LISTS.keys())
def test_a_saga_without_steps_after_its_pivot_is_claimed_on_its_status_alone(steps: tuple[SagaStep, ...]) -> None:
    # Given any step list, When its claims are built
    asl = build_asl(steps, dlq_enabled=False)
    claims = [asl["States"][failure_claim(step.name)] for step in steps if step.name not in retriable_steps(steps)]
    # Then they check the first step after the pivot exactly when there is one
    for claim in claims:
        guarded = "#after_pivot" in claim["Parameters"]["ExpressionAttributeNames"]
        assert guarded == bool(retriable_steps(steps))


@pytest.mark.parametrize("dlq_enabled", [True, False], ids=["dlq", "no-dlq"])
def test_a_retriable_failure_is_recorded_and_reported_only_while_the_saga_is_pending(dlq_enabled: bool) -> None:
    # Given the state recording an exhausted retriable step
    record = build_asl(DEFAULT_STEPS, dlq_enabled=dlq_enabled)["States"]["Record SendNotification failure"]
    # Then it writes only to a PENDING entity, and otherwise goes straight on (no report) to the final status
    assert record["Parameters"]["ConditionExpression"] == "#status = :pending"
    assert record["Catch"] == [
        {"ErrorEquals": ["DynamoDB.ConditionalCheckFailedException"], "ResultPath": None, "Next": MARK_COMPLETED}
    ]
