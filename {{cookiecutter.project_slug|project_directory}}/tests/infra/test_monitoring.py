"""Alarms on everything that can fail quietly in an asynchronous flow."""

from typing import Any

from tests.infra.support import expected_failure_queues, function_by_handler, resources_of_type


def alarms(template_json: dict[str, Any]) -> list[dict[str, Any]]:
    return [resource["Properties"] for resource in resources_of_type(template_json, "AWS::CloudWatch::Alarm").values()]


def metric_names(alarm: dict[str, Any]) -> set[str]:
    if "MetricName" in alarm:
        return {alarm["MetricName"]}
    return {query["MetricStat"]["Metric"]["MetricName"] for query in alarm["Metrics"] if "MetricStat" in query}


def test_failed_and_timed_out_executions_raise_one_alarm(template_json: dict[str, Any]) -> None:
    # Given the saga state machine
    # When the stack is synthesized
    saga_alarms = [alarm for alarm in alarms(template_json) if "ExecutionsFailed" in metric_names(alarm)]
    # Then a failed or a timed-out execution alarms
    assert len(saga_alarms) == 1
    assert metric_names(saga_alarms[0]) == {"ExecutionsFailed", "ExecutionsTimedOut"}


def test_every_function_has_an_errors_alarm(template_json: dict[str, Any]) -> None:
    # Given every Lambda function
    functions = set(resources_of_type(template_json, "AWS::Lambda::Function"))
    # When the stack is synthesized
    watched = {
        dimension["Value"]["Ref"]
        for alarm in alarms(template_json)
        if metric_names(alarm) == {"Errors"}
        for dimension in alarm["Dimensions"]
    }
    # Then each one's errors alarm
    assert watched == functions


def test_relay_lag_alarms_before_records_expire(template_json: dict[str, Any]) -> None:
    # Given the relay and its maximum record age
    relay, _ = function_by_handler(template_json, "outbox_relay")
    mapping = next(iter(resources_of_type(template_json, "AWS::Lambda::EventSourceMapping").values()))
    max_age_ms = mapping["Properties"]["MaximumRecordAgeInSeconds"] * 1000
    # When the stack is synthesized
    lag = [alarm for alarm in alarms(template_json) if metric_names(alarm) == {"IteratorAge"}]
    # Then the relay's maximum iterator age alarms well before records are discarded
    assert len(lag) == 1
    assert lag[0]["Statistic"] == "Maximum"
    assert lag[0]["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": relay}}]
    assert lag[0]["Threshold"] < max_age_ms


def test_each_failure_queue_alarms_on_its_first_message(template_json: dict[str, Any]) -> None:
    # Given the failure queues (none when the dlq is disabled)
    queues = set(resources_of_type(template_json, "AWS::SQS::Queue"))
    assert len(queues) == len(expected_failure_queues())
    # When the stack is synthesized
    depth = [alarm for alarm in alarms(template_json) if metric_names(alarm) == {"ApproximateNumberOfMessagesVisible"}]
    # Then every queue alarms as soon as it holds a message
    assert {alarm["Dimensions"][0]["Value"]["Fn::GetAtt"][0] for alarm in depth} == queues
    assert all(alarm["Threshold"] == 1 for alarm in depth)
    assert all(alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold" for alarm in depth)
