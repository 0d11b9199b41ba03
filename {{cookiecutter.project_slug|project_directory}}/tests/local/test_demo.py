"""`make local`'s tour is a smoke run: it notes whatever the service does unexpectedly, then fails naming it."""

import pytest
from embedded_aws.services.apigateway import LocalApi

from infra.saga_steps import SAGA_STEPS
from infra.settings import SETTINGS
from local.aws import ServiceOnEmbeddedAws
from local.demo import INDENT, Tour, TourFailed, counted, failure_step
from tests.local.support import attempts_until_caught, new_key

pytestmark = pytest.mark.usefixtures("settled")

# The step the tour refuses, and whose answers it loses: the same choice for every step list.
PAYMENT = failure_step(SAGA_STEPS)
# Read from the checked-in ASL, apart from the tour, which reads the deployed definition.
ATTEMPTS = attempts_until_caught(PAYMENT.name, "StepOutcomeUnknown")
retried = pytest.mark.skipif(ATTEMPTS < 2, reason="the payment step is not retried: a lost answer fails it at once")
refundable = pytest.mark.skipif(not PAYMENT.compensation, reason="no compensatable step: nothing is ever undone")


def printed(capsys: pytest.CaptureFixture[str], label: str) -> list[str]:
    """The text of every tour line printed with ``label`` since the last read."""
    prefix = f"{INDENT}{label:14} "
    return [line.removeprefix(prefix) for line in capsys.readouterr().out.splitlines() if line.startswith(prefix)]


def test_the_tour_sees_nothing_unexpected_in_the_service_as_generated(aws: ServiceOnEmbeddedAws) -> None:
    # Given the tour on the embedded AWS, with keys of its own
    tour = Tour(aws, LocalApi(aws))
    key, failing_key = new_key(), new_key()
    # When it runs the scenarios that depend on its own requests only (a redelivery would hand the relay the
    # events other tests left on the stream too)
    created = tour.new_entity(1, "A new entity", key)
    tour.replay(2, key, created)
    tour.other_body(3, key)
    tour.business_failure(4, failure_step(SAGA_STEPS), failing_key)
    # Then it saw everything as expected, and its verdict passes
    assert tour.unexpected == []
    tour.check()


def test_a_tour_that_sees_a_new_entity_fail_names_it_and_fails(aws: ServiceOnEmbeddedAws) -> None:
    # Given the tour, and the first step refusing its next invocation
    tour = Tour(aws, LocalApi(aws))
    aws.arm_fault(SAGA_STEPS[0].name, "business_error", 1, "Sabotaged")
    # When the tour creates an entity that should complete
    tour.new_entity(1, "A new entity", new_key())
    # Then it notes how the saga ended instead, and its verdict fails naming that
    expected = f"the new {SETTINGS.domain} ended FAILED (Sabotaged), not COMPLETED"
    assert tour.unexpected == [expected]
    with pytest.raises(TourFailed) as failed:
        tour.check()
    assert str(failed.value) == f"The tour saw 1 unexpected thing(s):\n  - {expected}"


@retried
def test_a_payment_whose_answer_is_lost_once_completes_with_one_standing_charge(
    aws: ServiceOnEmbeddedAws, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the tour
    tour = Tour(aws, LocalApi(aws))
    # When it shows the provider applying the payment step and losing the answer, once
    entity = tour.lost_answer(5, PAYMENT, new_key())
    # Then the step was retried with its key: the order completed and the provider holds one effect from two calls
    assert entity is not None
    effect = aws.provider.effects(entity["id"])[PAYMENT.name]
    assert (entity["status"], effect.applied, effect.undone, effect.performed) == ("COMPLETED", True, False, 2)
    assert aws.provider.armed() == {}
    # And the tour printed that ledger entry and saw nothing unexpected
    assert printed(capsys, "provider") == [f"<id>/{PAYMENT.name} applied once (2 calls), standing"]
    assert tour.unexpected == []


@refundable
def test_a_payment_whose_answer_never_arrives_is_refunded_by_its_key(
    aws: ServiceOnEmbeddedAws, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the tour
    tour = Tour(aws, LocalApi(aws))
    # When it shows the provider applying the payment step and losing the answer on every attempt the ASL allows
    entity = tour.answer_never_arrives(6, PAYMENT, new_key())
    # Then the order failed without a payment result, and the provider undid the charge it had applied
    assert entity is not None
    effects = aws.provider.effects(entity["id"])
    assert (entity["status"], entity["failure_reason"]) == ("FAILED", "StepOutcomeUnknown")
    assert PAYMENT.name not in entity["steps"]
    payment = effects[PAYMENT.name]
    assert (payment.applied, payment.undone, payment.performed) == (True, True, ATTEMPTS)
    # And nothing a compensation could take back stands
    assert not any(effects[step.name].standing for step in SAGA_STEPS if step.compensation and step.name in effects)
    # And the tour printed that ledger entry and saw nothing unexpected
    assert printed(capsys, "provider") == [f"<id>/{PAYMENT.name} applied once ({counted(ATTEMPTS, 'call')}), undone"]
    assert tour.unexpected == []


@pytest.mark.skipif(bool(PAYMENT.compensation), reason="a compensatable step: the tour shows the refund")
def test_without_a_compensation_the_tour_says_why_it_shows_no_refund_and_runs_no_order(
    aws: ServiceOnEmbeddedAws, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the tour, and a step list with no compensation at all
    tour = Tour(aws, LocalApi(aws))
    before = tour.counts()
    # When it comes to the payment whose answer never arrives
    entity = tour.answer_never_arrives(6, PAYMENT, new_key())
    # Then it says why it cannot show it, instead of running an order it would have to call broken
    assert entity is None
    (reason,) = printed(capsys, "not shown")
    assert reason.startswith("no step has a compensation")
    assert (tour.counts(), aws.provider.armed(), tour.unexpected) == (before, {}, [])


@refundable
def test_a_tour_that_sees_a_charge_left_standing_names_it_and_fails(
    aws: ServiceOnEmbeddedAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given the tour, and a provider whose undo answers "nothing to undo" but keeps every effect
    tour = Tour(aws, LocalApi(aws))
    monkeypatch.setattr(aws.provider, "undo", lambda key: {"undone": None})
    # When the tour shows a payment whose answer never arrives
    tour.answer_never_arrives(6, PAYMENT, new_key())
    # Then it notes the effects the provider still holds, and its verdict fails
    standing = [step.name for step in SAGA_STEPS[: SAGA_STEPS.index(PAYMENT) + 1] if step.compensation]
    assert tour.unexpected == [
        f"the provider still holds {', '.join(standing)} for the {SETTINGS.domain} whose {PAYMENT.name} answer"
        " never arrived"
    ]
    with pytest.raises(TourFailed):
        tour.check()
