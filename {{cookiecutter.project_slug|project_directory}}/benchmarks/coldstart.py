"""``python -m benchmarks.coldstart``: each handler's cold start against a bare boto3 client, as a ratio.

A cold start's Python part is importing the handler module (its imports and whatever it builds at import).
Each sample is a fresh ``python -c`` process that times, with ``time.perf_counter`` around the import, either
one handler module or the baseline ``import boto3; boto3.client("dynamodb")``; the interpreter's own start is
not counted. The samples are interleaved (baseline, create, get, relay, saga action, baseline, ...) so that
a slow spell of the machine falls on all of them alike, and the figures are medians of ``--runs`` runs.

The handlers build their AWS clients on the first request (a module-level ``functools.cache`` function that
takes no argument); the same sample then calls each of those too, and the second figure is the import plus
them: what the first request adds is shown, not hidden.

Each handler is imported as Lambda would import it: with its function's environment variables (its
configuration, from ``configuration.py``; the Powertools variables infra/functions.py sets, tracing off when
the service was generated without it), Lambda's own variables (``LAMBDA_TASK_ROOT``: Powertools' Tracer traces
only inside Lambda, and outside it the X-Ray SDK's recorder creates two clients of its own for sampling rules)
and fake credentials. Nothing here calls AWS: creating a client is offline.

Prints, per subject, medians in milliseconds: the import's elapsed time and CPU time, the CPU time's ratio to the
baseline's in the same run (the figure to compare across machines) and its spread (min-max), and the CPU time and
ratio of the import plus what the first request builds. The ratios are of CPU time because other processes on the
machine stretch elapsed time by as much as half (a cold start's work is CPU-bound: its files come from the page
cache after the first, unmeasured, start). Exits 0 either way: a missed target (the create handler's import at most
1.5 times the bare client, the others' less) is reported, not a failure. Options: ``--runs N`` (default 9).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import NamedTuple

from infra.functions import common_environment
from infra.saga_steps import SAGA_STEPS
from infra.settings import SETTINGS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BASELINE = "bare boto3 client"
BASELINE_CODE = 'import boto3; boto3.client("dynamodb")'
TARGET_RATIO = 1.5
# The child prints the seconds, elapsed and of CPU, its import took, then the same with what the module builds on
# first use (the baseline builds nothing later); the clocks start once the interpreter is up.
CHILD = """\
import time
module = None
started = time.perf_counter(), time.process_time()
{code}
imported = time.perf_counter(), time.process_time()
for value in list(vars(module).values()) if module else []:
    if hasattr(value, "cache_info") and getattr(value, "__module__", None) == module.__name__:
        value()
ready = time.perf_counter(), time.process_time()
print(imported[0] - started[0], imported[1] - started[1], ready[0] - started[0], ready[1] - started[1])
"""
# What Lambda sets in every function's environment that a handler's import may read.
LAMBDA_VARIABLES = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_REGION": SETTINGS.aws_region,
    "AWS_DEFAULT_REGION": SETTINGS.aws_region,
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
    "LAMBDA_TASK_ROOT": str(PROJECT_ROOT / "src"),
}


def handler_environments() -> dict[str, dict[str, str]]:
    """Each handler module (its last name) -> its function's variables: the Powertools ones every function gets
    (infra/functions.py) and its configuration's, with made-up table names."""
    from {{ cookiecutter.package_name }}.configuration import (
        CreateConfiguration,
        ReadConfiguration,
        RelayConfiguration,
        SagaActionConfiguration,
    )

    express = SETTINGS.workflow_type == "EXPRESS"
    first_step = SAGA_STEPS[0]
    configurations = {
        f"create_{SETTINGS.domain}": CreateConfiguration(
            entity_table_name="entities",
            outbox_table_name="outbox",
            idempotency_table_name="idempotency",
            idempotency_ttl_seconds=SETTINGS.idempotency_ttl_hours * 3600,
            outbox_retention_days=SETTINGS.outbox_retention_days,
        ).as_environment(),
        f"get_{SETTINGS.domain}": ReadConfiguration(entity_table_name="entities").as_environment(),
        "outbox_relay": RelayConfiguration(
            state_machine_arn=f"arn:aws:states:{SETTINGS.aws_region}:123456789012:stateMachine:saga",
            workflow_type=SETTINGS.workflow_type,
            dispatch_claims_table_name="claims" if express else None,
            dispatch_claim_retention_days=SETTINGS.outbox_retention_days if express else None,
        ).as_environment(),
        "saga_action": {
            **dict(first_step.environment),
            **SagaActionConfiguration(
                saga_action=first_step.name, saga_action_kind="step", entity_table_name="entities"
            ).as_environment(),
        },
    }
    return {handler: {**common_environment(SETTINGS), **variables} for handler, variables in configurations.items()}


def process_environment(environment: Mapping[str, str]) -> dict[str, str]:
    """A fresh interpreter's whole environment, as in Lambda: ``environment`` (a function's), Lambda's variables,
    PATH and a PYTHONPATH of src/; nothing of this process's (its credentials, its endpoint) leaks in."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(PROJECT_ROOT / "src"),
        **LAMBDA_VARIABLES,
        **environment,
    }


class Sample(NamedTuple):
    """One fresh interpreter's milliseconds, elapsed and of CPU: the import's, then with what it builds on first use."""

    import_elapsed: float
    import_cpu: float
    ready_elapsed: float
    ready_cpu: float


def sample(code: str, environment: Mapping[str, str]) -> Sample:
    """What ``code`` took in a fresh interpreter with ``process_environment(environment)``, then with what the module
    it binds to ``module`` (if any) builds on first use.

    Raises CalledProcessError, with the child's error output, when the code fails.
    """
    completed = subprocess.run(
        [sys.executable, "-c", CHILD.format(code=code)],
        cwd=PROJECT_ROOT,
        env=process_environment(environment),
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        raise subprocess.CalledProcessError(completed.returncode, code, completed.stdout, completed.stderr)
    return Sample(*(float(seconds) * 1000 for seconds in completed.stdout.strip().splitlines()[-1].split()))


def measure(runs: int) -> dict[str, list[Sample]]:
    """Each subject (the baseline, then each handler) -> its ``runs`` samples, taken interleaved."""
    subjects: dict[str, tuple[str, Mapping[str, str]]] = {BASELINE: (BASELINE_CODE, {})}
    for handler, variables in handler_environments().items():
        subjects[handler] = (f"import {SETTINGS.package_name}.handlers.{handler} as module", variables)
    samples: dict[str, list[Sample]] = {name: [] for name in subjects}
    sample(BASELINE_CODE, {})  # one unmeasured start: the first process after a while reads its files from disk
    for _ in range(runs):
        for name, (code, environment) in subjects.items():
            samples[name].append(sample(code, environment))
    return samples


def medians(samples: Mapping[str, list[Sample]], field: str) -> dict[str, float]:
    """Each subject's median milliseconds of one Sample field (``import_cpu``, ...)."""
    return {name: statistics.median(getattr(each, field) for each in subject) for name, subject in samples.items()}


def report(samples: Mapping[str, list[Sample]]) -> list[str]:
    """The lines to print: a header, then per subject its import's median elapsed and CPU ms, the CPU ratio to the
    baseline's and the CPU range, and the CPU median and ratio with what the first request builds."""
    elapsed, cpu = medians(samples, "import_elapsed"), medians(samples, "import_cpu")
    ready = medians(samples, "ready_cpu")
    baseline = cpu[BASELINE]
    lines = [
        f"{'import, median of':<20} {'elapsed ms':>10} {'CPU ms':>8} {'x bare':>7} {'CPU min-max':>13}"
        f"   {'+ 1st request CPU ms':>20} {'x bare':>7}"
    ]
    for name, subject in samples.items():
        fastest, slowest = min(each.import_cpu for each in subject), max(each.import_cpu for each in subject)
        lines.append(
            f"{name:<20} {elapsed[name]:>10.1f} {cpu[name]:>8.1f} {cpu[name] / baseline:>7.2f}"
            f" {fastest:>6.1f}-{slowest:<6.1f}   {ready[name]:>20.1f} {ready[name] / baseline:>7.2f}"
        )
    create = cpu[f"create_{SETTINGS.domain}"] / baseline
    verdict = "met" if create <= TARGET_RATIO else "missed"
    lines.append(
        f"target: the create handler's import at most {TARGET_RATIO} x the bare client's ({verdict}: {create:.3f})"
    )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=9, help="samples per subject; the figures are their medians")
    args = parser.parse_args(argv)
    samples = measure(args.runs)
    print(
        f"{args.runs} runs, fresh interpreter per sample, {SETTINGS.workflow_type},"
        f" tracing {'enabled' if SETTINGS.tracing_enabled else 'disabled'}"
    )
    print("\n".join(report(samples)))
    print(json.dumps({name: round(median, 1) for name, median in medians(samples, "import_cpu").items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
