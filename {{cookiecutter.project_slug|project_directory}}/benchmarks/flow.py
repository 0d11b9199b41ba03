"""``python -m benchmarks.flow``: figures of the whole flow on the embedded AWS, in this process.

Measures, on this machine: the time from process start to the first COMPLETED order (synth and deploy
included), orders per second through API -> idempotency -> transaction -> stream -> relay -> saga ->
status (settled one order at a time, and many orders created before one settle), with the CPU time each
order took (less sensitive than orders/s to other processes on the machine), and peak memory.
Every order is checked to have reached COMPLETED, or the figures would mean nothing.

Options: ``--orders N`` (default 200) per throughput run; ``--tracemalloc`` also reports the peak of
Python allocations (it slows everything down, so the throughput figures are then not comparable).
It prints the figures and exits 0 either way: a missed target is reported, not a failure.
"""

import time

STARTED = time.perf_counter()  # before the heavy imports, which count towards the time to the first result

import argparse  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402
import tracemalloc  # noqa: E402
import uuid  # noqa: E402
import warnings  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING, Any  # noqa: E402

import boto3  # noqa: E402
from embedded_aws.server import quiet_logs, use_offline_environment  # noqa: E402

from infra.saga_steps import SAGA_STEPS  # noqa: E402
from infra.settings import SETTINGS  # noqa: E402

if TYPE_CHECKING:
    from embedded_aws.services.apigateway import LocalApi

    from local.aws import ServiceOnEmbeddedAws

# A valid POST body; keep it in step with the request model in src/<package>/models.py.
BODY: dict[str, Any] = {"customer_id": "c-1", "items": [{"sku": "sku-1", "quantity": 2}]}
COLLECTION = SETTINGS.route
TARGET_ORDERS_PER_SECOND = 30.0
TARGET_FIRST_RESULT_SECONDS = 20.0


def progress(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def peak_rss_mib(who: int = resource.RUSAGE_SELF) -> float:
    # ru_maxrss is in KiB on Linux, in bytes on macOS.
    return resource.getrusage(who).ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)


def since_process_start() -> float:
    """Seconds since this process started (interpreter start-up included where /proc tells it)."""
    try:
        ticks_per_second = os.sysconf("SC_CLK_TCK")
        # Field 22 of /proc/self/stat (after the parenthesized command name) is the start time in ticks since boot.
        fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return uptime - int(fields[19]) / ticks_per_second
    except (OSError, ValueError, IndexError):
        return time.perf_counter() - STARTED


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    unit: str
    target: str = ""
    met: bool | None = None


class Flow:
    """Orders through the deployed API and the whole asynchronous flow behind it."""

    def __init__(self, aws: "ServiceOnEmbeddedAws", api: "LocalApi") -> None:
        self.aws = aws
        self.api = api

    def create(self) -> str:
        response = self.api.request(
            "POST", COLLECTION, {"Content-Type": "application/json", "Idempotency-Key": f"bench-{uuid.uuid4()}"}, BODY
        )
        if response.status_code != 201:
            raise RuntimeError(f"POST {COLLECTION} answered {response.status_code}: {response.body}")
        return str(response.body["id"])

    def statuses(self, entity_ids: list[str]) -> Counter[str]:
        wanted = set(entity_ids)
        seen: Counter[str] = Counter()
        paginator = boto3.client("dynamodb").get_paginator("scan")
        for page in paginator.paginate(TableName=self.aws.stack.outputs["EntityTableName"]):
            for item in page["Items"]:
                if item["id"]["S"] in wanted:
                    seen[item["status"]["S"]] += 1
        return seen

    def check_completed(self, entity_ids: list[str]) -> None:
        statuses = self.statuses(entity_ids)
        if statuses != Counter({"COMPLETED": len(entity_ids)}):
            raise RuntimeError(f"expected {len(entity_ids)} COMPLETED orders, found {dict(statuses)}")


@dataclass(frozen=True)
class Timing:
    seconds: float
    cpu_seconds: float  # of every thread in this process: other processes' load slows the wall clock more


def timed(run: Callable[[], list[str]]) -> tuple[list[str], Timing]:
    started, cpu_started = time.perf_counter(), time.process_time()
    entity_ids = run()
    return entity_ids, Timing(time.perf_counter() - started, time.process_time() - cpu_started)


def throughput(flow: Flow, orders: int) -> list[Figure]:
    def one_at_a_time() -> list[str]:
        entity_ids = []
        for _ in range(orders):
            entity_ids.append(flow.create())
            flow.aws.settle()
        return entity_ids

    def batched() -> list[str]:
        entity_ids = [flow.create() for _ in range(orders)]
        flow.aws.settle(timeout=600)
        return entity_ids

    figures = []
    for label, run in (("each order settled in turn", one_at_a_time), ("all created, then one settle", batched)):
        progress(f"{orders} orders, {label} ...")
        entity_ids, timing = timed(run)
        flow.check_completed(entity_ids)
        rate = orders / timing.seconds
        figures.append(
            Figure(
                f"orders/s, {label} ({orders} orders)",
                rate,
                "orders/s",
                f">= {TARGET_ORDERS_PER_SECOND:g}",
                rate >= TARGET_ORDERS_PER_SECOND,
            )
        )
        figures.append(Figure("  CPU per order, all threads", timing.cpu_seconds / orders * 1000, "ms"))
    progress(f"{orders} orders, the API and the rest of the flow timed apart ...")
    api_ids, api = timed(lambda: [flow.create() for _ in range(orders)])

    def settle_created() -> list[str]:
        flow.aws.settle(timeout=600)
        return api_ids

    _, settle = timed(settle_created)
    flow.check_completed(api_ids)
    figures.append(Figure("  of which API only (create, no saga)", orders / api.seconds, "orders/s"))
    figures.append(Figure("  of which stream + relay + saga only", orders / settle.seconds, "orders/s"))
    return figures


def memory_figures(deployed_rss: float, orders: int, traced: bool) -> list[Figure]:
    peak = peak_rss_mib()
    figures = [
        Figure("peak RSS once deployed", deployed_rss, "MiB"),
        Figure("peak RSS at the end", peak, "MiB"),
        Figure("  growth per order", (peak - deployed_rss) / orders * 1024, "KiB"),
        Figure("peak RSS of the synth subprocess (python + node)", peak_rss_mib(resource.RUSAGE_CHILDREN), "MiB"),
    ]
    if traced:
        _, traced_peak = tracemalloc.get_traced_memory()
        figures.append(Figure("peak Python allocations (tracemalloc)", traced_peak / 1024 / 1024, "MiB"))
    return figures


def print_table(title: str, figures: list[Figure]) -> None:
    width = max(len(figure.name) for figure in figures)
    print(f"\n{title}")
    print(f"{'figure':<{width}}  {'value':>10}  {'unit':<9}{'target':<9}met")
    print("-" * (width + 36))
    for figure in figures:
        met = "" if figure.met is None else ("yes" if figure.met else "NO")
        print(f"{figure.name:<{width}}  {figure.value:>10.1f}  {figure.unit:<9}{figure.target:<9}{met}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--orders", type=int, default=200, help="orders per throughput run (default 200)")
    parser.add_argument("--tracemalloc", action="store_true", help="also trace Python allocations (slows the runs)")
    args = parser.parse_args(argv)
    if args.tracemalloc:
        tracemalloc.start()

    use_offline_environment(SETTINGS.aws_region)
    quiet_logs(SETTINGS.service_name)
    # Powertools prints its metric lines to stdout (every 100 values even when metrics are disabled): the table
    # is printed once the runs are over, and everything the handlers print meanwhile is dropped.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    from embedded_aws.services.apigateway import LocalApi

    from local.aws import running_quietly

    progress("Synthesizing and deploying into the embedded AWS ...")
    with running_quietly() as aws:
        deployed, deployed_rss = since_process_start(), peak_rss_mib()
        flow = Flow(aws, LocalApi(aws))
        first = flow.create()
        aws.settle()
        flow.check_completed([first])
        first_result = since_process_start()
        progress(f"First order COMPLETED {first_result:.1f} s after the process started.")
        figures = [
            Figure("process start -> stack deployed (synth included)", deployed, "s"),
            Figure(
                "process start -> first order COMPLETED",
                first_result,
                "s",
                f"< {TARGET_FIRST_RESULT_SECONDS:g}",
                first_result < TARGET_FIRST_RESULT_SECONDS,
            ),
            *throughput(flow, args.orders),
            *memory_figures(deployed_rss, 1 + 3 * args.orders, args.tracemalloc),
        ]
    steps = ", ".join(step.name for step in SAGA_STEPS)
    dlq = "enabled" if SETTINGS.dlq_enabled else "disabled"
    print_table(f"{SETTINGS.service_name}: {SETTINGS.workflow_type} saga ({steps}), dlq {dlq}", figures)
    if args.tracemalloc:
        print("(tracemalloc was on: the throughput figures are slower than without it)")
    missed = [figure.name for figure in figures if figure.met is False]
    if missed:
        print(f"Targets missed: {'; '.join(missed)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
