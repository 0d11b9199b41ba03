"""State transitions of a successful saga, walked on the ASL: a saga with more steps costs one more per step."""

import json
from pathlib import Path
from typing import Any

from infra.saga_asl import build_asl
from infra.saga_definition import ASL_PATH
from infra.saga_model import SagaStep
from infra.saga_steps import SAGA_STEPS
from infra.settings import SETTINGS


def success_path_transitions(asl: dict[str, Any]) -> int:
    """States a successful execution enters, following each state's ``Next`` from ``StartAt`` to an end."""
    states, name, entered = asl["States"], asl["StartAt"], 0
    while True:
        entered += 1
        state = states[name]
        if state["Type"] in {"Succeed", "Fail"} or state.get("End"):
            return entered
        name = state["Next"]


def test_the_default_saga_succeeds_in_one_transition_per_step_plus_two() -> None:
    # each step's Task, then Mark completed, then the Succeed state, in the ASL the stack deploys
    deployed = json.loads((Path(__file__).resolve().parents[2] / ASL_PATH).read_text(encoding="utf-8"))
    assert deployed == build_asl(SAGA_STEPS, dlq_enabled=SETTINGS.dlq_enabled)
    assert success_path_transitions(deployed) == len(SAGA_STEPS) + 2


def test_two_more_steps_cost_two_more_transitions() -> None:
    # Given the service's steps and the same with two more retriable steps at the end
    longer = (*SAGA_STEPS, SagaStep("audit_order"), SagaStep("archive_order"))
    # Then a successful order costs exactly two transitions more
    base = success_path_transitions(build_asl(SAGA_STEPS, dlq_enabled=SETTINGS.dlq_enabled))
    assert success_path_transitions(build_asl(longer, dlq_enabled=SETTINGS.dlq_enabled)) == base + 2
