"""The service's one stack: wires the constructs together and names the outputs other tools read."""

from typing import Any

from aws_cdk import CfnOutput, Stack, Tags
from constructs import Construct

from infra.api import Api
from infra.functions import FunctionFactory
from infra.monitoring import Monitoring
from infra.nag import acknowledge_findings
from infra.outbox_relay import OutboxRelay
from infra.saga import Saga
from infra.saga_model import SagaStep
from infra.settings import ServiceSettings
from infra.storage import Storage


class ServiceStack(Stack):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: ServiceSettings,
        saga_steps: tuple[SagaStep, ...],
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        # Not on the alarm topic's KMS key (its description names the service): moto 5.2.5's CloudFormation hands a
        # key's Tags to KMS in the wrong shape (KeyError 'TagKey'), which would fail every deploy to the embedded AWS.
        Tags.of(self).add("service", settings.service_name, exclude_resource_types=["AWS::KMS::Key"])
        functions = FunctionFactory(self, settings)
        self.storage = Storage(self, "Storage", settings=settings, steps=saga_steps)
        self.saga = Saga(self, "Saga", settings=settings, steps=saga_steps, functions=functions, storage=self.storage)
        self.relay = OutboxRelay(
            self,
            "OutboxRelay",
            settings=settings,
            functions=functions,
            storage=self.storage,
            state_machine=self.saga.state_machine,
        )
        self.api = Api(self, "Api", settings=settings, functions=functions, storage=self.storage)
        self.monitoring = Monitoring(
            self,
            "Monitoring",
            state_machine=self.saga.state_machine,
            functions=functions.functions,
            relay_function=self.relay.function,
            failure_queues=self.storage.failure_queues,
        )
        acknowledge_findings(
            self,
            settings=settings,
            storage=self.storage,
            api=self.api,
            functions=functions.functions,
            state_machine=self.saga.state_machine,
        )

        CfnOutput(self, "ApiUrl", value=self.api.rest_api.url, description="Base URL of the REST API")
        CfnOutput(self, "StateMachineArn", value=self.saga.state_machine.state_machine_arn)
        CfnOutput(self, "EntityTableName", value=self.storage.entity_table.table_name)
        CfnOutput(self, "OutboxTableName", value=self.storage.outbox_table.table_name)
        # `make redrive` hands given-up outbox events back to the relay.
        CfnOutput(self, "OutboxRelayFunctionName", value=self.relay.function.function_name)
        # Every alarm notifies this topic; subscribe whoever is on call (or deploy with -c alarm_email=...).
        CfnOutput(self, "AlarmTopicArn", value=self.monitoring.alarm_topic.topic.topic_arn)
        for queue in self.storage.failure_queues:
            CfnOutput(self, f"{queue.node.id}Url", value=queue.queue_url)
