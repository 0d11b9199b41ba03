"""`make local`'s tour is a smoke run: it notes whatever the service does unexpectedly, then fails naming it."""

import pytest

from infra.saga_steps import SAGA_STEPS
from infra.settings import SETTINGS
from local.api import LocalApi
from local.demo import Tour, TourFailed, failure_step
from local.runtime import EmbeddedAws
from tests.local.support import new_key

pytestmark = pytest.mark.usefixtures("settled")


def test_the_tour_sees_nothing_unexpected_in_the_service_as_generated(aws: EmbeddedAws) -> None:
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


def test_a_tour_that_sees_a_new_entity_fail_names_it_and_fails(aws: EmbeddedAws) -> None:
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
