"""A fake external provider for the embedded AWS: effects kept by idempotency key, undone by key, armed faults.

Local only, never deployed: ``ServiceOnEmbeddedAws`` (local/aws.py) installs one with the service's
``providers.use``, so every saga action's provider call lands here, in the tests, the demo and the soak. It keeps
the contract the service's providers module states for every real provider:

- ``perform`` applies one effect per idempotency key; the same key again answers as before;
- ``undo`` by a key undoes its effect, answers ``{"undone": None}`` when there was none, and is final: an
  effect requested later with that key (a slow duplicate) is not applied;
- a fault decides how a call fails: ``LOST_ANSWER`` applies the effect and then times out (the caller cannot
  know), ``UNAVAILABLE`` fails before any effect (a 503), ``SLOW`` applies the effect but answers after the
  function's own timeout, so Lambda ends the invocation mid-call (``Sandbox.Timedout``): the handler's code
  after the call never runs.

The ledger is what the invariants are checked against: what the outside world saw, not what the entity says.
"""

import importlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from embedded_aws.services.awslambda import InvocationTimedOut

from infra.settings import SETTINGS


class ProviderFault(StrEnum):
    LOST_ANSWER = "lost_answer"  # the effect is applied, then the answer is lost (a client timeout)
    UNAVAILABLE = "unavailable"  # the provider fails before any effect (HTTP 503)
    SLOW = "slow"  # the effect is applied, the answer comes after the function's timeout ends the invocation

    @property
    def applies_effect(self) -> bool:
        """Whether the provider applied the effect although the call failed."""
        return self is not ProviderFault.UNAVAILABLE


class ProviderTimeout(Exception):
    """The provider's answer did not arrive in time: the effect may or may not have happened."""


class ProviderUnavailable(Exception):
    """The provider refused to serve the call (HTTP 503): no effect, but the caller cannot tell it from a timeout."""


@dataclass
class Effect:
    """One idempotency key in the ledger: applied (the effect happened) and undone (it was taken back)."""

    key: str
    applied: bool
    undone: bool = False
    performed: int = 0  # calls of ``perform`` with this key, the first included

    @property
    def standing(self) -> bool:
        """The effect happened and was not undone."""
        return self.applied and not self.undone


def split_key(idempotency_key: str) -> tuple[str, str]:
    """``{entity id}/{step}`` (the service's ActionContext.idempotency_key_of) -> (entity id, step)."""
    entity_id, step = idempotency_key.rsplit("/", 1)
    return entity_id, step


class FakeProvider:
    """An idempotent provider with a ledger, safe for concurrent calls; faults are armed per step name."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ledger: dict[str, Effect] = {}
        self._armed: dict[str, list[ProviderFault]] = {}
        self.fired: list[tuple[str, ProviderFault]] = []

    def arm(self, step: str, fault: ProviderFault | str, count: int = 1) -> None:
        """Fail the next ``count`` calls of ``perform`` for ``step`` (any entity) with ``fault``."""
        with self._lock:
            self._armed.setdefault(step, []).extend([ProviderFault(fault)] * count)

    def armed(self) -> dict[str, list[str]]:
        with self._lock:
            return {step: [fault.value for fault in faults] for step, faults in self._armed.items() if faults}

    def clear(self) -> None:
        """Disarm every fault; the ledger stays."""
        with self._lock:
            self._armed.clear()

    def perform(self, idempotency_key: str, request: dict[str, Any]) -> dict[str, Any]:
        """Apply the key's effect once.

        Raises ProviderUnavailable (no effect), ProviderTimeout (effect applied) or, for ``SLOW``, the emulation's
        InvocationTimedOut (effect applied; the calling function's invocation ends there).
        """
        _, step = split_key(idempotency_key)
        with self._lock:
            queue = self._armed.get(step)
            fault = queue.pop(0) if queue else None
            if fault is not None:
                self.fired.append((step, fault))
            if fault is ProviderFault.UNAVAILABLE:
                raise ProviderUnavailable(f"provider unavailable for {idempotency_key}")
            effect = self._ledger.setdefault(idempotency_key, Effect(idempotency_key, applied=True))
            effect.performed += 1
        if fault is ProviderFault.LOST_ANSWER:
            raise ProviderTimeout(f"no answer from the provider for {idempotency_key}")
        if fault is ProviderFault.SLOW:
            raise InvocationTimedOut(f"the provider answered {idempotency_key} after the function's timeout")
        return {"reference": idempotency_key}

    def undo(self, idempotency_key: str) -> dict[str, Any]:
        """Undo the key's effect for good; ``{"undone": None}`` when it had none (then it never will)."""
        with self._lock:
            effect = self._ledger.setdefault(idempotency_key, Effect(idempotency_key, applied=False))
            effect.undone = True
            return {"undone": idempotency_key if effect.applied else None}

    def effects(self, entity_id: str) -> dict[str, Effect]:
        """The ledger's entries of one entity, by step name (copies)."""
        with self._lock:
            return {
                split_key(key)[1]: Effect(key, effect.applied, effect.undone, effect.performed)
                for key, effect in self._ledger.items()
                if split_key(key)[0] == entity_id
            }

    def entities(self) -> set[str]:
        """Every entity id the provider has seen a call for."""
        with self._lock:
            return {split_key(key)[0] for key in self._ledger}


@contextmanager
def installed(fake: FakeProvider) -> Iterator[FakeProvider]:
    """Make every saga action call ``fake`` (through the service's ``providers.use``) until the block ends."""
    providers = importlib.import_module(f"{SETTINGS.package_name}.providers")
    previous = providers.use(fake)
    try:
        yield fake
    finally:
        providers.use(previous)
