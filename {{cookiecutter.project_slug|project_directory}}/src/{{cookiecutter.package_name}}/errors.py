"""Exceptions the logic raises; handlers map them to responses or let Step Functions see them.

A Lambda error's type is the exception's class name, which the state machine matches in its
Retry and Catch rules, so these names are part of the saga's contract.
"""


class BusinessError(Exception):
    """A definite refusal: the action knows its effect did not happen. Subclass it per reason (``PaymentDeclined``).

    A step's refusal fails the saga at once, without a retry. Raise it only when the provider said no
    (a declined card, an item out of stock), never for a timeout or an error that leaves the outcome unknown.
    """


class StepOutcomeUnknown(Exception):
    """A step failed without a refusal, so its effect may have happened (a timeout, throttling, a provider 5xx, a bug).

    The saga handler raises it for every exception that is not a BusinessError, with the original as its
    cause; the state machine retries it with backoff, then compensates the step as possibly done
    (infra/saga_asl.py names it STEP_OUTCOME_UNKNOWN).
    """


class SagaNotPending(BusinessError):
    """A step was asked to run after its saga began compensating or ended (a duplicate execution)."""


class EntityNotFound(Exception):
    """No {{ cookiecutter.domain }} has the requested id."""


class KeyReusedWithOtherPayload(Exception):
    """The Idempotency-Key already created one {{ cookiecutter.domain }} from a different request body."""
