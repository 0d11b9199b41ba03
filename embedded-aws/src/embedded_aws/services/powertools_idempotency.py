"""Powertools idempotency on the virtual clock: its records expire by the emulation's time, as the service's do.

Powertools reads the wall clock (``dt.datetime.now()``) when it stamps a record's expiry, when it
writes a record over an expired one (``#expiry < :now``) and when it judges a record it read. Each
module on the DynamoDB path imports ``datetime as dt``; patching that name in each makes them read
the virtual clock, so skipping time past the idempotency TTL really expires the records.
Checked against aws-lambda-powertools 3.37: ``patch.object`` fails loudly if a module loses ``dt``.
"""

import datetime as real_datetime
import types
from contextlib import ExitStack
from datetime import tzinfo
from typing import Self
from unittest.mock import patch

from aws_lambda_powertools.utilities.idempotency import base
from aws_lambda_powertools.utilities.idempotency.persistence import base as persistence_base
from aws_lambda_powertools.utilities.idempotency.persistence import datarecord, dynamodb

from embedded_aws.engine.clock import VirtualClock

# Every module of Powertools' DynamoDB idempotency path that reads the time.
TIME_READERS = (base, persistence_base, datarecord, dynamodb)


def idempotency_on(clock: VirtualClock) -> ExitStack:
    """Within this context Powertools' idempotency reads ``clock`` wherever it reads the time."""

    class VirtualDatetime(real_datetime.datetime):
        @classmethod
        def now(cls, tz: tzinfo | None = None) -> Self:
            return cls.fromtimestamp(clock.time(), tz)

    virtual_datetime_module = types.ModuleType("datetime", "the datetime module, with now() on the virtual clock")
    virtual_datetime_module.__dict__.update(
        {name: value for name, value in vars(real_datetime).items() if not name.startswith("__")}
    )
    virtual_datetime_module.datetime = VirtualDatetime  # type: ignore[attr-defined]
    stack = ExitStack()
    for module in TIME_READERS:
        stack.enter_context(patch.object(module, "dt", virtual_datetime_module))
    return stack
