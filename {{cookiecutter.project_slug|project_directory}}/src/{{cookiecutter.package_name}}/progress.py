"""The words of the saga's progress: the {{ cookiecutter.domain }}'s statuses, the kinds of saga action and the map each
records its results in.

Standard library only, apart from models.py: the functions that validate no body (the relay, the saga actions)
import these without pydantic, whose import is a good part of a cold start (`make coldstart`).
"""

from enum import StrEnum
from typing import Literal

ActionKind = Literal["step", "compensation"]
# Each kind of saga action records its progress in its own map on the {{ cookiecutter.domain }}.
PROGRESS_MAP: dict[ActionKind, str] = {"step": "steps", "compensation": "compensations"}


class Status(StrEnum):
    PENDING = "PENDING"
    # A step failed: the saga's steps stop and its compensations run (infra/saga_asl.py moves it here).
    COMPENSATING = "COMPENSATING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    COMPENSATION_FAILED = "COMPENSATION_FAILED"
