"""Relay an outbox event to the saga: one execution per event, whatever the stream redelivers."""

import json
from collections.abc import Mapping
from typing import Any, Protocol

EXECUTION_INPUT_FIELDS = ("event_id", "event_type", "entity_id", "occurred_at")


class ExecutionStarter(Protocol):
    def start(self, name: str, execution_input: str) -> bool: ...


def execution_input(outbox_event: Mapping[str, Any]) -> str:
    """The saga's input: the event's identity only; steps read the current state from the table."""
    return json.dumps({field: outbox_event[field] for field in EXECUTION_INPUT_FIELDS}, sort_keys=True)


def start_saga(outbox_event: Mapping[str, Any], starter: ExecutionStarter) -> str:
    """Start the execution named after the event id; a name already used means already started."""
    started = starter.start(name=str(outbox_event["event_id"]), execution_input=execution_input(outbox_event))
    return "started" if started else "already started"
