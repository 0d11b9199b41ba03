"""The relay: reads new outbox events from the table's stream and starts one saga execution per event."""

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.functions import FunctionFactory
from infra.settings import RELAY_BATCH_SIZE, ServiceSettings
from infra.storage import Storage

from {{ cookiecutter.package_name }}.configuration import RelayConfiguration

RELAY_TIMEOUT = Duration.seconds(60)
# Without these a failing record is retried until it leaves the stream (24 h) and blocks its shard meanwhile.
RETRY_ATTEMPTS = 3
MAX_RECORD_AGE = Duration.hours(1)


class OutboxRelay(Construct):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: ServiceSettings,
        functions: FunctionFactory,
        storage: Storage,
        state_machine: sfn.StateMachine,
    ) -> None:
        super().__init__(scope, id)
        claims = storage.dispatch_claims_table
        configuration = RelayConfiguration(
            state_machine_arn=state_machine.state_machine_arn,
            workflow_type=settings.workflow_type,
            dispatch_claims_table_name=claims.table_name if claims else None,
            dispatch_claim_retention_days=settings.outbox_retention_days if claims else None,
        )

        self.function = functions.create(
            self,
            "OutboxRelayFunction",
            handler=f"{settings.package_name}.handlers.outbox_relay.handler",
            description="Starts one saga execution per new outbox event",
            environment=configuration.as_environment(),
            timeout=RELAY_TIMEOUT,
        )
        state_machine.grant_start_execution(self.function)
        if storage.dispatch_claims_table:
            storage.dispatch_claims_table.grant(
                self.function, "dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"
            )

        self.function.add_event_source(
            event_sources.DynamoEventSource(
                storage.outbox_table,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=RELAY_BATCH_SIZE,
                bisect_batch_on_error=True,
                retry_attempts=RETRY_ATTEMPTS,
                max_record_age=MAX_RECORD_AGE,
                report_batch_item_failures=True,
                # TTL deletions (REMOVE) would otherwise invoke the relay for nothing.
                filters=[lambda_.FilterCriteria.filter({"eventName": lambda_.FilterRule.is_equal("INSERT")})],
                # Receives the failed batch's shard and sequence numbers, from which the outbox rows can be redriven.
                on_failure=(
                    event_sources.SqsDlq(storage.relay_failures_queue) if storage.relay_failures_queue else None
                ),
            )
        )
