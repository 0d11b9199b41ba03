"""What GET /{{ cookiecutter.domain_plural | kebab }}/{id} shows of a stored {{ cookiecutter.domain }} (pure, no AWS)."""

from typing import Any


def entity_view(entity: dict[str, Any]) -> dict[str, Any]:
    view = {
        "id": entity["id"],
        "status": entity["status"],
        **entity["request"],
        # Started: may have taken effect (recorded before the effect). Steps: the results recorded after it.
        "started": entity["started"],
        "steps": entity["steps"],
        "compensations": entity["compensations"],
        "failures": entity["failures"],
        "created_at": entity["created_at"],
        "updated_at": entity["updated_at"],
    }
    if "failure_reason" in entity:
        view["failure_reason"] = entity["failure_reason"]
    return view


def is_visible_to(entity: dict[str, Any], principal: str | None) -> bool:
    """Whether a caller may read the {{ cookiecutter.domain }}: its creator only, when it was created by an IAM principal."""
    return entity.get("principal") in (None, principal)
