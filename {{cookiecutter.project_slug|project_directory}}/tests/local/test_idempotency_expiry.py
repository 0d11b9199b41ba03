"""After the idempotency TTL, a repeated request is handled anew by the service's create handler, and its key still
names one entity. (The embedded AWS's own promises, idempotency expiry on virtual time among them, are tested with
the embedded AWS itself, in the template's embedded-aws/tests.)"""

import pytest

from local.aws import ServiceOnEmbeddedAws
from tests.local.support import (
    IDEMPOTENCY_TTL_SECONDS,
    VALID_BODY,
    Client,
    item_counts,
    live_idempotency_records,
    new_key,
    outbox_events,
)

pytestmark = pytest.mark.usefixtures("settled")


def test_idempotency_records_expire_on_virtual_time_and_the_key_still_names_one_entity(
    aws: ServiceOnEmbeddedAws, client: Client
) -> None:
    # Given an accepted request whose saga has run, and its idempotency record still live
    key = new_key()
    first = client.post(VALID_BODY, key)
    aws.settle()
    assert live_idempotency_records(aws) >= 1
    counts = item_counts()
    # When virtual time passes the idempotency TTL
    aws.clock.advance(IDEMPOTENCY_TTL_SECONDS + 1)
    # Then Powertools judges every record written so far expired
    assert live_idempotency_records(aws) == 0
    # And when the same request arrives again, it is not answered from the expired record: the request is
    # handled anew and writes a fresh record
    replay = client.post(VALID_BODY, key)
    aws.settle()
    assert live_idempotency_records(aws) == 1
    # Yet it gets the first answer, and no second entity or outbox event exists
    assert (replay.status_code, replay.body) == (first.status_code, first.body)
    assert item_counts() == counts
    assert len(outbox_events(aws, first.body["id"])) == 1
    assert client.entity(first.body["id"])["status"] == "COMPLETED"
