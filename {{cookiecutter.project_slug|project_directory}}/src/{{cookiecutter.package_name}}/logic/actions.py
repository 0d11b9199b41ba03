"""The business logic of each saga step and compensation: one function per name in infra/saga_steps.py.

Each function is called at most once per {{ cookiecutter.domain }} with a stable
``context.idempotency_key``; a concurrent duplicate can still call it twice, so pass that key to
any external provider. Raise a subclass of ``BusinessError`` to refuse: a step's refusal
compensates the saga. Return a small JSON-serializable dict; it is recorded on the {{ cookiecutter.domain }}
and handed to the step's compensation.
"""

from typing import Any

from {{ cookiecutter.package_name }}.logic.saga import ActionContext
{%- for step in cookiecutter.saga_steps | saga_steps %}


def {{ step.name }}(context: ActionContext) -> dict[str, Any]:
    """Placeholder for {{ step.name }}: replace the body with the real call."""
    return {"reference": context.idempotency_key}
{%- if step.compensation %}


def {{ step.compensation }}(context: ActionContext) -> dict[str, Any]:
    """Undo {{ step.name }}; it may never have happened (it failed or was never reached)."""
    done = context.step_result("{{ step.name }}")
    if done is None:
        return {"undone": None}
    return {"undone": done["reference"]}
{%- endif %}
{%- endfor %}
