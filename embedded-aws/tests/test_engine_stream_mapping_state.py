"""A stream mapping's state: disabled, it delivers nothing; enabled again, it goes on where it stopped.

The state lives where AWS keeps it, in the mapping (moto's Lambda backend): the template's ``Enabled`` creates
it, ``UpdateEventSourceMapping`` (``aws lambda update-event-source-mapping --no-enabled``) changes it. Run against
the fixture stack: the outbox stream's relay mapping (enabled, with an on-failure queue) and its audit mapping
(declared ``Enabled: false``).
"""

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from embedded_aws.engine.runtime import EmbeddedAws
from embedded_aws.server import LocalControls, StreamPump, start_aws_endpoint
from embedded_aws.services.awslambda import Invocation
from embedded_aws.services.streams import STREAM_RETENTION_SECONDS, UNLIMITED
from fixture_stack import AUDIT, RELAY, Client, executions_of, only_execution, poller_of, stream_sequence_numbers

# What GetEventSourceMapping reports (Lambda API reference, EventSourceMappingConfiguration.State): the transitional
# state right after an update, then the settled one.
DISABLED = {"Disabling", "Disabled"}
ENABLED = {"Enabling", "Enabled"}


@pytest.fixture
def relay_mapping(aws: EmbeddedAws, settled: None) -> Iterator[str]:
    """The relay mapping's UUID, as Lambda lists it; enabled again after the test, before ``settled`` delivers what
    is left."""
    lambda_client = boto3.client("lambda")
    (mapping,) = lambda_client.list_event_source_mappings(
        EventSourceArn=poller_of(aws, RELAY).mapping.stream_arn, FunctionName=aws.function_name(RELAY)
    )["EventSourceMappings"]
    yield mapping["UUID"]
    lambda_client.update_event_source_mapping(UUID=mapping["UUID"], Enabled=True)


def set_enabled(mapping_uuid: str, enabled: bool) -> None:
    boto3.client("lambda").update_event_source_mapping(UUID=mapping_uuid, Enabled=enabled)


def assert_each_completed_by_one_execution(aws: EmbeddedAws, client: Client, entity_ids: list[str]) -> None:
    for entity_id in entity_ids:
        assert only_execution(aws, entity_id)["status"] == "SUCCEEDED"
        assert client.status(entity_id) == "COMPLETED"


def test_a_disabled_mapping_delivers_nothing_and_enabled_again_delivers_what_was_written_meanwhile(
    aws: EmbeddedAws, client: Client, relay_mapping: str
) -> None:
    poller = poller_of(aws, RELAY)
    # Given the relay's mapping disabled, as an operator pausing the relay would
    set_enabled(relay_mapping, False)
    invocations = poller.log.invocations
    # When requests are accepted meanwhile
    entity_ids = [client.create() for _ in range(2)]
    aws.settle()
    # Then the relay was not invoked: no execution started, every entity still PENDING
    assert poller.log.invocations == invocations
    for entity_id in entity_ids:
        assert executions_of(aws, entity_id) == []
        assert client.status(entity_id) == "PENDING"
    # When the mapping is enabled again
    set_enabled(relay_mapping, True)
    aws.settle()
    # Then the records written while it was disabled were delivered, each once
    assert_each_completed_by_one_execution(aws, client, entity_ids)


def test_a_mapping_disabled_during_a_delivery_starts_no_further_batch_until_enabled_again(
    aws: EmbeddedAws, client: Client, relay_mapping: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    poller = poller_of(aws, RELAY)
    relay, batch_size = aws.function_name(RELAY), poller.mapping.batch_size
    # Given more new records than one batch holds
    entity_ids = [client.create() for _ in range(batch_size + 1)]
    # And the mapping disabled while the relay handles the first batch
    lambda_client, invoke = boto3.client("lambda"), aws.lambdas.invoke

    def disabling(function_name: str, event: dict[str, Any]) -> Invocation:
        if function_name == relay:
            lambda_client.update_event_source_mapping(UUID=relay_mapping, Enabled=False)
        return invoke(function_name, event)

    monkeypatch.setattr(aws.lambdas, "invoke", disabling)
    # When the stream is delivered
    aws.settle()
    monkeypatch.undo()
    # Then the first batch was delivered and the record after it waits
    assert [client.status(entity_id) for entity_id in entity_ids] == ["COMPLETED"] * batch_size + ["PENDING"]
    assert executions_of(aws, entity_ids[-1]) == []
    # When the mapping is enabled again
    set_enabled(relay_mapping, True)
    aws.settle()
    # Then the waiting record was delivered, and none of the first batch again
    assert_each_completed_by_one_execution(aws, client, entity_ids)


def test_records_older_than_the_maximum_record_age_when_enabled_again_are_given_up_as_on_aws(
    aws: EmbeddedAws, client: Client, relay_mapping: str
) -> None:
    poller = poller_of(aws, RELAY)
    max_age = poller.mapping.max_record_age_seconds
    if max_age == UNLIMITED or max_age >= STREAM_RETENTION_SECONDS:
        pytest.fail("the fixture's relay mapping must give up on records younger than the stream's retention")
    # Given a record written while the mapping was disabled
    set_enabled(relay_mapping, False)
    entity_id = client.create()
    aws.settle()
    given_up_before = len(poller.log.sent_to_on_failure)
    # When the mapping is enabled again once the record is older than the mapping's maximum age (still in the stream)
    aws.clock.advance(max_age + 1)
    set_enabled(relay_mapping, True)
    aws.settle()
    # Then the record was given up on as too old, not delivered
    given_up = poller.log.sent_to_on_failure[given_up_before:]
    sequence_number = stream_sequence_numbers(aws)[entity_id]
    assert [
        (batch["requestContext"]["condition"], batch["DDBStreamBatchInfo"]["startSequenceNumber"]) for batch in given_up
    ] == [("RecordAgeExceeded", sequence_number)]
    assert executions_of(aws, entity_id) == []
    assert client.status(entity_id) == "PENDING"


@pytest.fixture
def audit_mapping(aws: EmbeddedAws, settled: None) -> Iterator[str]:
    """The audit mapping's UUID; disabled again after the test, as the template declares it."""
    mapping_uuid = poller_of(aws, AUDIT).mapping.uuid
    yield mapping_uuid
    set_enabled(mapping_uuid, False)


def test_a_mapping_the_template_declares_disabled_delivers_nothing_until_it_is_enabled(
    aws: EmbeddedAws, client: Client, audit_mapping: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    poller, audit = poller_of(aws, AUDIT), aws.function_name(AUDIT)
    handed: list[dict[str, Any]] = []
    invoke = aws.lambdas.invoke

    def recording(function_name: str, event: dict[str, Any]) -> Invocation:
        if function_name == audit:
            handed.append(event)
        return invoke(function_name, event)

    monkeypatch.setattr(aws.lambdas, "invoke", recording)
    # Given the audit mapping, which the template declares with Enabled: false
    assert boto3.client("lambda").get_event_source_mapping(UUID=audit_mapping)["State"] in DISABLED
    # When a request is accepted and the streams are delivered
    entity_id = client.create()
    aws.settle()
    # Then nothing was read for it or handed to its function (while the relay delivered the record)
    assert (poller.log.invocations, handed) == (0, [])
    assert client.status(entity_id) == "COMPLETED"
    # When it is enabled and the streams are delivered again
    set_enabled(audit_mapping, True)
    aws.settle()
    # Then it delivers the stream from its start (TRIM_HORIZON), the new record included
    sequence_numbers = [record["dynamodb"]["SequenceNumber"] for event in handed for record in event["Records"]]
    assert stream_sequence_numbers(aws)[entity_id] in sequence_numbers


# -- through make serve's AWS endpoint, with its background poller ---------------------------------------------


@dataclass(frozen=True)
class Serving:
    """What ``make serve`` runs beside the API: the AWS endpoint and the stream pump, sharing the serve lock."""

    endpoint: str
    lock: threading.Lock


@pytest.fixture
def serving(aws: EmbeddedAws, relay_mapping: str) -> Iterator[Serving]:
    """The AWS endpoint and the background stream pump, as embedded_aws.server starts them, stopped before the
    mapping is enabled again and the system settled."""
    server, thread = start_aws_endpoint("127.0.0.1", 0)
    lock = threading.Lock()
    pump = StreamPump(aws, lock)
    pump.start()
    try:
        yield Serving(f"http://127.0.0.1:{server.server_port}", lock)
    finally:
        pump.stopping.set()
        pump.join()
        server.shutdown()
        thread.join()


def eventually(condition: Callable[[], bool], timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_an_operator_pauses_and_resumes_the_relay_through_the_local_aws_endpoint(
    aws: EmbeddedAws, client: Client, serving: Serving
) -> None:
    endpoint = {"endpoint_url": serving.endpoint, "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    lambda_client = boto3.client("lambda", region_name=aws.region, **endpoint)
    poller = poller_of(aws, RELAY)
    # Given make serve running, and the relay's mapping as the AWS CLI lists it
    (mapping,) = lambda_client.list_event_source_mappings(FunctionName=aws.function_name(RELAY))["EventSourceMappings"]
    assert mapping["State"] == "Enabled"
    # When the operator disables it (aws lambda update-event-source-mapping --uuid ... --no-enabled) and waits for it
    assert lambda_client.update_event_source_mapping(UUID=mapping["UUID"], Enabled=False)["State"] in DISABLED
    assert eventually(lambda: lambda_client.get_event_source_mapping(UUID=mapping["UUID"])["State"] == "Disabled")
    # And a request is accepted, and the stream polled after it
    invocations = poller.log.invocations
    entity_id = client.create()
    with serving.lock:
        aws.pump_streams()
    # Then the relay was not invoked, and the entity is PENDING with no execution
    assert poller.log.invocations == invocations
    assert client.status(entity_id) == "PENDING"
    assert executions_of(aws, entity_id) == []
    # And GET /_local/state says the mapping is disabled
    status, state = LocalControls(aws, serving.lock).handle("GET", "/_local/state", None)
    assert (status, state["stream_deliveries"][poller.mapping.function_name]["state"]) == (200, "Disabled")
    # When the operator enables it again
    assert lambda_client.update_event_source_mapping(UUID=mapping["UUID"], Enabled=True)["State"] in ENABLED
    # Then the background poller delivers the record and its execution completes the item, once
    assert eventually(lambda: client.status(entity_id) == "COMPLETED")
    assert only_execution(aws, entity_id)["status"] == "SUCCEEDED"
