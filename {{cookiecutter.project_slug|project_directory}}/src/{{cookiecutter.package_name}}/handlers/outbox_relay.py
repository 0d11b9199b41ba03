"""Outbox stream -> saga: start one execution per outbox event, reporting failed records individually."""

{% if cookiecutter.workflow_type == "EXPRESS" -%}
from datetime import timedelta
{% endif -%}
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger{% if cookiecutter.tracing == "enabled" %}, Tracer{% endif %}
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.dynamo_db_stream_event import DynamoDBRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from {{ cookiecutter.package_name }}.configuration import RelayConfiguration
{% if cookiecutter.workflow_type == "EXPRESS" -%}
from {{ cookiecutter.package_name }}.dal.dispatch_claims import ClaimingStarter
{% endif -%}
from {{ cookiecutter.package_name }}.dal.executions import StepFunctionsStarter
from {{ cookiecutter.package_name }}.logic.dispatch import ExecutionStarter, start_saga

logger = Logger()
{%- if cookiecutter.tracing == "enabled" %}
# Its only calls are AWS calls: X-Ray patches botocore alone, not every library it could trace that is installed.
tracer = Tracer(patch_modules=["botocore"])
{%- endif %}
processor = BatchProcessor(event_type=EventType.DynamoDBStreams)
configuration = RelayConfiguration.from_environment()
{%- if cookiecutter.workflow_type == "EXPRESS" %}
# EXPRESS executions are not deduplicated by name: claim each event before starting it.
if configuration.dispatch_claims_table_name is None or configuration.dispatch_claim_retention_days is None:
    raise RuntimeError("an EXPRESS relay needs DISPATCH_CLAIMS_TABLE_NAME and DISPATCH_CLAIM_RETENTION_DAYS")
CLAIMS_TABLE_NAME = configuration.dispatch_claims_table_name
CLAIM_RETENTION = timedelta(days=configuration.dispatch_claim_retention_days)
{%- endif %}


# Built on the first request, not at import: importing the handler is the cold start.
@cache
def starter() -> ExecutionStarter:
{%- if cookiecutter.workflow_type == "EXPRESS" %}
    return ClaimingStarter(
        boto3.client("dynamodb"),
        CLAIMS_TABLE_NAME,
        StepFunctionsStarter(boto3.client("stepfunctions"), configuration.state_machine_arn),
        retention=CLAIM_RETENTION,
    )
{%- else %}
    # STANDARD executions are deduplicated by name, so the event id alone makes the start idempotent.
    return StepFunctionsStarter(boto3.client("stepfunctions"), configuration.state_machine_arn)
{%- endif %}


{% if cookiecutter.tracing == "enabled" -%}
@tracer.capture_method
{% endif -%}
def dispatch_record(record: DynamoDBRecord) -> None:
    if record.dynamodb is None or not record.dynamodb.new_image:
        raise ValueError(f"stream record {record.event_id} carries no new image")
    outbox_event = record.dynamodb.new_image
    outcome = start_saga(outbox_event, starter())
    logger.info("outbox event relayed", event_id=outbox_event["event_id"], outcome=outcome)


@logger.inject_lambda_context
{%- if cookiecutter.tracing == "enabled" %}
@tracer.capture_lambda_handler
{%- endif %}
def handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(event=event, record_handler=dispatch_record, processor=processor, context=context)
