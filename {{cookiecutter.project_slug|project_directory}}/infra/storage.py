"""The service's state: the entity, outbox, idempotency (and dispatch-claim) tables and the failure queues."""

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.saga_asl import retriable_failures_queue_needed
from infra.saga_model import SagaStep, pascal
from infra.settings import ServiceSettings

# The longest SQS allows: a failed delivery stays available for a redrive as long as possible.
FAILURE_RETENTION = Duration.days(14)
OUTBOX_TTL_ATTRIBUTE = "expires_at"
# Powertools' DynamoDBPersistenceLayer defaults.
IDEMPOTENCY_KEY = "id"
IDEMPOTENCY_TTL_ATTRIBUTE = "expiration"
DISPATCH_CLAIM_TTL_ATTRIBUTE = "expires_at"


def _table(
    scope: Construct,
    id: str,
    partition_key: str,
    *,
    time_to_live_attribute: str | None = None,
    stream: dynamodb.StreamViewType | None = None,
) -> dynamodb.Table:
    return dynamodb.Table(
        scope,
        id,
        partition_key=dynamodb.Attribute(name=partition_key, type=dynamodb.AttributeType.STRING),
        billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
        encryption=dynamodb.TableEncryption.AWS_MANAGED,
        point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
            point_in_time_recovery_enabled=True
        ),
        time_to_live_attribute=time_to_live_attribute,
        stream=stream,
    )


def _failure_queue(scope: Construct, id: str) -> sqs.Queue:
    return sqs.Queue(
        scope,
        id,
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=FAILURE_RETENTION,
    )


class Storage(Construct):
    def __init__(self, scope: Construct, id: str, *, settings: ServiceSettings, steps: tuple[SagaStep, ...]) -> None:
        super().__init__(scope, id)
        self.entity_table = _table(self, f"{pascal(settings.domain_plural)}Table", "id")
        # Rows outlive their stream records (24 h) until the TTL, so a failed delivery can be redriven from them.
        self.outbox_table = _table(
            self,
            "OutboxTable",
            "event_id",
            stream=dynamodb.StreamViewType.NEW_IMAGE,
            time_to_live_attribute=OUTBOX_TTL_ATTRIBUTE,
        )
        self.idempotency_table = _table(
            self, "IdempotencyTable", IDEMPOTENCY_KEY, time_to_live_attribute=IDEMPOTENCY_TTL_ATTRIBUTE
        )
        # Express executions are not deduplicated by name, so the relay claims each event here before starting one.
        self.dispatch_claims_table = (
            _table(self, "DispatchClaimsTable", "event_id", time_to_live_attribute=DISPATCH_CLAIM_TTL_ATTRIBUTE)
            if settings.workflow_type == "EXPRESS"
            else None
        )
        self.relay_failures_queue = _failure_queue(self, "RelayFailuresQueue") if settings.dlq_enabled else None
        # Only needed when the ASL reports exhausted retriable steps, i.e. with the dlq and a step after the pivot.
        self.retriable_failures_queue = (
            _failure_queue(self, "RetriableFailuresQueue")
            if retriable_failures_queue_needed(steps, dlq_enabled=settings.dlq_enabled)
            else None
        )

    @property
    def failure_queues(self) -> list[sqs.Queue]:
        return [queue for queue in (self.relay_failures_queue, self.retriable_failures_queue) if queue]
