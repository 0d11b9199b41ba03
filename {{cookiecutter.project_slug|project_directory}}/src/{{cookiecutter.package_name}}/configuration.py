"""Each function's configuration: the environment variables the stack sets and its handler reads, in one place.

infra/ builds a function's environment with ``as_environment()`` and the handler reads it back, typed, with
``from_environment()``: a variable's name is its field's name in capitals, so a renamed field renames both
sides at once. Standard library only: the handlers import it in Lambda, and infra/ at synth time.
"""

import os
import types
from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any, Self, Union, get_args, get_origin, get_type_hints

from {{ cookiecutter.package_name }}.progress import PROGRESS_MAP, ActionKind


@dataclass(frozen=True)
class FunctionConfiguration:
    """A frozen dataclass of environment variables: ``ENTITY_TABLE_NAME`` is the field ``entity_table_name``."""

    def as_environment(self) -> dict[str, str]:
        """The variables to set, as text; a field that is None is left out. Values may be CDK tokens (text)."""
        return {
            field.name.upper(): str(value) for field in fields(self) if (value := getattr(self, field.name)) is not None
        }

    @classmethod
    def from_environment(cls, environment: Mapping[str, str] = os.environ) -> Self:
        """The configuration from the variables; raises KeyError naming a missing one, ValueError for a non-number."""
        hints = get_type_hints(cls)
        values: dict[str, Any] = {}
        for field in fields(cls):
            variable, kind = field.name.upper(), hints[field.name]
            optional = get_origin(kind) in (Union, types.UnionType) and type(None) in get_args(kind)
            if variable not in environment and optional:
                values[field.name] = None
                continue
            text = environment[variable]
            number = int in (get_args(kind) if optional else (kind,))
            values[field.name] = int(text) if number else text
        return cls(**values)


@dataclass(frozen=True)
class CreateConfiguration(FunctionConfiguration):
    """POST: the tables of the create transaction and of the idempotency records, and how long each is kept."""

    entity_table_name: str
    outbox_table_name: str
    idempotency_table_name: str
    idempotency_ttl_seconds: int
    outbox_retention_days: int

    @property
    def outbox_retention(self) -> timedelta:
        return timedelta(days=self.outbox_retention_days)


@dataclass(frozen=True)
class ReadConfiguration(FunctionConfiguration):
    """GET: the table the {{ cookiecutter.domain }} is read from."""

    entity_table_name: str


@dataclass(frozen=True)
class RelayConfiguration(FunctionConfiguration):
    """The outbox relay: the state machine it starts; with EXPRESS, the claims that deduplicate its starts."""

    state_machine_arn: str
    workflow_type: str
    dispatch_claims_table_name: str | None = None
    # A redrive replays an event for as long as its outbox row exists, so its claim must live as long.
    dispatch_claim_retention_days: int | None = None


@dataclass(frozen=True)
class SagaActionConfiguration(FunctionConfiguration):
    """One saga step or compensation: which action it runs and where the saga's progress is recorded."""

    saga_action: str
    saga_action_kind: ActionKind
    entity_table_name: str

    def __post_init__(self) -> None:
        if self.saga_action_kind not in PROGRESS_MAP:
            raise ValueError(f"SAGA_ACTION_KIND must be one of {sorted(PROGRESS_MAP)}, not {self.saga_action_kind!r}")
