"""Steps with a real external effect whose outcome is unknown: lost answers, an unavailable provider, a throttled
progress write. Checked against the fake provider's ledger (local/provider.py), which is what the outside world saw.
"""

import importlib
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from infra.saga_model import SagaStep
from infra.settings import SETTINGS
from local.aws import ServiceOnEmbeddedAws
from local.provider import ProviderFault
from tests.local.support import (
    COMPENSATABLE,
    PIVOTAL,
    Client,
    attempts_until_caught,
    only_execution,
    steps_before,
)

pytestmark = pytest.mark.usefixtures("settled")


# The error the state machine sees when the provider fails a step's call: the handler maps the provider's own
# exceptions to StepOutcomeUnknown, and a call that outlasts the function's timeout ends it as Lambda does.
ERROR_SEEN = {
    ProviderFault.LOST_ANSWER: "StepOutcomeUnknown",
    ProviderFault.UNAVAILABLE: "StepOutcomeUnknown",
    ProviderFault.SLOW: "Sandbox.Timedout",
}


def attempts_of(step: SagaStep, fault: ProviderFault) -> int:
    """How many attempts the state machine gives a step whose provider fails every call with ``fault``."""
    return attempts_until_caught(step.name, ERROR_SEEN[fault])


def standing(aws: ServiceOnEmbeddedAws, entity_id: str) -> dict[str, bool]:
    """Each step the provider saw for this entity: whether its effect stands (applied, not undone)."""
    return {step: effect.standing for step, effect in aws.provider.effects(entity_id).items()}


@pytest.mark.parametrize("fault", [fault for fault in ProviderFault if fault.applies_effect])
@pytest.mark.parametrize("step", PIVOTAL, ids=lambda step: step.name)
def test_a_lost_answer_is_retried_with_the_same_key_and_the_saga_completes_with_one_effect(
    aws: ServiceOnEmbeddedAws, client: Client, step: SagaStep, fault: ProviderFault
) -> None:
    # Given a provider that applies the step's effect and then loses the answer (or answers after the function's
    # timeout), once
    aws.provider.arm(step.name, fault)
    # When an accepted request's saga runs
    entity_id = client.create()
    aws.settle()
    # Then the step was performed again with the same key, the saga completed, and every step's effect stands once
    assert only_execution(aws, entity_id)["status"] == "SUCCEEDED"
    assert client.entity(entity_id)["status"] == "COMPLETED"
    effects = aws.provider.effects(entity_id)
    assert effects[step.name].performed == 2
    assert standing(aws, entity_id) == {name: True for name in client.entity(entity_id)["steps"]}


@pytest.mark.parametrize("fault", list(ProviderFault))
@pytest.mark.parametrize("step", COMPENSATABLE, ids=lambda step: step.name)
def test_a_step_whose_outcome_stays_unknown_is_compensated_by_its_key_with_every_earlier_one(
    aws: ServiceOnEmbeddedAws, client: Client, step: SagaStep, fault: ProviderFault
) -> None:
    # Given a provider that fails the step on every attempt the state machine allows: the effect applied and the
    # answer lost or too late, or the provider unavailable (no effect)
    aws.provider.arm(step.name, fault, count=attempts_of(step, fault))
    # When an accepted request's saga runs
    entity_id = client.create()
    aws.settle()
    # Then the saga failed after the retries, though the step never recorded a result
    entity = client.entity(entity_id)
    assert entity["status"] == "FAILED"
    assert entity["failure_reason"] == ERROR_SEEN[fault]
    assert step.name in entity["started"] and step.name not in entity["steps"]
    assert aws.provider.armed() == {}
    # And no compensatable step's effect stands at the provider: the failed step's compensation undid by its key,
    # and the earlier compensatable steps were undone too (a plain step's effect, which nothing undoes, stands)
    still_standing = {name for name, stands in standing(aws, entity_id).items() if stands}
    assert not still_standing & {compensatable.name for compensatable in COMPENSATABLE}
    assert step.compensation in entity["compensations"]
    undone = entity["compensations"][step.compensation]["result"]["undone"]
    # "Nothing to undo" is the provider's answer, not a guess from the missing result
    assert undone == (f"{entity_id}/{step.name}" if fault.applies_effect else None)
    undone_at_provider = {name for name, effect in aws.provider.effects(entity_id).items() if effect.undone}
    assert {earlier.name for earlier in COMPENSATABLE if earlier.name in steps_before(step)} <= undone_at_provider


@pytest.fixture
def progress_write_throttled_once(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The first step's result write fails once with DynamoDB's throttling error, after the step's effect."""
    entities: Any = importlib.import_module(f"{SETTINGS.package_name}.dal.entities")
    record_action = entities.EntityStore.record_action
    throttled: list[str] = []

    def throttle_once(self: Any, entity_id: str, kind: str, action: str, *args: Any) -> bool:
        if kind == "step" and not throttled:
            throttled.append(action)
            error = {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "throttled"}}
            raise ClientError(error, "UpdateItem")
        return bool(record_action(self, entity_id, kind, action, *args))

    monkeypatch.setattr(entities.EntityStore, "record_action", throttle_once)
    yield throttled


def test_a_throttled_progress_write_after_the_effect_is_retried_and_the_effect_stays_single(
    aws: ServiceOnEmbeddedAws, client: Client, progress_write_throttled_once: list[str]
) -> None:
    # Given the first step's own progress write throttled once, after its effect at the provider
    # When an accepted request's saga runs
    entity_id = client.create()
    aws.settle()
    # Then the step ran again with its key, the saga completed, and the provider holds one standing effect per step
    (throttled,) = progress_write_throttled_once
    assert client.entity(entity_id)["status"] == "COMPLETED"
    assert aws.provider.effects(entity_id)[throttled].performed == 2
    assert all(standing(aws, entity_id).values())
