"""Faults armed on a function for its next invocations (local only: the deployed code has no such path)."""

import threading
from dataclasses import dataclass
from enum import StrEnum


class FaultKind(StrEnum):
    BUSINESS_ERROR = "business_error"  # the handler raises a typed error with the given name
    TRANSIENT = "transient"  # the Lambda service fails the invoke (Lambda.ServiceException); the handler never runs
    CRASH_BEFORE = "crash_before"  # the runtime dies before the handler runs
    CRASH_AFTER = "crash_after"  # the handler ran (its effect happened) but the caller sees a failure


@dataclass(frozen=True)
class Fault:
    kind: FaultKind
    error_name: str = "InjectedBusinessError"


class InjectedBusinessError(Exception):
    """Base of the exceptions a BUSINESS_ERROR fault raises; each gets the armed name as its class name."""


def business_error(name: str, message: str) -> Exception:
    # The class name is what Step Functions matches, exactly as with the service's own typed errors.
    error_class: type[InjectedBusinessError] = type(name, (InjectedBusinessError,), {})
    return error_class(message)


class FaultInjector:
    def __init__(self) -> None:
        self._armed: dict[str, list[Fault]] = {}
        self._lock = threading.Lock()
        self.fired: list[tuple[str, Fault]] = []

    def arm(self, function_name: str, fault: Fault, count: int = 1) -> None:
        with self._lock:
            self._armed.setdefault(function_name, []).extend([fault] * count)

    def take(self, function_name: str) -> Fault | None:
        """The fault for this invocation, if one is armed; each armed fault fires once."""
        with self._lock:
            queue = self._armed.get(function_name)
            if not queue:
                return None
            fault = queue.pop(0)
            self.fired.append((function_name, fault))
            return fault

    def clear(self) -> None:
        with self._lock:
            self._armed.clear()

    def armed(self) -> dict[str, list[str]]:
        with self._lock:
            return {name: [fault.kind.value for fault in faults] for name, faults in self._armed.items() if faults}
