"""Turn an accepted request into the {{ cookiecutter.domain }} and its outbox event (pure, no AWS)."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

{# isort orders the imported classes by name, so their order depends on the domain. -#}
{% set request_class = (cookiecutter.domain | pascal) ~ "Request" -%}
from {{ cookiecutter.package_name }}.models import EVENT_TYPE, {% if request_class < "Status" %}{{ request_class }}, Status{% else %}Status, {{ request_class }}{% endif %}

# Fixed namespaces make ids a pure function of the Idempotency-Key: a retry that arrives after the
# idempotency record expired derives the same ids, and the conditional writes reject the duplicate.
ENTITY_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:{{ cookiecutter.project_slug }}:{{ cookiecutter.domain }}")
EVENT_NAMESPACE = uuid.uuid5(ENTITY_NAMESPACE, "outbox-event")


@dataclass(frozen=True)
class Creation:
    """Everything one TransactWriteItems stores for a new {{ cookiecutter.domain }}."""

    entity: dict[str, Any]
    outbox_event: dict[str, Any]


def entity_id_for(idempotency_key: str) -> str:
    return str(uuid.uuid5(ENTITY_NAMESPACE, idempotency_key))


def event_id_for(entity_id: str) -> str:
    return str(uuid.uuid5(EVENT_NAMESPACE, f"{entity_id}/{EVENT_TYPE}"))


def plan_creation(
    request: {{ cookiecutter.domain | pascal }}Request,
    idempotency_key: str,
    now: datetime,
    outbox_retention: timedelta,
) -> Creation:
    entity_id = entity_id_for(idempotency_key)
    created_at = now.isoformat()
    body = request.model_dump(mode="json")
    entity = {
        "id": entity_id,
        "status": Status.PENDING.value,
        "request": body,
        # One map per kind of saga progress: each action's conditional write adds its own key. A step is in
        # "started" before its effect can happen, and in "steps" once its result is recorded.
        "started": {},
        "steps": {},
        "compensations": {},
        "failures": {},
        "created_at": created_at,
        "updated_at": created_at,
    }
    outbox_event = {
        "event_id": event_id_for(entity_id),
        "event_type": EVENT_TYPE,
        "entity_id": entity_id,
        "occurred_at": created_at,
        "expires_at": int((now + outbox_retention).timestamp()),
    }
    return Creation(entity=entity, outbox_event=outbox_event)


def created_response(entity: dict[str, Any]) -> dict[str, Any]:
    """The 201 body; built from stored fields only, so every replay returns the same content."""
    return {
        "id": entity["id"],
        "status": Status.PENDING.value,
        "created_at": entity["created_at"],
        "links": {"self": f"/{{ cookiecutter.domain_plural | kebab }}/{entity['id']}"},
    }


def is_same_request(entity: dict[str, Any], request: {{ cookiecutter.domain | pascal }}Request) -> bool:
    return bool(entity["request"] == request.model_dump(mode="json"))


class InvalidIdempotencyKey(Exception):
    """The Idempotency-Key header is missing or not a usable key."""


IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
MAX_IDEMPOTENCY_KEY_LENGTH = 128


def idempotency_key_from(headers: dict[str, str] | None) -> str:
    """The key from the headers, matched case-insensitively (clients and proxies vary)."""
    values = [value for name, value in (headers or {}).items() if name.lower() == IDEMPOTENCY_KEY_HEADER.lower()]
    if not values or not values[0].strip():
        raise InvalidIdempotencyKey(f"the {IDEMPOTENCY_KEY_HEADER} header is required")
    key = values[0].strip()
    if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH:
        raise InvalidIdempotencyKey(f"the {IDEMPOTENCY_KEY_HEADER} header is over {MAX_IDEMPOTENCY_KEY_LENGTH} chars")
    if not all("!" <= character <= "~" for character in key):
        raise InvalidIdempotencyKey(f"the {IDEMPOTENCY_KEY_HEADER} header must be printable ASCII without spaces")
    return key


JSON_CONTENT_TYPE = "application/json"


class UnsupportedMediaType(Exception):
    """The body is declared as something other than JSON."""


def is_json_content_type(headers: dict[str, str] | None) -> bool:
    """True for application/json (parameters allowed) and for no Content-Type, which API Gateway reads as JSON."""
    values = [value for name, value in (headers or {}).items() if name.lower() == "content-type"]
    if not values or not values[0].strip():
        return True
    return values[0].split(";")[0].strip().lower() == JSON_CONTENT_TYPE
