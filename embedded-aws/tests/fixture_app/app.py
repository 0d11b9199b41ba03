"""The fixture CDK app: one small stack with every kind of resource the embedded AWS runs, and nothing of a service.

POST /items (AWS_IAM) -> ``fixture_create`` writes an item and an outbox row in one transaction (Powertools
idempotency on the Idempotency-Key header); the outbox table's stream -> ``fixture_relay`` (batch size, filter,
retries, bisect, maximum record age, an SQS on-failure destination) starts one STANDARD execution per row, named
after the row's event id; the state machine waits, then invokes ``fixture_complete`` (with the Lambda service
retries CDK adds), which marks the item COMPLETED. GET /items/{id} -> ``fixture_get``. A second mapping on the stream
(``fixture_audit``) is declared disabled. (No MOCK integration: moto's CloudFormation cannot create one; the routing
tests cover it with a template of their own.)

``python app.py`` writes the assembly to CDK_OUTDIR (or cdk.out); the suite's conftest.py calls ``build_app``.
"""

import json
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_apigateway as apigateway
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_lambda_event_sources as event_sources
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

HANDLERS = Path(__file__).resolve().parent / "handlers"
STACK_NAME = "EmbeddedAwsFixture"
IDEMPOTENCY_TTL_SECONDS = 3600
RELAY_BATCH_SIZE = 2
# Shorter than the stream's 24 h retention, so that a record can be too old for the mapping while still in the stream.
MAX_RECORD_AGE = cdk.Duration.hours(1)
WAIT_SECONDS = 60
# Wait, then complete the item; the Lambda service's errors are retried, as CDK's LambdaInvoke retries them.
ASL = {
    "StartAt": "Pause",
    "States": {
        "Pause": {"Type": "Wait", "Seconds": WAIT_SECONDS, "Next": "Complete"},
        "Complete": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": "${CompleteFunctionArn}", "Payload.$": "$"},
            "Retry": [
                {
                    "ErrorEquals": ["Lambda.ServiceException", "Lambda.TooManyRequestsException"],
                    "IntervalSeconds": 2,
                    "MaxAttempts": 3,
                    "BackoffRate": 2,
                }
            ],
            "End": True,
        },
    },
}


class FixtureStack(cdk.Stack):
    def __init__(self, scope: Construct, id: str, **kwargs: object) -> None:
        super().__init__(scope, id, **kwargs)  # type: ignore[arg-type]
        items = self.table("ItemsTable", "id")
        outbox = self.table("OutboxTable", "event_id", stream=dynamodb.StreamViewType.NEW_IMAGE)
        idempotency = self.table("IdempotencyTable", "id")
        failures = sqs.Queue(self, "FailuresQueue")

        create = self.function(
            "CreateFunction",
            "fixture_create",
            ITEMS_TABLE_NAME=items.table_name,
            OUTBOX_TABLE_NAME=outbox.table_name,
            IDEMPOTENCY_TABLE_NAME=idempotency.table_name,
            IDEMPOTENCY_TTL_SECONDS=str(IDEMPOTENCY_TTL_SECONDS),
        )
        get = self.function("GetFunction", "fixture_get", ITEMS_TABLE_NAME=items.table_name)
        complete = self.function("CompleteFunction", "fixture_complete", ITEMS_TABLE_NAME=items.table_name)
        items.grant_read_write_data(create)
        outbox.grant_write_data(create)
        idempotency.grant_read_write_data(create)
        items.grant_read_data(get)
        items.grant_read_write_data(complete)

        machine = sfn.StateMachine(
            self,
            "StateMachine",
            # An ASL string with substitutions, as a service writes it: the embedded AWS resolves Ref and Fn::GetAtt
            # in DefinitionSubstitutions, not the Fn::Join (with AWS::Partition) that CDK's task constructs write.
            definition_body=sfn.DefinitionBody.from_string(json.dumps(ASL)),
            definition_substitutions={"CompleteFunctionArn": complete.function_arn},
            state_machine_type=sfn.StateMachineType.STANDARD,
        )
        complete.grant_invoke(machine)

        relay = self.function("RelayFunction", "fixture_relay", STATE_MACHINE_ARN=machine.state_machine_arn)
        machine.grant_start_execution(relay)
        relay.add_event_source(
            event_sources.DynamoEventSource(
                outbox,
                starting_position=lambda_.StartingPosition.TRIM_HORIZON,
                batch_size=RELAY_BATCH_SIZE,
                bisect_batch_on_error=True,
                retry_attempts=2,
                max_record_age=MAX_RECORD_AGE,
                report_batch_item_failures=True,
                filters=[lambda_.FilterCriteria.filter({"eventName": lambda_.FilterRule.is_equal("INSERT")})],
                on_failure=event_sources.SqsDlq(failures),
            )
        )
        audit = self.function("AuditFunction", "fixture_audit")
        audit.add_event_source(
            event_sources.DynamoEventSource(
                outbox, starting_position=lambda_.StartingPosition.TRIM_HORIZON, batch_size=100, enabled=False
            )
        )

        api = apigateway.RestApi(self, "Api", cloud_watch_role=False)
        collection = api.root.add_resource("items")
        collection.add_method(
            "POST",
            apigateway.LambdaIntegration(create, allow_test_invoke=False),
            authorization_type=apigateway.AuthorizationType.IAM,
        )
        collection.add_resource("{id}").add_method("GET", apigateway.LambdaIntegration(get, allow_test_invoke=False))

        for name, value in {
            "ItemsTableName": items.table_name,
            "OutboxTableName": outbox.table_name,
            "IdempotencyTableName": idempotency.table_name,
            "FailuresQueueUrl": failures.queue_url,
            "StateMachineArn": machine.state_machine_arn,
        }.items():
            cdk.CfnOutput(self, name, value=value)

    def table(self, id: str, key: str, *, stream: dynamodb.StreamViewType | None = None) -> dynamodb.Table:
        return dynamodb.Table(
            self,
            id,
            partition_key=dynamodb.Attribute(name=key, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            stream=stream,
            removal_policy=cdk.RemovalPolicy.DESTROY,
        )

    def function(self, id: str, module: str, **environment: str) -> lambda_.Function:
        return lambda_.Function(
            self,
            id,
            runtime=lambda_.Runtime.PYTHON_3_12,
            code=lambda_.Code.from_asset(str(HANDLERS)),
            handler=f"{module}.handler",
            timeout=cdk.Duration.seconds(10),
            environment={"POWERTOOLS_SERVICE_NAME": "embedded-aws-fixture", **environment},
        )


def build_app(outdir: str | None = None) -> cdk.App:
    app = cdk.App(outdir=outdir)
    FixtureStack(app, STACK_NAME, synthesizer=cdk.DefaultStackSynthesizer(generate_bootstrap_version_rule=False))
    return app


if __name__ == "__main__":
    build_app().synth()
