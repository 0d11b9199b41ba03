"""The saga's step model: the ordered steps, each one's settings and retry policy, and their names.

Standard library only, like every ``infra/saga_*`` module: the template's hooks load them before any
dependency is installed. The step list itself is ``infra/saga_steps.py``; ``infra/saga_asl.py`` compiles it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

JsonObject = dict[str, Any]


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently Step Functions retries a failed attempt.

    ``max_attempts`` retries follow the first attempt. The wait before retry ``n`` (from 0) is
    ``interval_seconds * backoff_rate ** n`` seconds, capped at ``max_delay_seconds``; full jitter draws
    each wait uniformly between 0 and that value (ASL ``JitterStrategy: FULL``), so retries of many
    executions do not arrive together.
    """

    max_attempts: int = 2
    interval_seconds: int = 1
    backoff_rate: float = 2.0
    max_delay_seconds: int = 4

    def retrier(self, errors: list[str]) -> JsonObject:
        """The ASL Retry entry for these error names."""
        return {
            "ErrorEquals": errors,
            "IntervalSeconds": self.interval_seconds,
            "MaxAttempts": self.max_attempts,
            "BackoffRate": self.backoff_rate,
            "MaxDelaySeconds": self.max_delay_seconds,
            "JitterStrategy": "FULL",
        }


@dataclass(frozen=True)
class IamGrant:
    """Extra IAM permissions for one step's functions: ``actions`` (``"sqs:SendMessage"``) on ``resources`` (ARNs)."""

    actions: tuple[str, ...]
    resources: tuple[str, ...]


STEP_RETRY = RetryPolicy()
# A compensation must eventually succeed: it retries longer than a step.
COMPENSATION_RETRY = RetryPolicy(max_attempts=3)


@dataclass(frozen=True)
class SagaStep:
    """One step of the saga and its settings; each reaches the ASL, the step's Lambda function and the README.

    ``timeout_seconds`` bounds one attempt of the step and of its compensation: their Lambda functions'
    timeout and their Tasks' ``TimeoutSeconds``. ``memory_mb`` is their Lambda memory (CPU grows with it).
    ``retry`` bounds the retries of the step after a failure of unknown outcome; ``compensation_retry``
    those of its compensation after any failure. The rest reaches the step's and its compensation's
    functions only: ``environment`` as variables (name, value), ``secrets`` (Secrets Manager secret names)
    and ``parameters`` (SSM parameter names, with their leading ``/``) as read grants, and ``grants``.
    """

    name: str
    compensation: str | None = None
    timeout_seconds: int = 10
    memory_mb: int = 512
    retry: RetryPolicy = STEP_RETRY
    compensation_retry: RetryPolicy = COMPENSATION_RETRY
    environment: tuple[tuple[str, str], ...] = ()
    secrets: tuple[str, ...] = ()
    parameters: tuple[str, ...] = ()
    grants: tuple[IamGrant, ...] = ()


def pascal(name: str) -> str:
    """``reserve_inventory`` -> ``ReserveInventory``."""
    return "".join(part.capitalize() for part in name.split("_"))


def action_names(steps: tuple[SagaStep, ...]) -> list[str]:
    """Every step, then every compensation: each one is its own Lambda function."""
    return [step.name for step in steps] + [step.compensation for step in steps if step.compensation]


def retriable_steps(steps: tuple[SagaStep, ...]) -> set[str]:
    """Steps after the last compensatable one that have no compensation of their own.

    With no compensatable step at all there is no pivot, so every step can fail the saga.
    """
    compensatable = [index for index, step in enumerate(steps) if step.compensation]
    if not compensatable:
        return set()
    return {step.name for step in steps[compensatable[-1] + 1 :] if not step.compensation}
