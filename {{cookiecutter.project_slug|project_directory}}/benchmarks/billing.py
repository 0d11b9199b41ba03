"""Billing units of Step Functions, Lambda and SQS, from what an execution did: pure functions, no AWS calls.

Sources:
- Step Functions: https://aws.amazon.com/step-functions/pricing/ (Standard: a state transition each time a
  step runs, retries included; Express: per request, plus duration x memory, billed in 100 ms and 64 MB steps)
- Lambda: https://aws.amazon.com/lambda/pricing/ (duration rounded up to the nearest 1 ms)
- SQS: https://aws.amazon.com/sqs/pricing/ (each 64 KB chunk of a payload is billed as one request)
"""

import math
from collections.abc import Iterable, Mapping
from typing import Any

EXPRESS_DURATION_STEP_MS = 100
EXPRESS_MEMORY_STEP_MB = 64
SQS_CHUNK_BYTES = 64 * 1024
_SCHEDULED = ("TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled")


def standard_state_transitions(history: Iterable[Mapping[str, Any]]) -> int:
    """State transitions a Standard execution is billed for, counted from its execution history.

    ``history`` is GetExecutionHistory's ``events``, oldest first. Each ``...StateEntered`` event is one
    transition; each retry of a task is one more, and a retry shows in the history as a second scheduling
    of the task inside one entry of its state (it does not enter the state again).
    """
    transitions = 0
    scheduled_in_state = 0
    for event in history:
        kind = str(event["type"])
        if kind.endswith("StateEntered"):
            transitions += 1
            scheduled_in_state = 0
        elif kind in _SCHEDULED:
            scheduled_in_state += 1
            if scheduled_in_state > 1:
                transitions += 1
    return transitions


def express_billed_gb_seconds(duration_ms: float, memory_mb: int = EXPRESS_MEMORY_STEP_MB) -> float:
    """GB-seconds an Express execution is billed for: duration rounded up to 100 ms, memory up to 64 MB.

    AWS bills the memory an execution uses, from the size of the workflow definition and of its data, at
    least 64 MB; the emulation cannot measure that, so callers pass the 64 MB minimum and say so.
    """
    billed_ms = max(1, math.ceil(duration_ms / EXPRESS_DURATION_STEP_MS)) * EXPRESS_DURATION_STEP_MS
    billed_mb = max(1, math.ceil(memory_mb / EXPRESS_MEMORY_STEP_MB)) * EXPRESS_MEMORY_STEP_MB
    return (billed_ms / 1000) * (billed_mb / 1024)


def lambda_billed_gb_seconds(duration_ms: float, memory_mb: int) -> float:
    """GB-seconds one Lambda invocation is billed for: duration rounded up to 1 ms, times configured memory."""
    return (max(1, math.ceil(duration_ms)) / 1000) * (memory_mb / 1024)


def sqs_requests(payload_bytes: int) -> int:
    """Billed SQS requests for one API call carrying ``payload_bytes``: one per 64 KB chunk, at least one."""
    return max(1, math.ceil(payload_bytes / SQS_CHUNK_BYTES))
