"""Alarms on everything that can fail quietly in an asynchronous flow, and the topic that tells someone."""

import json
from pathlib import Path
from typing import Any

import pytest
from aws_cdk import App

from app import build_app, cdk_json_context
from infra.monitoring import ALARM_EMAIL_CONTEXT_KEY, InvalidAlarmEmail, alarm_email
from infra.settings import SETTINGS
from tests.infra.support import as_list, expected_failure_queues, function_by_handler, resources_of_type


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


def alarm_topic(template_json: dict[str, Any]) -> str:
    (topic,) = resources_of_type(template_json, "AWS::SNS::Topic")
    return topic


def test_every_alarm_notifies_the_alarm_topic_when_it_fires_and_when_it_clears(template_json: dict[str, Any]) -> None:
    # Given the stack's one SNS topic
    topic = {"Ref": alarm_topic(template_json)}
    # When reading every alarm's actions
    all_alarms = alarms(template_json)
    # Then each one notifies the topic on ALARM and on OK, and nothing else
    assert all_alarms
    for alarm in all_alarms:
        assert alarm["AlarmActions"] == [topic]
        assert alarm["OKActions"] == [topic]


def test_cloudwatch_can_publish_to_the_encrypted_topic(template_json: dict[str, Any]) -> None:
    # Given the alarm topic and the key it is encrypted with
    topic_id = alarm_topic(template_json)
    key_reference = template_json["Resources"][topic_id]["Properties"]["KmsMasterKeyId"]
    key = template_json["Resources"][key_reference["Fn::GetAtt"][0]]
    (topic_policy,) = resources_of_type(template_json, "AWS::SNS::TopicPolicy").values()
    # When reading what the key policy and the topic policy grant CloudWatch
    cloudwatch = {"Service": "cloudwatch.amazonaws.com"}
    key_grants = [s for s in key["Properties"]["KeyPolicy"]["Statement"] if s["Principal"] == cloudwatch]
    topic_statements = topic_policy["Properties"]["PolicyDocument"]["Statement"]
    topic_grants = [s for s in topic_statements if s["Effect"] == "Allow" and s.get("Principal") == cloudwatch]
    # Then CloudWatch may use the key and publish, only for this account's alarms; nothing is published without TLS
    assert key["Type"] == "AWS::KMS::Key"
    assert key["Properties"]["EnableKeyRotation"] is True
    assert [set(as_list(s["Action"])) for s in key_grants] == [{"kms:Decrypt", "kms:GenerateDataKey*"}]
    assert [s["Action"] for s in topic_grants] == ["sns:Publish"]
    assert ":alarm:*" in json.dumps(topic_grants[0]["Condition"]["ArnLike"]["aws:SourceArn"])
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in topic_statements
    )


def test_without_an_alarm_email_nobody_is_subscribed(template_json: dict[str, Any]) -> None:
    # Given cdk.json's context, which names no alarm_email
    # When the stack is synthesized
    # Then the topic exists without subscriptions (subscribe whoever is on call to the AlarmTopicArn output)
    assert alarm_topic(template_json)
    assert resources_of_type(template_json, "AWS::SNS::Subscription") == {}


def test_an_alarm_email_from_the_context_is_subscribed_to_the_topic(tmp_path: Path) -> None:
    # Given `make deploy ARGS="-c alarm_email=ops@example.com"`
    app = build_app(context={**cdk_json_context(), ALARM_EMAIL_CONTEXT_KEY: "ops@example.com"}, outdir=str(tmp_path))
    # When the app is synthesized (with cdk-nag, as the CLI would)
    assembly = app.synth()
    template_json = assembly.get_stack_by_name(SETTINGS.service_name).template
    # Then that address is subscribed by e-mail to the alarm topic
    subscriptions = list(resources_of_type(template_json, "AWS::SNS::Subscription").values())
    assert [subscription["Properties"] for subscription in subscriptions] == [
        {"Protocol": "email", "Endpoint": "ops@example.com", "TopicArn": {"Ref": alarm_topic(template_json)}}
    ]


@pytest.mark.parametrize("value", ["ops", "ops@example", "ops@example.", "ops @example.com", "", "a@b@c.com", 42])
def test_an_alarm_email_that_is_no_address_is_refused(value: object) -> None:
    # Given a context value that is not an e-mail address (a typo, a missing value, a number in cdk.json)
    app = App(context={ALARM_EMAIL_CONTEXT_KEY: value})
    # When reading it
    # Then it is refused with a message naming the setting and an example
    with pytest.raises(InvalidAlarmEmail, match=r"alarm_email=.*ops@example\.com"):
        alarm_email(app)


def test_an_alarm_email_that_is_no_address_stops_the_synth() -> None:
    # Given `make deploy ARGS="-c alarm_email=ops@example"` (no top-level domain)
    context = {**cdk_json_context(), ALARM_EMAIL_CONTEXT_KEY: "ops@example"}
    # When the app is built
    # Then it stops before anything is synthesized, rather than deploy a subscription nobody can confirm
    with pytest.raises(InvalidAlarmEmail):
        build_app(context=context)
