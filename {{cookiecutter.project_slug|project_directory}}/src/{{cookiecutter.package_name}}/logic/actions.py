"""The business logic of each saga step and compensation: one function per name in infra/saga_steps.py.

The pattern every step keeps when its placeholder becomes a real call (README: "Plugging in a real provider"):

- a step calls its provider with ``context.idempotency_key``: it may be called again with the same key after
  a timeout, a crash or a lost answer, and the provider must then answer as before with no second effect;
- it raises a ``BusinessError`` subclass only for a definite refusal (the effect did not happen): that fails
  the saga at once. Any other exception leaves the outcome unknown: the step is retried, and if it never
  succeeds it is compensated as possibly done;
- a compensation undoes by ``context.idempotency_key_of(step)``, whether or not the step's result was recorded
  (``context.step_result`` is None when its answer was lost), and "nothing to undo" is the provider's answer;
- return a small JSON-serializable dict: it is recorded on the {{ cookiecutter.domain }}.
"""

from typing import Any

from {{ cookiecutter.package_name }}.logic.saga import ActionContext
from {{ cookiecutter.package_name }}.providers import provider
{%- for step in cookiecutter.saga_steps | saga_steps %}


def {{ step.name }}(context: ActionContext) -> dict[str, Any]:
    """Placeholder for {{ step.name }}: replace the request with the real system's."""
    request = {"step": "{{ step.name }}", "entity_id": context.entity_id}
    return provider().perform(context.idempotency_key, request)
{%- if step.compensation %}


def {{ step.compensation }}(context: ActionContext) -> dict[str, Any]:
    """Undo {{ step.name }} by its idempotency key, recorded result or not."""
    return provider().undo(context.idempotency_key_of("{{ step.name }}"))
{%- endif %}
{%- endfor %}
