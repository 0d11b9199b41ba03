"""``python -m benchmarks.cost`` (``make cost``): what an order costs on AWS, STANDARD against EXPRESS, side by side.

Runs a mix of orders on the embedded AWS, one at a time, each metered (benchmarks/metering.py): a success, a
business failure (the step whose refusal compensates the most is refused) and a retried transient failure (the
provider applies that step but its answer is lost once; the state machine retries it). Each order is: POST, the
flow to its end, one GET of its status. Each execution is priced both ways: STANDARD by its state transitions,
EXPRESS by one request plus its duration x 64 MB in AWS's billing steps plus its logging. Everything else (API,
Lambda, DynamoDB, SQS) is what this render's own workflow type did, the same in both columns.

Prices: benchmarks/prices.json only (on-demand list prices of one region, each with its source page; no free tier).
Figures: USD per order and per million orders for the stated mix (``--mix``), and which service dominates.
Estimates, not measurements of AWS: the handlers' durations (CPU time measured here, in-process, warm, on the
emulation), the EXPRESS duration (the emulated run plus the retry intervals it skipped) and memory (the 64 MB minimum),
and the EXPRESS log bytes (from the history). Not counted: X-Ray traces, the functions' own CloudWatch Logs and metrics,
data transfer. Exits 0 with the table, or 1 when an order does not end as its scenario expects.
"""

import argparse
import json
import os
import statistics
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from embedded_aws.server import quiet_logs, use_offline_environment

from infra.saga_model import pascal
from infra.saga_steps import SAGA_STEPS
from infra.settings import SETTINGS

if TYPE_CHECKING:
    from benchmarks.metering import ExecutionUsage, FunctionConfiguration, Meter, Usage
    from local.aws import ServiceOnEmbeddedAws

PRICES_FILE = Path(__file__).with_name("prices.json")
SCENARIOS = ("success", "business failure", "retried transient failure")
DEFAULT_MIX = "90,8,2"  # percent of orders per scenario, in the order above
WORKFLOWS = ("STANDARD", "EXPRESS")


def load_prices(path: Path = PRICES_FILE) -> dict[str, float]:
    """USD per single unit (a request, a request unit, a transition, a GB-second, a GB), by price name."""
    document = json.loads(path.read_text(encoding="utf-8"))
    scale = {"1M": 1_000_000, "1,000": 1_000}
    prices = {}
    for name, price in document["prices"].items():
        per = str(price["per"]).split(" ", 1)[0]
        prices[name] = float(price["usd"]) / scale.get(per, 1)
    return prices


@dataclass(frozen=True)
class Order:
    """One metered order: its scenario, what it used and its execution(s)."""

    scenario: str
    usage: "Usage"
    executions: list["ExecutionUsage"]


def lines(
    order: Order, workflow: str, prices: dict[str, float], configurations: dict[str, "FunctionConfiguration"]
) -> dict[str, float]:
    """USD per billed service for one order, had its executions run as ``workflow`` (STANDARD or EXPRESS)."""
    from benchmarks.billing import express_billed_gb_seconds, lambda_billed_gb_seconds

    usage = order.usage
    lambda_duration = sum(
        lambda_billed_gb_seconds(ms, configurations[name].memory_mb)
        * prices[f"lambda_gb_second_{configurations[name].architecture}"]
        for name, durations in usage.durations_ms.items()
        for ms in durations
    )
    if workflow == "STANDARD":
        workflow_usd = sum(e.transitions for e in order.executions) * prices["stepfunctions_standard_state_transitions"]
        logs_usd = 0.0  # the stack logs STANDARD executions nowhere: their history is kept by Step Functions
    else:
        workflow_usd = sum(
            prices["stepfunctions_express_requests"]
            + express_billed_gb_seconds(e.duration_ms) * prices["stepfunctions_express_gb_second"]
            for e in order.executions
        )
        logs_usd = sum(e.log_bytes for e in order.executions) / 1024**3 * prices["cloudwatch_logs_ingestion_standard"]
    return {
        "API Gateway": usage.api_requests * prices["apigateway_rest_requests"],
        "Lambda requests": sum(usage.invocations.values()) * prices["lambda_requests"],
        "Lambda duration": lambda_duration,
        "DynamoDB": usage.total_write_units * prices["dynamodb_write_request_units"]
        + usage.total_read_units * prices["dynamodb_read_request_units"],
        "Step Functions": workflow_usd,
        "SQS": usage.sqs_requests * prices["sqs_standard_requests"],
        "CloudWatch Logs": logs_usd,
    }


def mean_lines(orders: list[Order], workflow: str, prices: dict[str, float], configurations: Any) -> dict[str, float]:
    every = [lines(order, workflow, prices, configurations) for order in orders]
    return {name: statistics.fmean(line[name] for line in every) for name in every[0]}


# -- running the scenarios -------------------------------------------------------------------------------------


class Scenarios:
    """Runs each scenario's orders through the metered service."""

    def __init__(self, aws: "ServiceOnEmbeddedAws", meter: "Meter") -> None:
        from local.demo import SAMPLE_BODY, failure_step

        self.body = SAMPLE_BODY
        self.aws = aws
        self.meter = meter
        self.step = failure_step(SAGA_STEPS)

    def order(self, scenario: str, arm: Callable[[], None], expected: tuple[str, str | None]) -> Order:
        """One order, metered from its POST to its GET; raises RuntimeError unless it ends as ``expected``."""
        arm()
        self.meter.start()
        headers = {"Content-Type": "application/json", "Idempotency-Key": f"cost-{uuid.uuid4()}"}
        created = self.meter.api("POST", SETTINGS.route, headers, self.body)
        if created.status_code != 201:
            raise RuntimeError(f"POST {SETTINGS.route} answered {created.status_code}: {created.body}")
        self.aws.settle()
        entity = self.meter.api("GET", f"{SETTINGS.route}/{created.body['id']}").body
        usage = self.meter.stop()
        self.aws.faults.clear()
        self.aws.provider.clear()
        ended = (entity.get("status"), entity.get("failure_reason"))
        if ended != expected:
            raise RuntimeError(f"a {scenario} {SETTINGS.domain} ended {ended}, not {expected}")
        return Order(scenario, usage, self.meter.executions())

    def retries(self) -> int:
        """How often the ASL retries the failure step after an unknown outcome (0: the scenario cannot run)."""
        from infra.saga_asl import STEP_OUTCOME_UNKNOWN
        from infra.saga_definition import ASL_PATH
        from local.aws import PROJECT_ROOT

        asl = json.loads((PROJECT_ROOT / ASL_PATH).read_text(encoding="utf-8"))
        # Step Functions applies the first retrier naming the error; none means no retry at all.
        for retrier in asl["States"][pascal(self.step.name)].get("Retry", []):
            if {STEP_OUTCOME_UNKNOWN, "States.ALL"} & set(retrier["ErrorEquals"]):
                return int(retrier.get("MaxAttempts", 3))  # the ASL default
        return 0

    def run(self, scenario: str) -> Order:
        from local.provider import ProviderFault

        if scenario == "success":
            return self.order(scenario, lambda: None, ("COMPLETED", None))
        if scenario == "business failure":
            refused = f"{pascal(self.step.name)}Refused"
            return self.order(
                scenario, lambda: self.aws.arm_fault(self.step.name, "business_error", 1, refused), ("FAILED", refused)
            )
        return self.order(
            scenario, lambda: self.aws.provider.arm(self.step.name, ProviderFault.LOST_ANSWER, 1), ("COMPLETED", None)
        )


# -- the report --------------------------------------------------------------------------------------------------


def per_million(value: float) -> str:
    return f"{value * 1_000_000:,.2f}"


def counts_table(orders: dict[str, list[Order]], configurations: dict[str, "FunctionConfiguration"]) -> list[str]:
    """What one order of each scenario used (counts per order; durations the mean of the runs, ms)."""
    rows = [f"{'per ' + SETTINGS.domain:<44}" + "".join(f"{scenario:>28}" for scenario in orders)]

    def row(label: str, value: Callable[[list[Order]], str]) -> None:
        rows.append(f"{label:<44}" + "".join(f"{value(runs):>28}" for runs in orders.values()))

    def first(runs: list[Order]) -> "Usage":
        return runs[0].usage

    row("API requests", lambda runs: str(first(runs).api_requests))
    for name in sorted(configurations):
        config = configurations[name]
        label = f"Lambda {name} ({config.memory_mb} MB, {config.architecture})"

        def invoked(runs: list[Order], name: str = name) -> str:
            count = first(runs).invocations[name]
            ms = [statistics.fmean(run.usage.durations_ms[name]) for run in runs if run.usage.durations_ms[name]]
            return f"{count} x {statistics.fmean(ms):.1f} ms" if count else "-"

        row(label, invoked)
    row("DynamoDB write request units", lambda runs: f"{first(runs).total_write_units:g}")
    row("DynamoDB read request units", lambda runs: f"{first(runs).total_read_units:g}")
    row("SQS requests", lambda runs: str(first(runs).sqs_requests))
    row("STANDARD state transitions", lambda runs: str(sum(e.transitions for e in runs[0].executions)))
    row(
        "EXPRESS requests / est. duration (ms)",
        lambda runs: (
            f"{len(runs[0].executions)} / "
            + f"{statistics.fmean(sum(e.duration_ms for e in run.executions) for run in runs):.0f}"
        ),
    )
    row("EXPRESS est. log bytes", lambda runs: str(sum(e.log_bytes for e in runs[0].executions)))
    return rows


def report(orders: dict[str, list[Order]], mix: dict[str, float], configurations: Any, prices: Any) -> list[str]:
    out = [
        f"{SETTINGS.service_name}: saga {', '.join(step.name for step in SAGA_STEPS)}; measured as"
        f" {SETTINGS.workflow_type}; prices {json.loads(PRICES_FILE.read_text())['region']}"
        f" ({json.loads(PRICES_FILE.read_text())['retrieved']}, benchmarks/prices.json), USD",
        "",
        *counts_table(orders, configurations),
        "",
    ]
    priced = {(s, w): mean_lines(runs, w, prices, configurations) for s, runs in orders.items() for w in WORKFLOWS}
    services = list(next(iter(priced.values())))
    out.append(
        f"USD per million {SETTINGS.domain_plural} of one scenario, by service (the mean of its runs), and USD per"
        f" {SETTINGS.domain}:"
    )
    total_label = f"USD per {SETTINGS.domain}"
    width = max(16, len(total_label) + 2)
    out.append(f"{'':<36}" + "".join(f"{name:>16}" for name in services) + f"{total_label:>{width}}")
    for (scenario, workflow), line in priced.items():
        cells = "".join(f"{per_million(line[name]):>16}" for name in services)
        out.append(f"{scenario + ', ' + workflow:<36}{cells}{sum(line.values()):>{width}.8f}")
    out.append("")
    weights = {s: mix.get(s, 0.0) for s in orders}
    described = ", ".join(f"{weights[s]:g}% {s}" for s in orders)
    out.append(f"Per million {SETTINGS.domain_plural} ({described}):")
    for workflow in WORKFLOWS:
        mixed = {
            name: sum(weights[s] / 100 * priced[s, workflow][name] for s in orders)
            for name in priced[next(iter(orders)), workflow]
        }
        total = sum(mixed.values())
        dominant = max(mixed, key=lambda name: mixed[name])
        share = mixed[dominant] / total * 100 if total else 0.0
        out.append(
            f"  {workflow:<9} USD {per_million(total):>10}   dominated by {dominant} ({share:.0f}%): "
            + ", ".join(f"{name} {per_million(value)}" for name, value in mixed.items())
        )
    return out


def parse_mix(text: str, scenarios: tuple[str, ...]) -> dict[str, float]:
    """``"90,8,2"`` -> percent per scenario run, scaled to 100 over ``scenarios`` (those that could run).

    Raises ValueError unless ``text`` has one figure per scenario of SCENARIOS, summing to 100.
    """
    figures = [float(part) for part in text.split(",")]
    if len(figures) != len(SCENARIOS) or abs(sum(figures) - 100) > 1e-9:
        raise ValueError(f"--mix needs {len(SCENARIOS)} percentages summing to 100, not {text!r}")
    kept = {scenario: figure for scenario, figure in zip(SCENARIOS, figures, strict=True) if scenario in scenarios}
    return {scenario: figure * 100 / sum(kept.values()) for scenario, figure in kept.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--orders", type=int, default=5, help="orders per scenario (default 5; the durations' mean)")
    parser.add_argument("--mix", default=DEFAULT_MIX, help=f"percent per scenario, {', '.join(SCENARIOS)}")
    args = parser.parse_args(argv)
    use_offline_environment(SETTINGS.aws_region)
    # IAM enforcement is the emulation's own work inside every call a handler makes: off, it adds nothing to the
    # measured durations that AWS would not (set EMBEDDED_AWS_IAM=on to measure with it).
    os.environ.setdefault("EMBEDDED_AWS_IAM", "off")
    quiet_logs(SETTINGS.service_name)
    from benchmarks.metering import Meter, function_configurations
    from local.aws import running_quietly
    from local.demo import handler_errors_hidden

    print("Synthesizing and deploying into the embedded AWS ...", file=sys.stderr, flush=True)
    orders: dict[str, list[Order]] = {}
    notes = []
    try:
        with running_quietly() as aws, Meter(aws).installed() as meter, handler_errors_hidden():
            scenarios = Scenarios(aws, meter)
            configurations = function_configurations(aws)
            scenarios.run("success")  # warms every environment the mix uses: measured durations are warm ones
            for scenario in SCENARIOS:
                if scenario == "retried transient failure" and scenarios.retries() < 1:
                    notes.append(f"no {scenario}: the ASL does not retry {scenarios.step.name} after a lost answer")
                    continue
                print(f"{args.orders} {SETTINGS.domain_plural}: {scenario} ...", file=sys.stderr, flush=True)
                orders[scenario] = [scenarios.run(scenario) for _ in range(args.orders)]
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 1
    mix = parse_mix(args.mix, tuple(orders))
    print("\n".join(report(orders, mix, configurations, load_prices())))
    other = "EXPRESS" if SETTINGS.workflow_type == "STANDARD" else "STANDARD"
    notes += [
        "Estimated: Lambda durations (CPU time measured on the emulation, warm, 1 ms billing steps), EXPRESS"
        " duration (the emulated run plus the retry intervals it skipped, 100 ms steps) and memory (the 64 MB"
        " minimum), EXPRESS log bytes (from the history). Not counted: X-Ray, the functions' own logs and metrics,"
        " data transfer.",
        f"API, Lambda and DynamoDB figures are this {SETTINGS.workflow_type} render's in both columns; a render with"
        f" {other} differs in its relay: EXPRESS claims each event before it starts it (2 write units more per"
        f" {SETTINGS.domain}).",
        "The refused step of a business failure is the emulation's injected error: its handler does not run, its"
        " invocation is billed the 1 ms minimum (on AWS it runs up to the provider's refusal).",
    ]
    print("\n".join(notes))
    return 0


if __name__ == "__main__":
    sys.exit(main())
