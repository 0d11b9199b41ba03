"""The service's invariants under random scenarios: requests, replays, faults, redeliveries, duplicates and time.

Hypothesis draws each scenario as a sequence of actions against the shared embedded AWS: new requests,
replays, a key reused with another body, concurrent duplicates, faults armed on any function, faults armed
at the external provider the saga's steps call (a lost answer, an outage; as many as a step's retries
absorb, or one more), stream redelivery, duplicate executions, virtual time skipped past the idempotency
TTL, and settling. When the scenario ends the system is left to quiesce (faults cleared, everything
settled, every client that got no answer retries once) and the invariants are checked on this scenario's
entities only:

1. one entity per Idempotency-Key, ever (also after its idempotency record expired), with one outbox event;
2. every accepted entity's saga ended (COMPLETED or FAILED), or the delivery of its outbox event was given up;
3. each action recorded its result at most once per entity, and compensations ran exactly for the
   compensatable steps up to the failing one (and every later one started), latest first, and only when the
   saga failed;
4. a refused request (4xx) wrote nothing (checked as it happens);
5. STANDARD ran at most one execution per entity; EXPRESS may run more, harmlessly (3 holds).

The provider's ledger (local/provider.py) is what the outside world saw; against it, for each entity:

6. the provider applied nothing for a step the entity does not record as started, and every step result
   recorded is the provider's answer for that step's key; a COMPLETED entity has each recorded step's effect
   exactly once and standing, and nothing undone (a retriable step that recorded its failure may have its
   effect or none);
7. a FAILED entity has no standing effect of any compensatable step and never started a retriable one; with
   STANDARD (one execution) no step after the failing one ever started, so no effect of one exists
   (``assert_failed_at_the_provider`` says what EXPRESS duplicates may leave, and why);
8. the provider saw no call at all for an entity id that was never accepted: every id it first saw during
   the scenario is one of the scenario's accepted entities (or of an earlier scenario's).

The number of scenarios follows the Hypothesis profile (``HYPOTHESIS_PROFILE=soak`` runs many more);
``--hypothesis-show-statistics`` lists the actions taken and the fault points that fired: a function's
(``fault fired: function/kind``) and the provider's (``provider: step/kind``).
"""

import json
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ClassVar
from unittest.mock import patch

import boto3
import pytest
from embedded_aws.engine.faults import FaultKind
from embedded_aws.services.apigateway import ApiResponse
from embedded_aws.services.awslambda import Invocation
from embedded_aws.services.streams import STREAM_RETENTION_SECONDS
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule

from infra.saga_asl import STEP_OUTCOME_UNKNOWN
from infra.saga_model import SagaStep, retriable_steps
from infra.saga_steps import SAGA_STEPS
from infra.settings import SETTINGS
from local.aws import ServiceOnEmbeddedAws
from local.provider import Effect, ProviderFault
from tests.conftest import HYPOTHESIS_PROFILE, SCENARIOS_BY_PROFILE
from tests.local.support import (
    COMPENSATABLE,
    CREATE_HANDLER,
    IDEMPOTENCY_TTL_SECONDS,
    VALID_BODY,
    Client,
    asl,
    attempts_until_caught,
    event_id_of,
    executions_of,
    item_counts,
    new_key,
    state_name,
)

pytestmark = pytest.mark.usefixtures("settled")

RELAY = "outbox_relay"
SAGA_ACTIONS = [step.name for step in SAGA_STEPS] + [step.compensation for step in SAGA_STEPS if step.compensation]
FAULT_TARGETS = [*SAGA_ACTIONS, RELAY, CREATE_HANDLER]
RETRIABLE = retriable_steps(SAGA_STEPS)
COMPENSATED_STEP = {str(step.compensation): step.name for step in SAGA_STEPS if step.compensation}
COMPENSATABLE_STEPS = {step.name for step in COMPENSATABLE}
FINAL_STATUSES = {"COMPLETED", "FAILED"}
STEPS_PER_SCENARIO = 12
# What a client sees when the create function fails: the Lambda service's error, or the proxy integration's.
FAILED_CREATE_STATUS = {FaultKind.TRANSIENT: 500} | {
    kind: 502 for kind in (FaultKind.BUSINESS_ERROR, FaultKind.CRASH_BEFORE, FaultKind.CRASH_AFTER)
}
RELAY_FAILURES_QUEUE = "RelayFailuresQueueUrl"

bodies = st.builds(
    lambda customer, quantity: {"customer_id": customer, "items": [{"sku": "sku-1", "quantity": quantity}]},
    st.sampled_from(["c-1", "c-2"]),
    st.integers(min_value=1, max_value=9),
)


def other_body(body: dict[str, Any]) -> dict[str, Any]:
    (item,) = body["items"]
    return {**body, "items": [{**item, "quantity": item["quantity"] + 1}]}


def faults_absorbed(handler_or_action: str) -> int | None:
    """How many faults in a row the state machine absorbs on this function before the saga's course changes.

    A compensation retries on any error and a non-retriable step on failures of unknown outcome: more failures
    in a row than their MaxAttempts would end a saga COMPENSATION_FAILED, which is beyond this rule's fault model
    (faults that pass); a step whose outcome stays unknown is drawn by ``arm_provider_fault`` instead. None: any
    number is fine (the retriable step records its failure, the relay's stream records are given up, the API
    answers 5xx).
    """
    if handler_or_action not in SAGA_ACTIONS or handler_or_action in RETRIABLE:
        return None
    return min(int(retrier["MaxAttempts"]) for retrier in asl()["States"][state_name(handler_or_action)]["Retry"])


def retries_after_unknown_outcome(step: str) -> int:
    """How often the state machine retries ``step`` after a failure of unknown outcome, as the ASL says.

    A provider's lost answer or outage reaches it as StepOutcomeUnknown (the step's handler): a non-retriable
    step's retrier names that error, a retriable step's matches every error.
    """
    return attempts_until_caught(step, STEP_OUTCOME_UNKNOWN) - 1


def provider_fault_counts(step: str) -> st.SearchStrategy[int]:
    """As many faults in a row as the step's retries absorb, or one more: then its last attempt fails too, and
    the saga compensates (or, for a retriable step, records the failure and completes)."""
    retries = retries_after_unknown_outcome(step)
    exhausting = st.just(retries + 1)
    return st.integers(min_value=1, max_value=retries) | exhausting if retries else exhausting


class Recorder:
    """Every invocation while a scenario runs, by entity id, and the outbox event id and stream sequence number of
    every entity relayed (the stream itself may have dropped the record since: it keeps a day)."""

    def __init__(self, aws: ServiceOnEmbeddedAws) -> None:
        self.by_entity: dict[str, list[tuple[str, Invocation]]] = defaultdict(list)
        self.event_ids: dict[str, str] = {}
        self.sequence_numbers: dict[str, int] = {}
        invoke = aws.lambdas.invoke

        def recording(function_name: str, event: dict[str, Any]) -> Invocation:
            for record in event.get("Records", []):
                image = record.get("dynamodb", {}).get("NewImage", {})
                if "entity_id" in image and "event_id" in image:
                    self.event_ids[image["entity_id"]["S"]] = image["event_id"]["S"]
                    self.sequence_numbers[image["entity_id"]["S"]] = int(record["dynamodb"]["SequenceNumber"])
            outcome = invoke(function_name, event)
            if "entity_id" in event:
                self.by_entity[event["entity_id"]].append((function_name, outcome))
            return outcome

        self._patch = patch.object(aws.lambdas, "invoke", recording)
        self._patch.start()

    def stop(self) -> None:
        self._patch.stop()


class KeyUse:
    """What the client knows about one Idempotency-Key: its body and the first 201 it got (None: no answer yet)."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.answer: ApiResponse | None = None

    @property
    def entity_id(self) -> str | None:
        return None if self.answer is None else str(self.answer.body["id"])


class FlowScenario(RuleBasedStateMachine):
    aws: ClassVar[ServiceOnEmbeddedAws]
    client: ClassVar[Client]
    # The entities earlier scenarios accepted: the provider is shared for the session, and so is its ledger.
    accepted_earlier: ClassVar[set[str]] = set()

    def __init__(self) -> None:
        super().__init__()
        self.keys: dict[str, KeyUse] = {}
        self.fault_targets = {
            self.aws.function_name(handler_or_action): handler_or_action for handler_or_action in FAULT_TARGETS
        }
        self.counts_before = item_counts()
        self.fired_before = len(self.aws.faults.fired)
        self.provider_fired_before = len(self.aws.provider.fired)
        self.provider_entities_before = self.aws.provider.entities()
        self.given_up_before = [len(poller.log.sent_to_on_failure) for poller in self.aws.pollers]
        self.recorder = Recorder(self.aws)

    # -- requests ----------------------------------------------------------------------------------------------

    def send(self, body: dict[str, Any], key: str) -> tuple[ApiResponse, list[FaultKind]]:
        """The answer, and the faults that fired on the create function while it was computed."""
        fired = len(self.aws.faults.fired)
        response = self.client.post(body, key)
        return response, self.create_faults_since(fired)

    def create_faults_since(self, fired: int) -> list[FaultKind]:
        return [
            fault.kind
            for function_name, fault in self.aws.faults.fired[fired:]
            if self.fault_targets.get(function_name) == CREATE_HANDLER
        ]

    def expect_answer(self, use: KeyUse, response: ApiResponse, create_faults: list[FaultKind]) -> None:
        """A 201 naming the key's one entity with the key's first answer; or the failure of a fault that fired."""
        if create_faults:
            event(f"request: {response.status_code} after a create fault")
            assert response.status_code == FAILED_CREATE_STATUS[create_faults[-1]], response
            return
        assert response.status_code == 201, response
        if use.answer is None:
            use.answer = response
        assert (response.status_code, response.body) == (use.answer.status_code, use.answer.body)

    @initialize(body=bodies)
    def first_request(self, body: dict[str, Any]) -> None:
        self.new_request(body)

    @rule(body=bodies)
    def new_request(self, body: dict[str, Any]) -> None:
        event("action: new request")
        key = new_key()
        self.keys[key] = use = KeyUse(body)
        response, create_faults = self.send(body, key)
        self.expect_answer(use, response, create_faults)
        if not create_faults:
            assert response.body["status"] == "PENDING"

    @rule(data=st.data())
    def replay(self, data: st.DataObject) -> None:
        event("action: replay")
        key = self.draw_key(data)
        use = self.keys[key]
        response, create_faults = self.send(use.body, key)
        self.expect_answer(use, response, create_faults)

    def draw_key(self, data: st.DataObject) -> str:
        # Drawn by position: the keys themselves are random, but how many there are follows from the steps.
        return data.draw(st.sampled_from(list(self.keys)), label="key")

    @rule(data=st.data())
    def same_key_other_body(self, data: st.DataObject) -> None:
        key = self.draw_key(data)
        use = self.keys[key]
        if use.answer is None:
            event("action: same key, other body (skipped: the key has no answer yet, its entity may not exist)")
            return
        event("action: same key, other body")
        self.aws.pump_streams()  # deliver what is pending, so that any record after this is the request's
        counts, entity = item_counts(), self.client.entity(str(use.entity_id))
        response, create_faults = self.send(other_body(use.body), key)
        if create_faults:
            event(f"request: {response.status_code} after a create fault")
            return
        assert (response.status_code, response.body["error"]) == (422, "idempotency_key_reused"), response
        self.assert_wrote_nothing(counts, entity)

    def assert_wrote_nothing(self, counts: dict[str, int], entity: dict[str, Any]) -> None:
        """Invariant 4: no item created or removed, the entity as it was stored, no new stream record.

        The idempotency table may lose an item: Powertools takes an expired record over before it finds the key
        reused, then deletes its own in-progress record; an expired record answers nothing either way.
        """
        after = item_counts()
        idempotency_table = self.aws.lambdas.function(CREATE_HANDLER).environment["IDEMPOTENCY_TABLE_NAME"]
        assert after[idempotency_table] <= counts[idempotency_table]
        assert {name: count for name, count in after.items() if name != idempotency_table} == {
            name: count for name, count in counts.items() if name != idempotency_table
        }
        stored = self.client.entity(entity["id"])
        written_on_creation = ["id", "created_at", *VALID_BODY]
        assert [stored[name] for name in written_on_creation] == [entity[name] for name in written_on_creation]
        assert self.aws.pump_streams() == 0

    @rule(body=bodies, copies=st.integers(min_value=2, max_value=4))
    def concurrent_duplicates(self, body: dict[str, Any], copies: int) -> None:
        event("action: concurrent duplicates")
        key = new_key()
        self.keys[key] = use = KeyUse(body)
        fired = len(self.aws.faults.fired)
        together = threading.Barrier(copies)

        def send() -> ApiResponse:
            together.wait()
            return self.client.post(body, key)

        with ThreadPoolExecutor(max_workers=copies) as pool:
            responses = list(pool.map(lambda _: send(), range(copies)))
        statuses = Counter(response.status_code for response in responses)
        event(f"concurrent duplicates: {', '.join(f'{n}x{status}' for status, n in sorted(statuses.items()))}")
        create_faults = self.create_faults_since(fired)
        failed = {FAILED_CREATE_STATUS[kind] for kind in create_faults}
        assert set(statuses) <= {201, 409} | failed, responses
        assert statuses[201] >= 1 or create_faults, responses
        for response in responses:
            if response.status_code == 201:
                self.expect_answer(use, response, [])
            elif response.status_code == 409:
                assert response.body["error"] == "request_in_progress"

    # -- faults and at-least-once deliveries -----------------------------------------------------------------

    @rule(
        handler_or_action=st.sampled_from(FAULT_TARGETS),
        kind=st.sampled_from(list(FaultKind)),
        count=st.integers(min_value=1, max_value=4),
    )
    def arm_fault(self, handler_or_action: str, kind: FaultKind, count: int) -> None:
        self.arm(handler_or_action, kind, count)

    @rule(kind=st.sampled_from([FaultKind.CRASH_BEFORE, FaultKind.CRASH_AFTER]), count=st.integers(1, 4))
    def relay_crash(self, kind: FaultKind, count: int) -> None:
        self.arm(RELAY, kind, count)

    def arm(self, handler_or_action: str, kind: FaultKind, count: int) -> None:
        limit = faults_absorbed(handler_or_action)
        if limit is not None:
            pending = len(self.aws.faults.armed().get(self.aws.function_name(handler_or_action), []))
            count = min(count, limit - pending)
        if count <= 0:
            event("action: fault not armed (more would not pass)")
            return
        event("action: arm fault")
        self.aws.arm_fault(handler_or_action, kind, count, error_name="Refused")

    @rule(
        step=st.sampled_from([step.name for step in SAGA_STEPS]),
        fault=st.sampled_from(list(ProviderFault)),
        data=st.data(),
    )
    def arm_provider_fault(self, step: str, fault: ProviderFault, data: st.DataObject) -> None:
        # Any step, compensatable or not: the provider fails its next calls for whichever entity comes first,
        # so faults armed together may also be shared out between sagas, each absorbing its part.
        count = data.draw(provider_fault_counts(step), label="count")
        pending = len(self.aws.provider.armed().get(step, []))
        exhausts = pending + count > retries_after_unknown_outcome(step)
        event(f"action: arm provider fault ({'more than' if exhausts else 'within'} the step's retries)")
        self.aws.provider.arm(step, fault, count)

    @rule()
    def redeliver_streams(self) -> None:
        event("action: redeliver streams")
        self.aws.redeliver_streams()

    @rule(data=st.data())
    def duplicate_execution(self, data: st.DataObject) -> None:
        entity_id = self.keys[self.draw_key(data)].entity_id
        # Start what is pending first, so that the duplicate may run alongside its original.
        self.aws.pump_streams()
        event_id = self.recorder.event_ids.get(str(entity_id))
        if event_id is None or not self.aws.execution_counts()[event_id]:
            event("action: duplicate execution (none yet: its event was not relayed, or the relay failed first)")
            return
        event("action: duplicate execution")
        answer = self.aws.start_duplicate_execution(event_id)
        if SETTINGS.workflow_type == "EXPRESS":
            assert answer == "started"

    @rule(data=st.data())
    def replay_after_the_idempotency_ttl(self, data: st.DataObject) -> None:
        event("action: time past the idempotency TTL, then a replay")
        key = self.draw_key(data)
        use = self.keys[key]
        # A day goes by: the stream mapping delivers what is pending long before, and the sagas run.
        self.aws.settle()
        self.aws.clock.advance(IDEMPOTENCY_TTL_SECONDS + 1)
        entity_table = self.aws.stack.outputs["EntityTableName"]
        entities, answered = item_counts()[entity_table], use.answer is not None
        response, create_faults = self.send(use.body, key)
        self.expect_answer(use, response, create_faults)
        # A key that was answered has its entity: no second one. One that never was may get its first now.
        assert item_counts()[entity_table] - entities <= (0 if answered else 1)

    @rule()
    def settle(self) -> None:
        event("action: settle")
        self.aws.settle()

    # -- the invariants, once the system is quiet ------------------------------------------------------------

    def teardown(self) -> None:
        try:
            self.quiesce()
            self.check_the_invariants()
        finally:
            self.recorder.stop()
            self.forget_given_up_deliveries()
            # Also when a check failed: no fault armed here may fire in the next scenario (Hypothesis shrinks).
            self.aws.faults.clear()
            self.aws.provider.clear()
            # The next scenario starts a day later, so its stream re-reads no longer reach this one's records.
            self.aws.clock.advance(STREAM_RETENTION_SECONDS)

    def quiesce(self) -> None:
        """Everything delivered and finished (faults still armed fire on it), then no fault left; a client without
        an answer retries until it gets one."""
        if self.aws.faults.armed() or self.aws.provider.armed():
            # Traffic goes on: one more request brings work for the faults still armed.
            event("teardown: one more request meets the armed faults")
            self.new_request(VALID_BODY)
        self.aws.settle()
        self.aws.faults.clear()
        self.aws.provider.clear()
        self.aws.settle()
        for key, use in self.keys.items():
            if use.answer is None:
                event("client retried after 5xx")
                response, _ = self.send(use.body, key)
                self.expect_answer(use, response, [])
        self.aws.settle()
        for function_name, fault in self.aws.faults.fired[self.fired_before :]:
            event(f"fault fired: {self.fault_targets.get(function_name, function_name)}/{fault.kind.value}")
        for step, provider_fault in self.aws.provider.fired[self.provider_fired_before :]:
            event(f"provider: {step}/{provider_fault.value}")

    def check_the_invariants(self) -> None:
        entity_ids = {str(use.entity_id) for use in self.keys.values()}
        assert len(entity_ids) == len(self.keys)
        events = self.assert_one_entity_and_one_outbox_event_per_key(entity_ids)
        entities = {entity_id: self.client.entity(entity_id) for entity_id in entity_ids}
        assert_every_saga_ended(self.aws, entities, self.recorder.sequence_numbers)
        for entity_id, entity in entities.items():
            event(f"saga: {entity['status']}")
            self.assert_each_action_took_effect_once(entity_id, entity)
            assert_compensated_exactly_as_failed(entity)
            effects = self.aws.provider.effects(entity_id)
            assert_the_provider_applied_what_was_started(entity, effects)
            if entity["status"] == "COMPLETED":
                assert_completed_at_the_provider(entity, effects)
            elif entity["status"] == "FAILED":
                assert_failed_at_the_provider(entity, effects)
        self.assert_executions_per_entity(events)
        self.assert_no_provider_call_for_an_entity_never_accepted(entity_ids)
        self.accepted_earlier.update(entity_ids)

    def assert_one_entity_and_one_outbox_event_per_key(self, entity_ids: set[str]) -> dict[str, str]:
        """Invariant 1: as many new entities and outbox rows as keys, and each entity's row is the one its stream
        record carried to the relay; its event id by entity."""
        counts = item_counts()
        for output in ("EntityTableName", "OutboxTableName"):
            table = self.aws.stack.outputs[output]
            assert counts[table] - self.counts_before[table] == len(entity_ids), output
        events = {entity_id: self.recorder.event_ids.get(entity_id) for entity_id in entity_ids}
        for entity_id, event_id in events.items():
            assert event_id is not None, ("no outbox record of it reached the relay", entity_id)
            assert outbox_row_entity(self.aws, event_id) == entity_id, event_id
        return {entity_id: str(event_id) for entity_id, event_id in events.items()}

    def assert_each_action_took_effect_once(self, entity_id: str, entity: dict[str, Any]) -> None:
        """Invariant 3, first half: at most one invocation per action recorded its effect, and only on the entity."""
        recorded = Counter(
            self.fault_targets[function_name]
            for function_name, outcome in self.recorder.by_entity[entity_id]
            if not outcome.failed and outcome.payload["outcome"] == "recorded"
        )
        assert all(times == 1 for times in recorded.values()), recorded
        assert set(recorded) <= set(entity["steps"]) | set(entity["compensations"])

    def assert_executions_per_entity(self, events: dict[str, str]) -> None:
        """Invariant 5: STANDARD starts one execution per outbox event, however often it is asked to."""
        runs = self.aws.execution_counts()
        for entity_id, event_id in events.items():
            if runs[event_id] > 1:
                event("saga ran more than once")
            if SETTINGS.workflow_type == "STANDARD":
                assert runs[event_id] <= 1, entity_id

    def assert_no_provider_call_for_an_entity_never_accepted(self, entity_ids: set[str]) -> None:
        """Invariant 8: every entity id the provider first saw during this scenario was accepted (a 201 and an
        entity item, invariant 1), in this scenario or an earlier one; so no effect applied for any other id.

        Certain: a step calls the provider only after recording that it started, a write that requires the
        entity item, and a compensation reads the item first; so a call of any kind, not only an applied effect,
        names an accepted entity. The ledger outlives scenarios, hence the snapshot taken when this one began.
        """
        seen_now = self.aws.provider.entities() - self.provider_entities_before
        if seen_now & self.accepted_earlier:
            event("provider: called for an entity of an earlier scenario")
        assert seen_now <= entity_ids | self.accepted_earlier, seen_now - entity_ids - self.accepted_earlier

    def forget_given_up_deliveries(self) -> None:
        """Take this scenario's given-up batches off the shared on-failure queue, so that later tests find theirs.

        (Once a redrive command exists it consumes them instead, and the saga check requires every entity final.)
        """
        ours = {
            message["requestContext"]["requestId"]
            for poller, before in zip(self.aws.pollers, self.given_up_before, strict=True)
            for message in poller.log.sent_to_on_failure[before:]
        }
        if ours and RELAY_FAILURES_QUEUE in self.aws.stack.outputs:
            delete_queued(self.aws.stack.outputs[RELAY_FAILURES_QUEUE], ours)


def outbox_row_entity(aws: ServiceOnEmbeddedAws, event_id: str) -> str | None:
    """The entity id on the outbox row of this event, None when there is no such row."""
    item = boto3.client("dynamodb").get_item(
        TableName=aws.stack.outputs["OutboxTableName"], Key={"event_id": {"S": event_id}}, ConsistentRead=True
    )
    return item["Item"]["entity_id"]["S"] if "Item" in item else None


def assert_every_saga_ended(
    aws: ServiceOnEmbeddedAws, entities: dict[str, dict[str, Any]], sequence_numbers: dict[str, int]
) -> None:
    """Invariant 2: every accepted entity's saga ended, unless the stream delivery of its event was given up.

    A given-up delivery (its record inside a batch a stream poller sent to the on-failure destination) is
    what a redrive restarts; when the teardown runs the redrive, drop that exception and require final.
    """
    unfinished = {entity_id for entity_id, entity in entities.items() if entity["status"] not in FINAL_STATUSES}
    if not unfinished:
        return
    given_up = [
        (int(batch["startSequenceNumber"]), int(batch["endSequenceNumber"]))
        for poller in aws.pollers
        for message in poller.log.sent_to_on_failure
        for batch in [message["DDBStreamBatchInfo"]]
    ]
    for entity_id in unfinished:
        event("saga never started: its delivery was given up")
        number = sequence_numbers.get(entity_id)
        assert number is not None, ("never relayed", entity_id, entities[entity_id])
        assert any(start <= number <= end for start, end in given_up), (entity_id, entities[entity_id])
        # Given up before any execution started: nothing happened to it.
        assert (entities[entity_id]["status"], entities[entity_id]["steps"]) == ("PENDING", {}), entity_id
        assert entities[entity_id]["compensations"] == {}, entity_id


def possible_failing_steps(entity: dict[str, Any]) -> list[SagaStep]:
    """The steps a FAILED saga can have failed at: the execution that failed there had taken every earlier step.

    Later steps may have taken effect too: a duplicate EXPRESS execution can be ahead of the execution that
    fails, or get the failing step itself through just before that execution claims the saga for failing.
    """
    recorded = set(entity["steps"])
    return [
        step
        for index, step in enumerate(SAGA_STEPS)
        if step.name not in RETRIABLE and {earlier.name for earlier in SAGA_STEPS[:index]} <= recorded
    ]


def compensations_after_failing_at(failed: SagaStep, entity: dict[str, Any]) -> list[str]:
    """Latest first: the compensatable steps up to the failing one, and up to the latest step any execution started.

    Started, not only recorded: the claim for failing compensates from the latest step started, since a step
    whose answer was lost (retries exhausted, or still retrying in a duplicate) may have taken effect.
    """
    started = [index for index, step in enumerate(SAGA_STEPS) if step.name in entity["started"]]
    last = max([SAGA_STEPS.index(failed), *started])
    return [str(step.compensation) for step in reversed(SAGA_STEPS[: last + 1]) if step.compensation]


def assert_compensated_exactly_as_failed(entity: dict[str, Any]) -> None:
    """Invariant 3, second half: compensations ran for the compensatable steps up to the failing one (and every
    later one started), the steps started undone latest first, and only when the saga failed.

    The failing step itself is compensated whether or not its result was recorded: after a lost answer it is
    started but not recorded. Latest first holds for every step started: all of them started before the first
    claim for failing, so every claiming execution finds them and undoes them before any earlier one. The
    compensation of a failing step that never started (it failed before its handler ran) can come after
    earlier ones: when two duplicate executions fail at different steps at once, the one failing earlier cannot
    know that the other will fail later, and compensates first.
    """
    if entity["status"] != "FAILED":
        assert entity["compensations"] == {}, entity
        if entity["status"] == "COMPLETED":
            for step in SAGA_STEPS:
                assert step.name in entity["steps"] or step.name in entity["failures"], (step, entity)
        return
    assert entity["failure_reason"], entity
    compensations_by_failing_step = {
        failed.name: compensations_after_failing_at(failed, entity) for failed in possible_failing_steps(entity)
    }
    matching = [
        expected for expected in compensations_by_failing_step.values() if set(entity["compensations"]) == set(expected)
    ]
    assert matching, (compensations_by_failing_step, entity)
    undone_steps = [compensation for compensation in matching[0] if COMPENSATED_STEP[compensation] in entity["started"]]
    times = [entity["compensations"][compensation]["at"] for compensation in undone_steps]
    assert times == sorted(times), entity


def assert_the_provider_applied_what_was_started(entity: dict[str, Any], effects: dict[str, Effect]) -> None:
    """Invariant 6, first half, for every entity whatever its status: the provider applied nothing for a step the
    entity does not record as started (a step records that it started before it calls the provider), and each
    step result recorded is the provider's answer for the step's key.

    Applied too, for a step without compensation: nothing ever undoes it. A compensatable step's recorded result
    may stand for no effect: an undo is final, and a slow duplicate's perform after it gets an answer but applies
    nothing (invariant 7 checks that no such effect stands).
    """
    assert set(entity["steps"]) <= set(entity["started"]), entity
    for step in entity["steps"]:
        assert step in effects, (step, effects, entity)
        assert effects[step].applied or step in COMPENSATABLE_STEPS, (step, effects, entity)
    applied = {step for step, effect in effects.items() if effect.applied}
    assert applied <= set(entity["started"]), (applied, entity)


def assert_completed_at_the_provider(entity: dict[str, Any], effects: dict[str, Effect]) -> None:
    """Invariant 6, second half: a COMPLETED saga's effects are exactly once and standing at the provider.

    The ledger has one entry per idempotency key, so a step's effect is there once however often it was
    performed (retries after lost answers); once and standing is: that entry, applied, not undone. Nothing
    is undone at all: no compensation runs before a claim for failing, and after one no execution completes.
    A retriable step that recorded its failure may have its effect (its last answer was lost) or none.
    """
    for step in SAGA_STEPS:
        effect = effects.get(step.name)
        if step.name in entity["steps"]:
            assert effect is not None and effect.standing, (step.name, effect, entity)
        else:
            assert step.name in RETRIABLE and step.name in entity["failures"], (step.name, entity)
            event(f"provider: a failed retriable step left {'its effect' if effect else 'no effect'}")
    assert all(effect.standing for effect in effects.values()), (effects, entity)


def assert_failed_at_the_provider(entity: dict[str, Any], effects: dict[str, Effect]) -> None:
    """Invariant 7: a FAILED saga left no standing effect of a compensatable step, none of a retriable step, and
    (STANDARD) none of any step after the failing one.

    What is certain, and why. Every compensatable step: it was compensated by its idempotency key if it
    started (invariant 3), and an undo is final at the provider (an attempt still in flight applies nothing);
    one that never started has no effect (invariant 6). Every retriable step: none started, since a claim for
    failing is refused once another execution started the first step after the pivot, and no step starts once
    the saga is claimed. A plain step (no compensation, before the pivot) cannot be undone, so its effect
    stands when it took one: a step before the failing one (its result recorded), or the failing step itself
    when its answer was lost; which step failed is not on the entity (``failure_reason`` is the error's name),
    but it is the latest started step or the one after it. With STANDARD one execution runs the saga, so the
    steps started are the first ones in order, each with its result recorded but the latest (the failing
    step, or the last before it when it failed before starting): no step after the failing one started, and
    none has an effect (invariant 6). With EXPRESS a duplicate execution may have been ahead of the one that
    failed and have started later plain steps before the claim: their effects stand, and which step failed
    cannot be told, so only the claims above are certain.
    """
    event(f"saga: FAILED ({entity['failure_reason']})")
    standing = {step for step, effect in effects.items() if effect.standing}
    assert not standing & COMPENSATABLE_STEPS, (effects, entity)
    assert not set(entity["started"]) & RETRIABLE, entity
    if standing:
        event("provider: a plain step's effect stands on a FAILED entity")
    if SETTINGS.workflow_type != "STANDARD":
        return
    started = [step.name for step in SAGA_STEPS if step.name in entity["started"]]
    assert started == [step.name for step in SAGA_STEPS[: len(started)]], entity
    assert set(started[:-1]) <= set(entity["steps"]), entity


def delete_queued(queue_url: str, request_ids: set[str]) -> None:
    """Delete the queued on-failure messages with these request ids; the others become visible again at once."""
    sqs = boto3.client("sqs")
    others = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=60).get(
        "Messages", []
    ):
        for message in messages:
            if json.loads(message["Body"])["requestContext"]["requestId"] in request_ids:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            else:
                others.append(message["ReceiptHandle"])
    for receipt_handle in others:
        sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=receipt_handle, VisibilityTimeout=0)


@pytest.fixture
def scenarios_on_the_shared_aws(aws: ServiceOnEmbeddedAws, client: Client) -> None:
    FlowScenario.aws, FlowScenario.client = aws, client


FlowScenario.TestCase.settings = settings(
    max_examples=SCENARIOS_BY_PROFILE[HYPOTHESIS_PROFILE],
    stateful_step_count=STEPS_PER_SCENARIO,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# Given the shared embedded AWS, settled, and scenarios drawn from every action a client, the network and the
# platform can take; when each scenario has run and the system has quiesced; then invariants 1-5 hold for that
# scenario's entities (FlowScenario.teardown checks them).
TestTheInvariantsHoldWhateverHappens = pytest.mark.usefixtures("scenarios_on_the_shared_aws")(FlowScenario.TestCase)


@pytest.mark.skipif(SETTINGS.workflow_type != "EXPRESS", reason="STANDARD runs one execution per event")
@pytest.mark.skipif(not COMPENSATABLE, reason="no compensatable step: nothing is ever compensated")
def test_a_duplicate_that_completes_while_the_original_compensates_leaves_no_compensated_completed_entity(
    aws: ServiceOnEmbeddedAws, client: Client
) -> None:
    """The interleaving the invariants above reach only by chance, forced (it left a COMPLETED entity with its
    compensations applied before failing claimed the saga: infra/saga_asl.py `_claim_failure`)."""
    # Given a saga whose last compensatable step will refuse once, and whose compensation is held at its start
    failing = COMPENSATABLE[-1]
    assert failing.compensation is not None
    aws.arm_fault(failing.name, "business_error", error_name="Refused")
    compensation = aws.function_name(failing.compensation)
    holding, release = threading.Event(), threading.Event()
    held: list[str] = []
    invoke = aws.lambdas.invoke

    def holding_the_compensation(function_name: str, event: dict[str, Any]) -> Invocation:
        if function_name == compensation and not release.is_set():
            held.append(function_name)
            holding.set()
            release.wait(30)
        return invoke(function_name, event)

    def duplicate_held_or_ended(entity_id: str) -> bool:
        # The original is held, so an execution of the event that is no longer running is the duplicate.
        return len(held) > 1 or any(execution["status"] != "RUNNING" for execution in executions_of(aws, entity_id))

    with patch.object(aws.lambdas, "invoke", holding_the_compensation):
        entity_id = client.create()
        aws.pump_streams()
        assert holding.wait(30)
        # When a duplicate execution runs meanwhile (the refused step succeeds for it) as far as it can
        assert aws.start_duplicate_execution(event_id_of(aws, entity_id)) == "started"
        deadline = time.monotonic() + 30
        while not duplicate_held_or_ended(entity_id) and time.monotonic() < deadline:
            time.sleep(0.05)
        # And then the original goes on compensating
        release.set()
        aws.settle()
    # Then the entity is consistent: completed and not compensated, or failed and compensated
    entity = client.entity(entity_id)
    assert entity["status"] in FINAL_STATUSES
    assert_compensated_exactly_as_failed(entity)


@pytest.mark.skipif(SETTINGS.workflow_type != "EXPRESS", reason="STANDARD runs one execution per event")
@pytest.mark.skipif(len(COMPENSATABLE) < 2, reason="needs a compensatable step after another one")
def test_a_duplicate_that_fails_behind_the_original_also_compensates_the_steps_the_original_took(
    aws: ServiceOnEmbeddedAws, client: Client
) -> None:
    """Found by the soak: the duplicate compensated only up to where it failed, so the original's later step (a
    payment) stayed in effect on a FAILED entity."""
    # Given an execution held just after the last compensatable step took effect
    last = COMPENSATABLE[-1]
    holding, release = threading.Event(), threading.Event()
    invoke = aws.lambdas.invoke

    def holding_after_the_last_compensatable_step(function_name: str, event: dict[str, Any]) -> Invocation:
        outcome = invoke(function_name, event)
        if function_name == aws.function_name(last.name) and not release.is_set():
            holding.set()
            release.wait(30)
        return outcome

    with patch.object(aws.lambdas, "invoke", holding_after_the_last_compensatable_step):
        entity_id = client.create()
        aws.pump_streams()
        assert holding.wait(30)
        # When a duplicate execution fails at the first step: its function keeps crashing until the retries run out
        first = SAGA_STEPS[0].name
        aws.arm_fault(first, "crash_before", count=attempts_until_caught(first, "Runtime.ExitError"))
        assert aws.start_duplicate_execution(event_id_of(aws, entity_id)) == "started"
        deadline = time.monotonic() + 30
        while client.entity(entity_id)["status"] not in FINAL_STATUSES and time.monotonic() < deadline:
            time.sleep(0.05)
        release.set()
        aws.settle()
    # Then the entity failed and every step taken, the original's included, was compensated
    entity = client.entity(entity_id)
    assert entity["status"] == "FAILED"
    assert set(entity["compensations"]) == {str(step.compensation) for step in COMPENSATABLE}
    assert_compensated_exactly_as_failed(entity)


@pytest.mark.skipif(SETTINGS.workflow_type != "EXPRESS", reason="STANDARD runs one execution per event")
@pytest.mark.skipif(not RETRIABLE, reason="no retriable step: no execution gets past a pivot while the saga is open")
def test_an_execution_failing_at_the_pivot_after_a_duplicate_passed_it_leaves_the_saga_to_complete(
    aws: ServiceOnEmbeddedAws, client: Client
) -> None:
    """Found by invariant 7: the original exhausted its retries at the pivot while a duplicate got the provider's
    answer there and notified the customer; the original's claim compensated the order, so FAILED with the
    notification sent (infra/saga_asl.py `_claim_failure` now refuses a claim once a step after the pivot
    started)."""
    pivot = COMPENSATABLE[-1].name
    after_pivot = next(step.name for step in SAGA_STEPS if step.name in RETRIABLE)
    attempts = attempts_until_caught(pivot, STEP_OUTCOME_UNKNOWN)
    last_attempt_started, duplicate_past_pivot, release = threading.Event(), threading.Event(), threading.Event()
    pivot_calls: list[str] = []
    perform, invoke = aws.provider.perform, aws.lambdas.invoke

    def losing_the_last_answer_slowly(idempotency_key: str, request: dict[str, Any]) -> dict[str, Any]:
        if not idempotency_key.endswith(f"/{pivot}"):
            return perform(idempotency_key, request)
        pivot_calls.append(idempotency_key)
        if len(pivot_calls) != attempts:
            return perform(idempotency_key, request)
        last_attempt_started.set()
        try:
            return perform(idempotency_key, request)
        finally:
            # The answer is lost only after a long wait, long enough for the duplicate to get past the pivot.
            duplicate_past_pivot.wait(30)

    def holding_the_duplicate_past_the_pivot(function_name: str, event: dict[str, Any]) -> Invocation:
        outcome = invoke(function_name, event)
        if function_name == aws.function_name(after_pivot) and not release.is_set():
            duplicate_past_pivot.set()
            release.wait(30)
        return outcome

    def original_ended(entity_id: str) -> bool:
        # The duplicate is held, so an execution of the event that is no longer running is the original.
        return any(execution["status"] != "RUNNING" for execution in executions_of(aws, entity_id))

    # Given a provider that loses the answer of every attempt the original makes at the pivot (applied each time)
    aws.provider.arm(pivot, ProviderFault.LOST_ANSWER, attempts)
    with (
        patch.object(aws.provider, "perform", losing_the_last_answer_slowly),
        patch.object(aws.lambdas, "invoke", holding_the_duplicate_past_the_pivot),
    ):
        entity_id = client.create()
        aws.pump_streams()
        assert last_attempt_started.wait(30)
        # When a duplicate execution gets the pivot's answer and starts the step after it, then the original's last
        # attempt fails and its retries are exhausted
        assert aws.start_duplicate_execution(event_id_of(aws, entity_id)) == "started"
        assert duplicate_past_pivot.wait(30)
        deadline = time.monotonic() + 30
        while not original_ended(entity_id) and time.monotonic() < deadline:
            time.sleep(0.05)
        release.set()
        aws.settle()
    # Then the saga completed, nothing compensated, and every step's effect stands once at the provider
    entity = client.entity(entity_id)
    assert entity["status"] == "COMPLETED", entity
    assert entity["compensations"] == {}, entity
    effects = aws.provider.effects(entity_id)
    assert_completed_at_the_provider(entity, effects)
    assert effects[pivot].performed == attempts + 1, effects[pivot]
