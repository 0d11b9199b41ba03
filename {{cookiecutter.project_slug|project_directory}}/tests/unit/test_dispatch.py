"""Relaying an outbox event: one execution name per event, and a used name counts as done."""

import json

from {{ cookiecutter.package_name }}.logic.dispatch import execution_input, start_saga

EVENT = {
    "event_id": "ev-1",
    "event_type": "{{ cookiecutter.domain | pascal }}Created",
    "entity_id": "e-1",
    "occurred_at": "2026-01-02T03:04:05+00:00",
    "expires_at": 1767322800,
}


class RecordingStarter:
    def __init__(self, already_started: set[str]) -> None:
        self.already_started = already_started
        self.started: list[tuple[str, str]] = []

    def start(self, name: str, execution_input: str) -> bool:
        if name in self.already_started:
            return False
        self.already_started.add(name)
        self.started.append((name, execution_input))
        return True


def test_the_execution_is_named_after_the_event_and_carries_its_identity_only() -> None:
    starter = RecordingStarter(set())
    assert start_saga(EVENT, starter) == "started"
    name, payload = starter.started[0]
    assert name == "ev-1"
    assert json.loads(payload) == {key: value for key, value in EVENT.items() if key != "expires_at"}


def test_a_redelivered_event_is_not_started_twice() -> None:
    starter = RecordingStarter(set())
    start_saga(EVENT, starter)
    assert start_saga(EVENT, starter) == "already started"
    assert len(starter.started) == 1


def test_the_execution_input_is_stable_for_the_same_event() -> None:
    assert execution_input(EVENT) == execution_input(dict(reversed(EVENT.items())))
