"""``python -m local.demo`` (``make local``): a scripted tour of the whole flow on the embedded AWS.

Every request goes through the deployed API's routing to the real handlers; the outbox stream is
polled with the deployed mapping's settings; the real ASL runs. For each request the tour prints a
timeline: request and response, the outbox event, the execution the relay started, each state the
saga ran (steps, compensations, status writes) and the final status. Where the external provider is
made to lose a step's answer, it prints what the provider's ledger holds too: what the outside world
saw, whatever the entity says.

It is a smoke run too: whatever the service does that it should not (a saga not ending as the
scenario expects, a replay answering differently or creating anything, compensations other than the
expected ones in reverse order) is reported as UNEXPECTED, and the tour then exits 1 naming all of it.
``--assembly DIR`` tours an already synthesized cloud assembly (``cdk.out`` after ``make synth``)
instead of synthesizing the app again.
"""

import time

STARTED = time.perf_counter()  # before the heavy imports: the tour reports the time to its first result

import argparse  # noqa: E402
import json  # noqa: E402
import logging  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from embedded_aws.engine.deploy import SynthFailed, synthesize  # noqa: E402
from embedded_aws.server import quiet_logs, use_offline_environment  # noqa: E402

from infra.saga_asl import STEP_OUTCOME_UNKNOWN  # noqa: E402
from infra.saga_model import SagaStep, pascal  # noqa: E402
from infra.saga_steps import SAGA_STEPS  # noqa: E402
from infra.settings import SETTINGS  # noqa: E402
from local.provider import Effect, ProviderFault  # noqa: E402

# A valid POST body; keep it in step with the request model in src/<package>/models.py.
SAMPLE_BODY: dict[str, Any] = {"customer_id": "c-1", "items": [{"sku": "sku-1", "quantity": 2}]}
OTHER_BODY: dict[str, Any] = {"customer_id": "c-2", "items": [{"sku": "sku-9", "quantity": 1}]}
COLLECTION = SETTINGS.route
ENTITY = SETTINGS.domain
INDENT = " " * 5
WIDTH = 24


def out(text: str = "") -> None:
    print(text, flush=True)


def state_kind(state: str) -> str:
    """The timeline's label for a state that runs no action: a status write, a failure claim or a failure record."""
    if state.startswith("Mark "):
        return "status"
    if state.startswith("Fail at "):
        return "failure claim"
    return "failure record"


def short(value: Any, entity_id: str, limit: int = 70) -> str:
    """A result on one line, with the entity's id shown as <id>."""
    text = json.dumps(value, sort_keys=True).replace(entity_id, "<id>")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def snake(name: str) -> str:
    """``DispatchClaims`` -> ``dispatch_claims``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class TourStopped(Exception):
    """The service answered something the tour cannot go on from; the message says what to change."""


class TourFailed(Exception):
    """The tour saw the service do what it should not; the message names every such thing."""


def failure_step(steps: tuple[SagaStep, ...]) -> SagaStep:
    """The last compensatable step (its failure compensates the most), or the first step when none is."""
    compensatable = [step for step in steps if step.compensation]
    return compensatable[-1] if compensatable else steps[0]


class Tour:
    def __init__(self, aws: Any, api: Any) -> None:
        self.aws = aws
        self.api = api
        self.first_result_at: float | None = None
        self.unexpected: list[str] = []
        self.kinds = {pascal(step.name): "step" for step in SAGA_STEPS} | {
            pascal(step.compensation): "compensation" for step in SAGA_STEPS if step.compensation
        }
        self.tables = {
            physical: snake(re.sub(r"^(Storage|OutboxRelay)?(.*?)Table[0-9A-F]{8}$", r"\2", logical)) or physical
            for logical, physical in aws.stack.physical_ids.items()
            if aws.stack.template["Resources"][logical]["Type"] == "AWS::DynamoDB::Table"
        }

    # -- the scenarios -----------------------------------------------------------------------------------------

    def run(self) -> None:
        created = self.new_entity(1, f"A new {ENTITY}", "demo-key-1")
        self.replay(2, "demo-key-1", created)
        self.other_body(3, "demo-key-1")
        self.business_failure(4, failure_step(SAGA_STEPS), "demo-key-2")
        self.lost_answer(5, failure_step(SAGA_STEPS), "demo-key-3")
        self.answer_never_arrives(6, failure_step(SAGA_STEPS), "demo-key-4")
        # Last, so that the replayed events include those of the sagas that failed or retried
        self.redelivery(7)

    def new_entity(self, number: int, title: str, key: str) -> dict[str, Any]:
        self.heading(number, title)
        response = self.created(self.post(key, SAMPLE_BODY))
        entity = self.follow(response.body["id"])
        self.expect(
            entity.get("status") == "COMPLETED",
            f"the new {ENTITY} ended {self.outcome(entity)}, not COMPLETED",
        )
        return dict(response.body)

    def replay(self, number: int, key: str, first: dict[str, Any]) -> None:
        self.heading(number, "The same request again (a client retry with the same key and body)")
        before = self.counts()
        response = self.post(key, SAMPLE_BODY)
        self.aws.settle()
        same = "the same body as the first answer" if response.body == first else f"another body: {response.body}"
        self.line("answer", f"{response.status_code} with {same}")
        self.expect(
            (response.status_code, response.body) == (201, first),
            f"the replay answered {response.status_code} with {same}, not 201 with the first answer's body",
        )
        self.nothing_new(before, "the replay")

    def other_body(self, number: int, key: str) -> None:
        self.heading(number, "The same key with another body")
        before = self.counts()
        response = self.post(key, OTHER_BODY)
        self.aws.settle()
        self.expect(response.status_code == 422, f"the other body got {response.status_code}, not 422")
        self.nothing_new(before, "the other body")

    def business_failure(self, number: int, step: SagaStep, key: str) -> None:
        error_name = f"{pascal(step.name)}Refused"
        undo = (
            "compensates it and every compensatable step before it, in reverse order"
            if step.compensation
            else f"no compensatable step: the {ENTITY} just ends FAILED"
        )
        self.heading(number, f"A business failure at {step.name} ({undo})")
        self.aws.arm_fault(step.name, "business_error", 1, error_name)
        self.line("fault armed", f"{step.name} raises {error_name} on its next invocation (local only)")
        response = self.created(self.post(key, SAMPLE_BODY))
        entity = self.follow(response.body["id"])
        self.expect(
            (entity.get("status"), entity.get("failure_reason")) == ("FAILED", error_name),
            f"the {ENTITY} refused at {step.name} ended {self.outcome(entity)}, not FAILED ({error_name})",
        )
        self.compensated_in_order(entity, step)

    def lost_answer(self, number: int, step: SagaStep, key: str) -> dict[str, Any] | None:
        """The provider applies ``step`` but its answer is lost, once; the entity as it ended, None when not shown."""
        retries = self.retries_of(step)
        self.heading(number, f"A lost answer at {step.name} (the provider applied it, then its answer timed out, once)")
        if retries < 1:
            self.line(
                "not shown",
                f"the state machine does not retry {step.name} (MaxAttempts 0 in its Retry): a lost answer fails the"
                f" {ENTITY} at once, as in the next scenario",
            )
            return None
        self.aws.provider.arm(step.name, ProviderFault.LOST_ANSWER, 1)
        self.line("fault armed", f"the provider applies {step.name}'s next call, then loses its answer (local only)")
        response = self.created(self.post(key, SAMPLE_BODY))
        with handler_errors_hidden():
            entity = self.follow(response.body["id"])
        effect = self.ledger(entity["id"], step)
        self.faults_spent(step, 1)
        self.expect(
            entity.get("status") == "COMPLETED",
            f"the {ENTITY} whose {step.name} answer was lost once ended {self.outcome(entity)}, not COMPLETED",
        )
        self.expect(
            step.name in entity.get("steps", {}),
            f"the {ENTITY} whose {step.name} answer was lost once recorded no {step.name} result after the retry",
        )
        # Two calls with one key, one effect: the retry reused the key and the provider deduplicated it.
        self.expect(
            effect is not None and effect.standing and effect.performed == 2,
            f"the provider holds {step.name} {describe(effect)}, not applied once (2 calls), standing",
        )
        return entity

    def answer_never_arrives(self, number: int, step: SagaStep, key: str) -> dict[str, Any] | None:
        """The provider applies ``step`` on every attempt the ASL allows and loses every answer; None when not shown."""
        attempts = self.retries_of(step) + 1
        then = ": compensated as possibly done" if step.compensation else ""
        self.heading(number, f"A lost answer at {step.name} on every attempt ({attempts}, as its Retry allows{then})")
        if not step.compensation:
            self.line(
                "not shown",
                f"no step has a compensation: the {ENTITY} would end FAILED with {step.name}'s effect still standing"
                " at the provider (declare a compensation in infra/saga_steps.py to take it back)",
            )
            return None
        self.aws.provider.arm(step.name, ProviderFault.LOST_ANSWER, attempts)
        self.line(
            "fault armed",
            f"the provider applies {step.name}'s next {counted(attempts, 'call')}, then loses each answer (local only)",
        )
        response = self.created(self.post(key, SAMPLE_BODY))
        with handler_errors_hidden():
            entity = self.follow(response.body["id"])
        recorded = step.name in entity.get("steps", {})
        self.line(
            "recorded",
            f"a {step.name} result" if recorded else f"no {step.name} result on the {ENTITY} (no answer ever arrived)",
        )
        self.compensated_in_order(entity, step)
        effect = self.ledger(entity["id"], step)
        self.faults_spent(step, attempts)
        self.expect(
            (entity.get("status"), entity.get("failure_reason")) == ("FAILED", STEP_OUTCOME_UNKNOWN),
            f"the {ENTITY} whose {step.name} answer never arrived ended {self.outcome(entity)},"
            f" not FAILED ({STEP_OUTCOME_UNKNOWN})",
        )
        self.expect(not recorded, f"the {ENTITY} recorded a {step.name} result though no answer arrived")
        self.expect(
            effect is not None and effect.applied and effect.performed == attempts,
            f"the provider holds {step.name} {describe(effect)}, not applied once ({counted(attempts, 'call')})",
        )
        # The compensation undid by the step's key though no result told it what to undo. A step declared without
        # a compensation keeps its effect: only the compensatable ones must be back to nothing.
        effects = self.aws.provider.effects(entity["id"])
        standing = [s.name for s in SAGA_STEPS if s.compensation and s.name in effects and effects[s.name].standing]
        self.expect(
            not standing,
            f"the provider still holds {', '.join(standing)} for the {ENTITY} whose {step.name} answer never arrived",
        )
        return entity

    def redelivery(self, number: int) -> None:
        self.heading(number, "The outbox stream delivers every event again (a relay restart)")
        before = self.counts()
        records = self.aws.redeliver_streams()
        self.aws.settle()
        self.line("redelivered", f"{records} outbox record(s) to the relay")
        self.expect(records > 0, "the stream redelivered no outbox record")
        how = (
            "STANDARD dedupes on the execution name"
            if SETTINGS.workflow_type == "STANDARD"
            else "the relay's conditional claim stops a second EXPRESS start"
        )
        self.nothing_new(before, "the redelivery", how)

    def compensated_in_order(self, entity: dict[str, Any], step: SagaStep) -> None:
        """Expect the compensations of ``step`` and every compensatable step before it, latest first."""
        # In the order they ran: each compensation records when it did.
        records = entity.get("compensations", {})
        compensated = sorted(records, key=lambda name: str(records[name].get("at", "")))
        expected = [s.compensation for s in reversed(SAGA_STEPS[: SAGA_STEPS.index(step) + 1]) if s.compensation]
        ran, due = ", ".join(compensated) or "nothing", ", ".join(expected) or "nothing"
        self.line("compensated", f"{ran} (expected: {due})")
        self.expect(compensated == expected, f"the failure at {step.name} compensated {ran}, not {due} (in that order)")

    def ledger(self, entity_id: str, step: SagaStep) -> Effect | None:
        """Print what the provider's ledger holds for the entity's ``step``, and return it."""
        effect: Effect | None = self.aws.provider.effects(entity_id).get(step.name)
        self.line("provider", f"<id>/{step.name} {describe(effect)}")
        return effect

    def faults_spent(self, step: SagaStep, count: int) -> None:
        """Expect the ``count`` provider faults armed at ``step`` all fired; disarm what is left for what follows."""
        left = self.aws.provider.armed()
        self.aws.provider.clear()
        self.expect(
            not left,
            f"{step.name} was attempted fewer than the {count} time(s) its faults were armed for; left armed: {left}",
        )

    def retries_of(self, step: SagaStep) -> int:
        """How often the deployed state machine retries ``step`` after an unknown outcome (its Retry's MaxAttempts)."""
        import boto3

        described = boto3.client("stepfunctions").describe_state_machine(stateMachineArn=self.aws.state_machine_arn)
        # Step Functions applies the first retrier naming the error; none means no retry at all.
        for retrier in json.loads(described["definition"])["States"][pascal(step.name)].get("Retry", []):
            if {STEP_OUTCOME_UNKNOWN, "States.ALL"} & set(retrier["ErrorEquals"]):
                return int(retrier.get("MaxAttempts", 3))  # the ASL default
        return 0

    # -- the verdict -------------------------------------------------------------------------------------------

    def expect(self, held: bool, otherwise: str) -> None:
        """Note ``otherwise`` (what the service did instead) unless ``held``; the tour goes on to the end."""
        if not held:
            self.unexpected.append(otherwise)
            self.line("UNEXPECTED", otherwise)

    def nothing_new(self, before: dict[str, int], scenario: str, how: str = "") -> None:
        """Expect the counts as they were ``before`` the scenario: no item, event or execution was added."""
        after = self.counts()
        change = self.describe_change(before, after)
        self.line("nothing new", f"{change}; {how}" if how else change)
        self.expect(after == before, f"{scenario} created something: {change}")

    def check(self) -> None:
        """Raises TourFailed naming everything unexpected the tour saw, if anything."""
        if self.unexpected:
            listed = "".join(f"\n  - {what}" for what in self.unexpected)
            raise TourFailed(f"The tour saw {len(self.unexpected)} unexpected thing(s):{listed}")

    @staticmethod
    def outcome(entity: dict[str, Any]) -> str:
        """The entity's status, with its failure reason when it has one: ``FAILED (PaymentRefused)``."""
        reason = entity.get("failure_reason")
        return f"{entity.get('status')} ({reason})" if reason else str(entity.get("status"))

    # -- one request's timeline --------------------------------------------------------------------------------

    def post(self, key: str, body: dict[str, Any]) -> Any:
        headers = {"Content-Type": "application/json", "Idempotency-Key": key}
        response = self.api.request("POST", COLLECTION, headers=headers, body=body)
        detail = (
            f"id {response.body['id']}, {response.body['status']}"
            if response.status_code == 201
            else f"{response.body.get('error')}: {response.body.get('message')}"
        )
        self.line(f"POST {COLLECTION}", f"Idempotency-Key: {key} -> {response.status_code}  {detail}")
        if self.first_result_at is None:
            self.first_result_at = time.perf_counter() - STARTED
            self.line("", f"(first result {self.first_result_at:.1f} s after start)")
        return response

    @staticmethod
    def created(response: Any) -> Any:
        if response.status_code != 201:
            raise TourStopped(
                f"POST {COLLECTION} answered {response.status_code}, not 201: if you changed the request model,"
                " change SAMPLE_BODY and OTHER_BODY in local/demo.py to match it"
            )
        return response

    def follow(self, entity_id: str) -> dict[str, Any]:
        """Print the outbox event, then let the flow run and print the saga's states and the final status."""
        for event in self.outbox_events(entity_id):
            self.line("outbox", f"{event['event_type']} {event['event_id']} (written in the same transaction)")
        flow_started = time.perf_counter()
        self.aws.settle()
        flow_ms = (time.perf_counter() - flow_started) * 1000
        response = self.api.request("GET", f"{COLLECTION}/{entity_id}")
        entity: dict[str, Any] = response.body
        executions = [
            e for e in self.aws.executions() if e["name"] in {x["event_id"] for x in self.outbox_events(entity_id)}
        ]
        for execution in executions:
            self.line("relay", f"started execution {execution['name']} ({SETTINGS.workflow_type})")
            self.print_states(execution["executionArn"], entity)
        statuses = ", ".join(execution["status"] for execution in executions) or "none"
        reason = f" ({entity['failure_reason']})" if entity.get("failure_reason") else ""
        self.line(
            "final",
            f"execution {statuses}; GET {COLLECTION}/<id> -> {response.status_code}, "
            f"{ENTITY} {entity.get('status')}{reason}  (stream -> relay -> saga: {flow_ms:.0f} ms)",
        )
        return entity

    def print_states(self, execution_arn: str, entity: dict[str, Any]) -> None:
        try:
            history = self.aws.execution_history(execution_arn)
        except Exception:  # EXPRESS keeps no history on AWS; fall back to what the actions recorded
            history = []
        states = task_outcomes(history)
        if not states:
            for kind, field in (("step", "steps"), ("compensation", "compensations")):
                records = entity.get(field, {})
                for name in sorted(records, key=lambda name: str(records[name].get("at", ""))):
                    self.line(kind, f"{name:{WIDTH}} succeeded  {short(records[name].get('result'), entity['id'])}")
            return
        recorded = {pascal(name): record for name, record in entity.get("steps", {}).items()} | {
            pascal(name): record for name, record in entity.get("compensations", {}).items()
        }
        for state, outcome in states:
            kind = self.kinds.get(state) or state_kind(state)
            result = recorded.get(state, {}).get("result")
            succeeded = outcome.startswith("succeeded")
            detail = f"  {short(result, entity['id'])}" if result is not None and succeeded else ""
            self.line(kind, f"{state:{WIDTH}} {outcome}{detail}")

    # -- inspection --------------------------------------------------------------------------------------------

    def outbox_events(self, entity_id: str) -> list[dict[str, Any]]:
        import boto3

        items = boto3.client("dynamodb").scan(
            TableName=self.aws.stack.outputs["OutboxTableName"],
            FilterExpression="entity_id = :id",
            ExpressionAttributeValues={":id": {"S": entity_id}},
        )["Items"]
        return [{name: next(iter(value.values())) for name, value in item.items()} for item in items]

    def counts(self) -> dict[str, int]:
        state = self.aws.state()
        counts = {self.tables.get(name, name): count for name, count in state["tables"].items()}
        counts["executions"] = sum(state["executions"].values())
        return counts

    @staticmethod
    def describe_change(before: dict[str, int], after: dict[str, int]) -> str:
        changed = [
            f"{name} {before.get(name, 0)} -> {count}" for name, count in after.items() if before.get(name) != count
        ]
        if changed:
            return "CHANGED: " + ", ".join(changed)
        return "still " + ", ".join(f"{name} {count}" for name, count in after.items())

    # -- output ------------------------------------------------------------------------------------------------

    @staticmethod
    def heading(number: int, title: str) -> None:
        out(f"\n{number}. {title}")

    @staticmethod
    def line(label: str, text: str) -> None:
        out(f"{INDENT}{label:14} {text}")


@contextmanager
def handler_errors_hidden() -> Iterator[None]:
    """Hide the handlers' ERROR logs: a step logs every lost answer with its traceback, the timeline names each."""
    logger = logging.getLogger(SETTINGS.service_name)
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


def describe(effect: Effect | None) -> str:
    """A provider's ledger entry in words: ``applied once (2 calls), standing``."""
    if effect is None:
        return "never called"
    calls = counted(effect.performed, "call")
    if not effect.applied:
        return f"not applied ({calls}){', undone for good' if effect.undone else ''}"
    return f"applied once ({calls}), {'undone' if effect.undone else 'standing'}"


def counted(number: int, noun: str) -> str:
    """``1 call``, ``3 calls``."""
    return f"{number} {noun}{'' if number == 1 else 's'}"


def task_outcomes(history: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(state name, outcome) for every Task state of an execution, from its history, in the order they ran."""
    outcomes: list[tuple[str, str]] = []
    current: str | None = None
    failures: list[str] = []
    for event in history:
        kind = event["type"]
        if kind == "TaskStateEntered":
            current, failures = event["stateEnteredEventDetails"]["name"], []
        elif kind == "TaskFailed" and current is not None:
            failures.append(event.get("taskFailedEventDetails", {}).get("error", "error"))
        elif kind == "TaskSucceeded" and current is not None:
            retried = f" after {len(failures)} failed attempt(s): {', '.join(failures)}" if failures else ""
            outcomes.append((current, f"succeeded{retried}"))
            current = None
        elif kind == "TaskStateExited" and current is not None:
            attempts = f" after {len(failures)} attempts" if len(failures) > 1 else ""
            outcomes.append((current, f"failed{attempts}: {failures[-1]}" if failures else "exited"))
            current = None
    return outcomes


def main(argv: list[str] | None = None) -> int:
    """``make local``: 0 when the tour saw everything as expected, 1 (with what went wrong on stderr) otherwise."""
    parser = argparse.ArgumentParser(prog="python -m local.demo", description="A scripted tour of the whole flow.")
    parser.add_argument(
        "--assembly",
        type=Path,
        metavar="DIR",
        help="deploy this cloud assembly (cdk.out after `make synth` of this code) instead of synthesizing the app",
    )
    args = parser.parse_args(argv)
    try:
        return tour(args.assembly)
    except KeyboardInterrupt:
        out("\ninterrupted")
        return 130
    except (SynthFailed, TourStopped, TourFailed) as error:
        print(error, file=sys.stderr)
        return 1


def tour(assembly: Path | None) -> int:
    """Deploy ``assembly`` (None: synthesize the app) into the embedded AWS and tour it; raises TourFailed."""
    if assembly is not None and not (assembly / "manifest.json").is_file():
        raise TourStopped(f"{assembly} is not a cloud assembly (it has no manifest.json): `make synth` writes one")
    use_offline_environment(SETTINGS.aws_region)
    quiet_logs(SETTINGS.service_name)
    from embedded_aws.services.apigateway import LocalApi

    from local.aws import PROJECT_ROOT, ServiceOnEmbeddedAws

    steps = " -> ".join(
        step.name + (f" (undo: {step.compensation})" if step.compensation else "") for step in SAGA_STEPS
    )
    out(f"{SETTINGS.service_name} on the embedded AWS: {SETTINGS.workflow_type} saga {steps}")
    if assembly is None:
        out("Synthesizing the CDK app and deploying its CloudFormation template into moto ...")
    else:
        out(f"Deploying the CloudFormation template of the cloud assembly in {assembly} into moto ...")
    with (
        tempfile.TemporaryDirectory() as outdir,
        ServiceOnEmbeddedAws(assembly.resolve() if assembly else synthesize(PROJECT_ROOT, Path(outdir))) as aws,
    ):
        quiet_logs(SETTINGS.service_name)
        out(f"Ready in {time.perf_counter() - STARTED:.1f} s: {len(aws.lambdas.functions)} functions, real handlers.")
        guide = Tour(aws, LocalApi(aws))
        guide.run()
        state = aws.state()
        out(f"\nThe embedded AWS now holds: {', '.join(f'{name} {count}' for name, count in guide.counts().items())}")
        out(f"{INDENT}executions by status: {state['executions']}")
    guide.check()
    out(f"\nDone in {time.perf_counter() - STARTED:.1f} s. `make serve` runs the same API on localhost for curl.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
