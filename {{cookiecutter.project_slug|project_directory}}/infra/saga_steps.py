"""The saga's steps, in order: the single source of truth for the ASL, the step Lambdas and the docs.

``SagaStep("name", compensation="undo_name")`` declares a step that is undone when it or a later
step fails; a step without a compensation placed after the last compensatable step is retriable
(it never triggers compensation). After editing this list run ``make asl``, which names the action functions
``src/{{ cookiecutter.package_name }}/logic/actions.py`` must gain (every new name) or lose (every name removed).
"""

from infra.saga_model import SagaStep

SAGA_STEPS: tuple[SagaStep, ...] = (
    # Order matters: steps run top to bottom, compensations bottom to top.
{%- for step in cookiecutter.saga_steps | saga_steps %}
    SagaStep({{ step.name | tojson }}{% if step.compensation %}, compensation={{ step.compensation | tojson }}{% endif %}),
{%- endfor %}
)
