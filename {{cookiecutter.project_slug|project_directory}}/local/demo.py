"""``python -m local.demo`` (``make local``): a scripted tour of the whole flow on the embedded AWS.

Every request goes through the deployed API's routing to the real handlers; the outbox stream is
polled with the deployed mapping's settings; the real ASL runs. For each request the tour prints a
timeline: request and response, the outbox event, the execution the relay started, each state the
saga ran (steps, compensations, status writes) and the final status.
"""

import time

STARTED = time.perf_counter()  # before the heavy imports: the tour reports the time to its first result

import json  # noqa: E402
import re  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

from infra.saga_definition import SagaStep, pascal  # noqa: E402
from infra.saga_steps import SAGA_STEPS  # noqa: E402
from infra.settings import SETTINGS  # noqa: E402
from local.deploy import SynthFailed, synthesize  # noqa: E402
from local.server import quiet_logs, use_offline_environment  # noqa: E402

# A valid POST body; keep it in step with the request model in src/<package>/models.py.
SAMPLE_BODY: dict[str, Any] = {"customer_id": "c-1", "items": [{"sku": "sku-1", "quantity": 2}]}
OTHER_BODY: dict[str, Any] = {"customer_id": "c-2", "items": [{"sku": "sku-9", "quantity": 1}]}
COLLECTION = f"/{SETTINGS.collection}"
ENTITY = SETTINGS.domain
INDENT = " " * 5
WIDTH = 24


def out(text: str = "") -> None:
    print(text, flush=True)


def short(value: Any, entity_id: str, limit: int = 70) -> str:
    """A result on one line, with the entity's id shown as <id>."""
    text = json.dumps(value, sort_keys=True).replace(entity_id, "<id>")
    return text if len(text) <= limit else text[: limit - 3] + "..."


def snake(name: str) -> str:
    """``DispatchClaims`` -> ``dispatch_claims``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


class TourStopped(Exception):
    """The service answered something the tour cannot go on from; the message says what to change."""


def failure_step(steps: tuple[SagaStep, ...]) -> SagaStep:
    """The last compensatable step (its failure compensates the most), or the first step when none is."""
    compensatable = [step for step in steps if step.compensation]
    return compensatable[-1] if compensatable else steps[0]


class Tour:
    def __init__(self, aws: Any, api: Any) -> None:
        self.aws = aws
        self.api = api
        self.first_result_at: float | None = None
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
        self.redelivery(5)

    def new_entity(self, number: int, title: str, key: str) -> dict[str, Any]:
        self.heading(number, title)
        response = self.created(self.post(key, SAMPLE_BODY))
        self.follow(response.body["id"])
        return dict(response.body)

    def replay(self, number: int, key: str, first: dict[str, Any]) -> None:
        self.heading(number, "The same request again (a client retry with the same key and body)")
        before = self.counts()
        response = self.post(key, SAMPLE_BODY)
        self.aws.settle()
        same = "the same body as the first answer" if response.body == first else f"another body: {response.body}"
        self.line("answer", f"{response.status_code} with {same}")
        self.line("nothing new", self.describe_change(before, self.counts()))

    def other_body(self, number: int, key: str) -> None:
        self.heading(number, "The same key with another body")
        before = self.counts()
        response = self.post(key, OTHER_BODY)
        self.aws.settle()
        self.line("nothing new", self.describe_change(before, self.counts()))
        if response.status_code != 422:
            self.line("UNEXPECTED", f"expected 422, got {response.status_code}")

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
        # In the order they ran: each compensation records when it did.
        records = entity.get("compensations", {})
        compensated = sorted(records, key=lambda name: str(records[name].get("at", "")))
        expected = [s.compensation for s in reversed(SAGA_STEPS[: SAGA_STEPS.index(step) + 1]) if s.compensation]
        if compensated:
            verdict = "in reverse order" if compensated == expected else f"NOT as expected ({expected})"
            self.line("compensated", f"{', '.join(compensated)} ({verdict})")

    def redelivery(self, number: int) -> None:
        self.heading(number, "The outbox stream delivers every event again (a relay restart)")
        before = self.counts()
        records = self.aws.redeliver_streams()
        self.aws.settle()
        self.line("redelivered", f"{records} outbox record(s) to the relay")
        how = (
            "STANDARD dedupes on the execution name"
            if SETTINGS.workflow_type == "STANDARD"
            else "the relay's conditional claim stops a second EXPRESS start"
        )
        self.line("nothing new", f"{self.describe_change(before, self.counts())}; {how}")

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
            kind = self.kinds.get(state, "status" if state.startswith("Mark") else "failure record")
            result = recorded.get(state, {}).get("result")
            detail = f"  {short(result, entity['id'])}" if result is not None and outcome == "succeeded" else ""
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
            outcomes.append((current, f"failed: {failures[-1]}" if failures else "exited"))
            current = None
    return outcomes


def main() -> int:
    try:
        return tour()
    except KeyboardInterrupt:
        out("\ninterrupted")
        return 130
    except (SynthFailed, TourStopped) as error:
        print(error, file=sys.stderr)
        return 1


def tour() -> int:
    use_offline_environment(SETTINGS.aws_region)
    quiet_logs(SETTINGS.service_name)
    from local.api import LocalApi
    from local.runtime import EmbeddedAws

    steps = " -> ".join(
        step.name + (f" (undo: {step.compensation})" if step.compensation else "") for step in SAGA_STEPS
    )
    out(f"{SETTINGS.service_name} on the embedded AWS: {SETTINGS.workflow_type} saga {steps}")
    out("Synthesizing the CDK app and deploying its CloudFormation template into moto ...")
    with tempfile.TemporaryDirectory() as assembly, EmbeddedAws(synthesize(Path(assembly))) as aws:
        quiet_logs(SETTINGS.service_name)
        out(f"Ready in {time.perf_counter() - STARTED:.1f} s: {len(aws.lambdas.functions)} functions, real handlers.")
        guide = Tour(aws, LocalApi(aws))
        guide.run()
        state = aws.state()
        out(f"\nThe embedded AWS now holds: {', '.join(f'{name} {count}' for name, count in guide.counts().items())}")
        out(f"{INDENT}executions by status: {state['executions']}")
    out(f"\nDone in {time.perf_counter() - STARTED:.1f} s. `make serve` runs the same API on localhost for curl.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
