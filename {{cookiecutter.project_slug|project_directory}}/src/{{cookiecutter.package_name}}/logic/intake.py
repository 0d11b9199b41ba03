"""Turn an accepted request into the {{ cookiecutter.domain }} and its outbox event (pure, no AWS)."""

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

{# isort orders the imported classes by name, so their order depends on the domain. -#}
{% set request_class = (cookiecutter.domain | pascal) ~ "Request" -%}
from {{ cookiecutter.package_name }}.models import EVENT_TYPE, {{ request_class }}
from {{ cookiecutter.package_name }}.progress import Status

# Fixed namespaces make ids a pure function of the Idempotency-Key: a retry that arrives after the
# idempotency record expired derives the same ids, and the conditional writes reject the duplicate.
ENTITY_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:{{ cookiecutter.project_slug }}:{{ cookiecutter.domain }}")
EVENT_NAMESPACE = uuid.uuid5(ENTITY_NAMESPACE, "outbox-event")


@dataclass(frozen=True)
class Creation:
    """Everything one TransactWriteItems stores for a new {{ cookiecutter.domain }}."""

    entity: dict[str, Any]
    outbox_event: dict[str, Any]


def entity_id_for(idempotency_key: str, principal: str | None = None) -> str:
    """The id an Idempotency-Key derives, within its caller's own namespace: two callers' equal keys derive two
    ids. ``principal``: the caller's IAM principal ARN, None without IAM authorization (keys are then global)."""
    namespace = ENTITY_NAMESPACE if principal is None else uuid.uuid5(ENTITY_NAMESPACE, principal)
    return str(uuid.uuid5(namespace, idempotency_key))


def event_id_for(entity_id: str) -> str:
    return str(uuid.uuid5(EVENT_NAMESPACE, f"{entity_id}/{EVENT_TYPE}"))


def plan_creation(
    request: {{ cookiecutter.domain | pascal }}Request,
    idempotency_key: str,
    now: datetime,
    outbox_retention: timedelta,
    principal: str | None = None,
) -> Creation:
    """The {{ cookiecutter.domain }} and its outbox event for an accepted request; ``principal`` as for entity_id_for."""
    entity_id = entity_id_for(idempotency_key, principal)
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
    if principal is not None:
        # Who may read it back: GET answers 404 to any other caller.
        entity["principal"] = principal
    outbox_event = {
        "event_id": event_id_for(entity_id),
        "event_type": EVENT_TYPE,
        "entity_id": entity_id,
        "occurred_at": created_at,
        "expires_at": int((now + outbox_retention).timestamp()),
    }
    return Creation(entity=entity, outbox_event=outbox_event)


def created_response(entity: dict[str, Any]) -> dict[str, Any]:
    """The 201 body without its links (the handler adds them for the URL called); built from stored fields only,
    so every replay returns the same content."""
    return {"id": entity["id"], "status": Status.PENDING.value, "created_at": entity["created_at"]}


def is_same_request(entity: dict[str, Any], request: {{ cookiecutter.domain | pascal }}Request) -> bool:
    return bool(entity["request"] == request.model_dump(mode="json"))
