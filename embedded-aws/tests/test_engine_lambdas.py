"""Execution environments: as on AWS, one invocation at a time in each, a new one for a concurrent invocation,
up to a limit per function.

No stack: each test runs a LocalFunction over a handler module it writes, which imports this module (by the name
pytest gave it, ``THIS_MODULE``) for the barrier or gate its invocations meet at.
"""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from embedded_aws.services.awslambda import LambdaThrottled, LocalFunction, metrics_per_environment

THIS_MODULE = __name__
# The handlers below wait here until both invocations are inside a handler at once.
BOTH_INSIDE = threading.Barrier(2, timeout=10)

HANDLER_KEEPING_STATE = """
from THIS_MODULE import BOTH_INSIDE

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
    module_file.write_text(HANDLER_KEEPING_STATE.replace("THIS_MODULE", THIS_MODULE))
    function = LocalFunction("stateful-function", "stateful.handler", {}, str(module_file))
    # When two invocations run at the same time
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda number: function.invoke({"invocation": number}), [1, 2]))
    # Then neither saw the other's state: both ran to the end, each in its own environment
    assert results == [{"invocation": 1}, {"invocation": 2}]


HANDLER_ADDING_A_METRIC = """
from aws_lambda_powertools import Metrics

from THIS_MODULE import BOTH_INSIDE

metrics = Metrics(namespace="emulation-test", service="emulation-test")


def handler(event, context):
    metrics.add_metric(name=event["metric"], unit="Count", value=1)
    BOTH_INSIDE.wait()
    return sorted(metrics.metric_set)
"""


def test_concurrent_invocations_each_publish_only_their_own_powertools_metrics(tmp_path: Path) -> None:
    # Given a function whose handler adds a Powertools metric named in its event
    module_file = tmp_path / "counting.py"
    module_file.write_text(HANDLER_ADDING_A_METRIC.replace("THIS_MODULE", THIS_MODULE))
    with metrics_per_environment():
        function = LocalFunction("counting-function", "counting.handler", {}, str(module_file))
        # When two invocations have each added theirs at the same time
        with ThreadPoolExecutor(max_workers=2) as pool:
            metric_sets = list(pool.map(lambda name: function.invoke({"metric": name}), ["First", "Second"]))
    # Then each would publish its own metric only, as in two execution environments on AWS
    assert metric_sets == [["First"], ["Second"]]


class Gate:
    """Holds the invocations that reach it until it opens, and counts them."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._open = False
        self.inside = 0

    def pass_through(self) -> None:
        with self._changed:
            self.inside += 1
            self._changed.notify_all()
            if not self._changed.wait_for(lambda: self._open, timeout=10):
                raise TimeoutError("the gate never opened")

    def wait_until_inside(self, count: int) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: self.inside >= count, timeout=10):
                raise TimeoutError(f"{self.inside} invocations inside, expected {count}")

    def open(self) -> None:
        with self._changed:
            self._open = True
            self._changed.notify_all()


GATE = Gate()

HANDLER_AT_THE_GATE = """
import THIS_MODULE as tests_module


def handler(event, context):
    tests_module.GATE.pass_through()
    return event["invocation"]
"""


@pytest.fixture
def gated_function(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A handler module whose invocations wait at a fresh, closed GATE."""
    monkeypatch.setattr(f"{__name__}.GATE", Gate())
    module_file = tmp_path / "gated.py"
    module_file.write_text(HANDLER_AT_THE_GATE.replace("THIS_MODULE", THIS_MODULE))
    return module_file


def test_invocations_beyond_the_limit_wait_for_a_free_execution_environment(gated_function: Path) -> None:
    # Given a function with at most two execution environments, both busy with an invocation
    function = LocalFunction("gated-function", "gated.handler", {}, str(gated_function), max_environments=2)
    with ThreadPoolExecutor(max_workers=3) as pool:
        first_two = [pool.submit(function.invoke, {"invocation": number}) for number in (1, 2)]
        GATE.wait_until_inside(2)
        # When a third invocation arrives, and then the first two finish
        third = pool.submit(function.invoke, {"invocation": 3})
        GATE.open()
        results = [future.result(timeout=10) for future in (*first_two, third)]
    # Then the third ran too, in an environment the others had freed: no third one was started
    assert results == [1, 2, 3]
    assert function.environments == 2


def test_an_invocation_that_finds_no_environment_free_in_time_is_throttled(gated_function: Path) -> None:
    # Given a function with one execution environment, busy with an invocation
    function = LocalFunction(
        "gated-function", "gated.handler", {}, str(gated_function), max_environments=1, wait_seconds=0.2
    )
    with ThreadPoolExecutor(max_workers=1) as pool:
        busy = pool.submit(function.invoke, {"invocation": 1})
        GATE.wait_until_inside(1)
        # When another invocation waits longer than the function allows
        started = time.monotonic()
        with pytest.raises(LambdaThrottled) as throttled:
            function.invoke({"invocation": 2})
        waited = time.monotonic() - started
        GATE.open()
        assert busy.result(timeout=10) == 1
    # Then it failed as Lambda throttles (Lambda.TooManyRequestsException, which a state machine's Retry names), after
    # waiting its time
    assert throttled.value.code == 429
    assert throttled.value.error_type == "TooManyRequestsException"
    assert waited >= 0.2
