"""Alarms for everything that can fail quietly in an asynchronous flow."""

from collections.abc import Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

PERIOD = Duration.minutes(5)
# Well inside the relay's maximum record age (1 h), so someone looks before records are discarded.
ITERATOR_AGE_THRESHOLD = Duration.minutes(10)


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
        self.alarms.append(
            cloudwatch.Alarm(
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
        )
