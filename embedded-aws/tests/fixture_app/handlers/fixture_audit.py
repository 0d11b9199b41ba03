"""The second mapping on the outbox stream, declared disabled: it reads records and does nothing with them."""

from typing import Any


def handler(event: dict[str, Any], context: Any) -> None:
    return None
