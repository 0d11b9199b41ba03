"""The {{ cookiecutter.domain }} as the API accepts it and the statuses it moves through."""

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

EVENT_TYPE = "{{ cookiecutter.domain | pascal }}Created"


class LineItem(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    sku: str = Field(min_length=1, max_length=64)
    quantity: int = Field(ge=1, le=1000)


class {{ cookiecutter.domain | pascal }}Request(BaseModel):
    """The body of POST /{{ cookiecutter.domain_plural | kebab }}. Replace the fields with your domain's."""

    model_config = ConfigDict(extra="forbid", strict=True)

    customer_id: str = Field(min_length=1, max_length=64)
    items: list[LineItem] = Field(min_length=1, max_length=50)


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
