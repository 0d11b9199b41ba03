"""Alarms for everything that can fail quietly in an asynchronous flow, and the topic they notify."""

import re
from collections.abc import Sequence

from aws_cdk import ArnFormat, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

PERIOD = Duration.minutes(5)
# Well inside the relay's maximum record age (1 h), so someone looks before records are discarded.
ITERATOR_AGE_THRESHOLD = Duration.minutes(10)
# `make deploy ARGS="-c alarm_email=ops@example.com"` subscribes that address to the alarm topic.
ALARM_EMAIL_CONTEXT_KEY = "alarm_email"
# Catches a typo or a misplaced argument, not every RFC 5322 form; SNS itself confirms the address by
# sending it a subscription confirmation that someone must accept before any alarm is delivered.
EMAIL_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
CLOUDWATCH = iam.ServicePrincipal("cloudwatch.amazonaws.com")


class InvalidAlarmEmail(ValueError):
    """The ``alarm_email`` context value is not an e-mail address; raised while the app is built (synth fails)."""


def alarm_email(scope: Construct) -> str | None:
    """The address from the ``alarm_email`` context value, or None when it is absent.

    Raises InvalidAlarmEmail for anything else than ``name@domain.tld`` (CLI context values arrive as strings).
    """
    value = scope.node.try_get_context(ALARM_EMAIL_CONTEXT_KEY)
    if value is None:
        return None
    if not isinstance(value, str) or not EMAIL_ADDRESS.fullmatch(value):
        raise InvalidAlarmEmail(
            f"-c {ALARM_EMAIL_CONTEXT_KEY}={value!r} is not an e-mail address: pass one like "
            f"-c {ALARM_EMAIL_CONTEXT_KEY}=ops@example.com, or leave it out to create the alarm topic without a "
            "subscription"
        )
    return value


class AlarmTopic(Construct):
    """The SNS topic every alarm notifies, encrypted with its own key, TLS only, optionally mailing one address.

    CloudWatch cannot publish to a topic encrypted with the AWS-managed key (alias/aws/sns): it needs a
    customer-managed key whose policy lets it use the key, and a topic policy that lets its alarms publish
    (https://docs.aws.amazon.com/sns/latest/dg/sns-key-management.html#compatibility-with-aws-services,
    https://repost.aws/knowledge-center/cloudwatch-receive-sns-for-alarm-trigger).
    """

    def __init__(self, scope: Construct, id: str, *, email: str | None) -> None:
        super().__init__(scope, id)
        stack = Stack.of(self)
        self.key = kms.Key(
            self,
            "Key",
            description=f"{stack.stack_name}: encrypts alarm notifications on their way through SNS",
            enable_key_rotation=True,
            # SNS keeps no message once delivered, so nothing needs the key after the topic is gone.
            removal_policy=RemovalPolicy.DESTROY,
            pending_window=Duration.days(7),
        )
        self.topic = sns.Topic(
            self, "Topic", display_name=f"{stack.stack_name} alarms", master_key=self.key, enforce_ssl=True
        )
        # Only this account's alarms in this region, so another account cannot use the topic (confused deputy).
        from_own_alarms = {
            "ArnLike": {
                "aws:SourceArn": stack.format_arn(
                    service="cloudwatch",
                    resource="alarm",
                    resource_name="*",
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                )
            }
        }
        self.topic.add_to_resource_policy(
            iam.PolicyStatement(
                principals=[CLOUDWATCH],
                actions=["sns:Publish"],
                resources=[self.topic.topic_arn],
                conditions=from_own_alarms,
            )
        )
        # The key encrypts nothing but this topic's messages; the grant is what lets CloudWatch publish at all.
        self.key.grant(CLOUDWATCH, "kms:Decrypt", "kms:GenerateDataKey*")
        if email is not None:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))


class Monitoring(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        state_machine: sfn.StateMachine,
        functions: Sequence[lambda_.Function],
        relay_function: lambda_.Function,
        failure_queues: Sequence[sqs.Queue],
    ) -> None:
        super().__init__(scope, id)
        self.alarm_topic = AlarmTopic(self, "AlarmTopic", email=alarm_email(self))
        self.alarms: list[cloudwatch.Alarm] = []

        failed_executions = cloudwatch.MathExpression(
            expression="failed + timedOut",
            using_metrics={
                "failed": state_machine.metric_failed(period=PERIOD),
                "timedOut": state_machine.metric_timed_out(period=PERIOD),
            },
            label="Failed and timed-out saga executions",
            period=PERIOD,
        )
        self._alarm("SagaExecutionsFailedAlarm", failed_executions, "A saga execution failed or timed out")

        for function in functions:
            self._alarm(
                f"{function.node.id}ErrorsAlarm",
                function.metric_errors(period=PERIOD),
                f"{function.node.id} raised an error",
            )

        self._alarm(
            "RelayIteratorAgeAlarm",
            relay_function.metric("IteratorAge", statistic=cloudwatch.Stats.MAXIMUM, period=PERIOD),
            "Outbox events wait too long for the relay",
            threshold=ITERATOR_AGE_THRESHOLD.to_milliseconds(),
        )

        for queue in failure_queues:
            self._alarm(
                f"{queue.node.id}DepthAlarm",
                queue.metric_approximate_number_of_messages_visible(statistic=cloudwatch.Stats.MAXIMUM, period=PERIOD),
                f"{queue.node.id} holds failed deliveries to inspect and redrive",
            )

    def _alarm(self, id: str, metric: cloudwatch.IMetric, description: str, *, threshold: float = 1) -> None:
        alarm = cloudwatch.Alarm(
            self,
            id,
            metric=metric,
            alarm_description=description,
            threshold=threshold,
            evaluation_periods=1,
            comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            # No traffic is not a failure.
            treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
        )
        # Notified when the alarm fires and again when it clears, so nobody is left watching a solved problem.
        notify = cloudwatch_actions.SnsAction(self.alarm_topic.topic)
        alarm.add_alarm_action(notify)
        alarm.add_ok_action(notify)
        self.alarms.append(alarm)
