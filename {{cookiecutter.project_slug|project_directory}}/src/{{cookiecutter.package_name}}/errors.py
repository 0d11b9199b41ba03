"""Exceptions the logic raises; handlers map them to responses or let Step Functions see them.

A Lambda error's type is the exception's class name, which the state machine matches in its
Retry and Catch rules, so these names are part of the saga's contract.
"""


class BusinessError(Exception):
    """A saga action refused for a business reason; subclass it per reason (``PaymentDeclined``)."""


class SagaNotPending(BusinessError):
    """A step was asked to run after its saga began compensating or ended (a duplicate execution)."""


class EntityNotFound(Exception):
    """No {{ cookiecutter.domain }} has the requested id."""


class KeyReusedWithOtherPayload(Exception):
    """The Idempotency-Key already created one {{ cookiecutter.domain }} from a different request body."""
