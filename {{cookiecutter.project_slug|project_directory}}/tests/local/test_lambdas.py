"""Execution environments: as on AWS, one invocation at a time in each, a new one for a concurrent invocation."""

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from local.lambdas import LocalFunction, metrics_per_environment

# The handlers below wait here until both invocations are inside a handler at once.
BOTH_INSIDE = threading.Barrier(2, timeout=10)

HANDLER_KEEPING_STATE = """
from tests.local.test_lambdas import BOTH_INSIDE

busy = False


def handler(event, context):
    global busy
    if busy:
        raise RuntimeError("a second invocation entered a busy execution environment")
    busy = True
    BOTH_INSIDE.wait()
    busy = False
    return {"invocation": event["invocation"]}
"""


def test_concurrent_invocations_of_one_function_get_an_execution_environment_each(tmp_path: Path) -> None:
    # Given a function whose handler keeps state in its module, as Powertools' metric set does
    module_file = tmp_path / "stateful.py"
    module_file.write_text(HANDLER_KEEPING_STATE)
    function = LocalFunction("stateful-function", "stateful.handler", {}, str(module_file))
    # When two invocations run at the same time
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda number: function.invoke({"invocation": number}), [1, 2]))
    # Then neither saw the other's state: both ran to the end, each in its own environment
    assert results == [{"invocation": 1}, {"invocation": 2}]


HANDLER_ADDING_A_METRIC = """
from aws_lambda_powertools import Metrics

from tests.local.test_lambdas import BOTH_INSIDE

metrics = Metrics(namespace="emulation-test", service="emulation-test")


def handler(event, context):
    metrics.add_metric(name=event["metric"], unit="Count", value=1)
    BOTH_INSIDE.wait()
    return sorted(metrics.metric_set)
"""


def test_concurrent_invocations_each_publish_only_their_own_powertools_metrics(tmp_path: Path) -> None:
    # Given a function whose handler adds a Powertools metric named in its event
    module_file = tmp_path / "counting.py"
    module_file.write_text(HANDLER_ADDING_A_METRIC)
    with metrics_per_environment():
        function = LocalFunction("counting-function", "counting.handler", {}, str(module_file))
        # When two invocations have each added theirs at the same time
        with ThreadPoolExecutor(max_workers=2) as pool:
            metric_sets = list(pool.map(lambda name: function.invoke({"metric": name}), ["First", "Second"]))
    # Then each would publish its own metric only, as in two execution environments on AWS
    assert metric_sets == [["First"], ["Second"]]
