"""The cost report's arithmetic: prices per unit from prices.json, the mix, and an order priced both ways."""

from collections import Counter

import pytest

from benchmarks.cost import Order, lines, load_prices, parse_mix
from benchmarks.metering import ExecutionUsage, FunctionConfiguration, Usage


def test_prices_are_read_per_single_unit() -> None:
    # Given prices.json's figures per million requests, per thousand transitions and per GB-second
    prices = load_prices()
    # Then each is USD for one unit
    assert prices["lambda_requests"] == pytest.approx(0.20 / 1_000_000)
    assert prices["stepfunctions_standard_state_transitions"] == pytest.approx(0.025 / 1_000)
    assert prices["lambda_gb_second_arm64"] == pytest.approx(0.0000133334)


def test_the_mix_is_scaled_over_the_scenarios_that_ran() -> None:
    assert parse_mix("90,8,2", ("success", "business failure", "retried transient failure")) == {
        "success": 90,
        "business failure": 8,
        "retried transient failure": 2,
    }
    assert parse_mix("90,8,2", ("success", "business failure")) == pytest.approx(
        {"success": 9000 / 98, "business failure": 800 / 98}
    )
    with pytest.raises(ValueError, match="summing to 100"):
        parse_mix("90,8", ("success",))


def test_an_order_is_priced_by_transitions_as_standard_and_by_request_and_duration_as_express() -> None:
    # Given an order: 2 API requests, one 10 ms invocation of a 1024 MB arm64 function, 3 write and 2 read units,
    # one execution of 5 transitions that ran 150 ms and logged 1 GB
    usage = Usage(api_requests=2, invocations=Counter({"f": 1}))
    usage.durations_ms["f"].append(10.0)
    usage.write_units["f: PutItem"] = 3
    usage.read_units["f: GetItem"] = 2
    order = Order("success", usage, [ExecutionUsage("SUCCEEDED", 5, 150.0, 1024**3)])
    prices = load_prices()
    configurations = {"f": FunctionConfiguration(1024, "arm64")}
    # When it is priced both ways
    standard = lines(order, "STANDARD", prices, configurations)
    express = lines(order, "EXPRESS", prices, configurations)
    # Then only the Step Functions and log lines differ, each by AWS's units
    assert standard["Step Functions"] == pytest.approx(5 * 0.025 / 1_000)
    assert standard["CloudWatch Logs"] == 0
    # 150 ms is billed as 200 ms, at 64 MB: 0.2 s x 1/16 GB
    assert express["Step Functions"] == pytest.approx(1.00 / 1_000_000 + 0.2 / 16 * 0.0000166667)
    assert express["CloudWatch Logs"] == pytest.approx(0.50)
    assert standard["Lambda duration"] == express["Lambda duration"] == pytest.approx(0.010 * 0.0000133334)
    assert standard["DynamoDB"] == pytest.approx(3 * 0.625 / 1e6 + 2 * 0.125 / 1e6)
    assert standard["API Gateway"] == pytest.approx(2 * 3.50 / 1e6)
