"""The {{ cookiecutter.domain }} as the API accepts it and answers it (the statuses it moves through: progress.py).

The request model is validated by the create handler; the response models describe what the handlers answer
(infra/openapi.py writes them into openapi.json; tests/local/test_api_contract.py holds the answers to them).
"""

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from {{ cookiecutter.package_name }}.progress import Status

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


class Links(BaseModel):
    self: str = Field(description="its absolute path, under the path the client called")


class {{ cookiecutter.domain | pascal }}Accepted(BaseModel):
    """The body of a 201 from POST: the same bytes for every replay of its Idempotency-Key."""

    model_config = ConfigDict(extra="forbid")

    id: str
    status: Literal[Status.PENDING]
    created_at: str = Field(description="ISO 8601, UTC")
    links: Links


class {{ cookiecutter.domain | pascal }}View({{ cookiecutter.domain | pascal }}Request):
    """The body of a 200 from GET: the request as accepted, its status and its saga's progress."""

    id: str
    status: Status
    started: dict[str, Any] = Field(description="each step recorded as started, before its effect could happen")
    steps: dict[str, Any] = Field(description="each step's recorded result")
    compensations: dict[str, Any] = Field(description="each compensation's recorded result")
    failures: dict[str, Any] = Field(description="each retriable step whose retries ran out")
    created_at: str = Field(description="ISO 8601, UTC")
    updated_at: str = Field(description="ISO 8601, UTC")
    failure_reason: str | None = Field(default=None, description="why the saga failed, once it has")
