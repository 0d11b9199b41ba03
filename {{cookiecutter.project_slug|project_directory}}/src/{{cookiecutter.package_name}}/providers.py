"""The external systems the saga's steps act on, behind one small interface keyed by idempotency key.

A step asks a provider for an effect (charge, reserve, send) with the step's idempotency key, and its
compensation asks the same provider to undo by that key. The contract every real provider client
must keep (payment APIs such as Stripe's ``Idempotency-Key`` keep the first half):

- ``perform`` with a key already used returns the first answer and has no second effect;
- ``undo`` by a key undoes whatever that key did, answers ``nothing to undo`` when it did nothing, and
  is final: an effect requested later with that key (a slow duplicate) does not apply;
- a definite refusal is a ``BusinessError`` subclass; anything else (a timeout, a 5xx) is raised as it
  is and leaves the outcome unknown, so the saga retries and, in the end, undoes by the key.

``PlaceholderProvider`` stands in until you plug in a real client (README: "Plugging in a real
provider"); the local emulation installs its fake provider here with ``use`` (local/provider.py).
"""

from typing import Any, Protocol


class Provider(Protocol):
    def perform(self, idempotency_key: str, request: dict[str, Any]) -> dict[str, Any]:
        """Apply the effect once per key and answer with a small JSON-serializable dict."""
        ...

    def undo(self, idempotency_key: str) -> dict[str, Any]:
        """Undo the key's effect, finally; ``{"undone": None}`` when the key had none."""
        ...


class PlaceholderProvider:
    """No system at all: every effect is the answer itself, so there is never anything outside to undo."""

    def perform(self, idempotency_key: str, request: dict[str, Any]) -> dict[str, Any]:
        return {"reference": idempotency_key}

    def undo(self, idempotency_key: str) -> dict[str, Any]:
        return {"undone": None}


_provider: Provider = PlaceholderProvider()


def provider() -> Provider:
    """The provider the saga's actions call."""
    return _provider


def use(replacement: Provider) -> Provider:
    """Make every action call ``replacement`` from now on; returns the provider it replaces."""
    global _provider
    previous, _provider = _provider, replacement
    return previous
