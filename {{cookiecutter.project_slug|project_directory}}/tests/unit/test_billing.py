"""Billing units of Step Functions, Lambda and SQS, against the rounding rules on AWS's pricing pages."""

import pytest

from benchmarks.billing import (
    express_billed_gb_seconds,
    lambda_billed_gb_seconds,
    sqs_requests,
    standard_state_transitions,
)


def test_each_state_entered_is_a_transition_and_each_retry_one_more() -> None:
    # Given a history: a task tried three times (two retries), then a Pass state, then success
    history = [
        {"type": "ExecutionStarted"},
        {"type": "TaskStateEntered"},
        {"type": "TaskScheduled"},
        {"type": "TaskFailed"},
        {"type": "TaskScheduled"},
        {"type": "TaskFailed"},
        {"type": "TaskScheduled"},
        {"type": "TaskSucceeded"},
        {"type": "TaskStateExited"},
        {"type": "PassStateEntered"},
        {"type": "PassStateExited"},
        {"type": "ExecutionSucceeded"},
    ]
    # Then it is billed 2 entries + 2 retries
    assert standard_state_transitions(history) == 4


@pytest.mark.parametrize(
    ("duration_ms", "memory_mb", "gb_seconds"),
    [(1, 64, 0.1 * 0.0625), (100, 64, 0.1 * 0.0625), (101, 64, 0.2 * 0.0625), (250, 65, 0.3 * 0.125)],
)
def test_express_rounds_duration_up_to_100_ms_and_memory_up_to_64_mb(
    duration_ms: float, memory_mb: int, gb_seconds: float
) -> None:
    assert express_billed_gb_seconds(duration_ms, memory_mb) == pytest.approx(gb_seconds)


def test_lambda_rounds_duration_up_to_1_ms() -> None:
    # 12.3 ms at 256 MB: 13 ms x 0.25 GB
    assert lambda_billed_gb_seconds(12.3, 256) == pytest.approx(0.013 * 0.25)


def test_sqs_bills_each_64_kb_chunk_as_a_request() -> None:
    assert sqs_requests(10) == 1
    assert sqs_requests(64 * 1024) == 1
    assert sqs_requests(64 * 1024 + 1) == 2
