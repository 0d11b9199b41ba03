"""One saga step or compensation, chosen by the function's SAGA_ACTION environment variable.

Every step and compensation is its own Lambda function (own role, own alarms, own retries in the
state machine) sharing this handler. Step Functions sees an exception's class name as the error
name and applies the definition's Retry and Catch rules: a step's BusinessError passes with its own
name (a refusal, not retried); any other exception of a step becomes StepOutcomeUnknown (retried, then
compensated as possibly done). A compensation's exceptions pass as they are: it retries on any error.
"""

from datetime import UTC, datetime
from functools import cache
from typing import Any

import boto3
from aws_lambda_powertools import Logger{% if cookiecutter.tracing == "enabled" %}, Tracer{% endif %}
from aws_lambda_powertools.utilities.typing import LambdaContext

from {{ cookiecutter.package_name }}.configuration import SagaActionConfiguration
from {{ cookiecutter.package_name }}.dal.entities import EntityStore
from {{ cookiecutter.package_name }}.errors import BusinessError, StepOutcomeUnknown
from {{ cookiecutter.package_name }}.logic import actions
from {{ cookiecutter.package_name }}.logic.saga import ActionFunction, run_action

configuration = SagaActionConfiguration.from_environment()
ACTION, KIND = configuration.saga_action, configuration.saga_action_kind
perform: ActionFunction = getattr(actions, ACTION)

logger = Logger()
{%- if cookiecutter.tracing == "enabled" %}
# X-Ray patches every library it can trace that is installed: a provider's client (providers.py) may call out with one.
tracer = Tracer()
{%- endif %}


# Built on the first request, not at import: importing the handler is the cold start.
@cache
def store() -> EntityStore:
    return EntityStore(boto3.client("dynamodb"), configuration.entity_table_name)


# clear_state: the keys appended below belong to one invocation, not to the warm container.
@logger.inject_lambda_context(clear_state=True)
{%- if cookiecutter.tracing == "enabled" %}
@tracer.capture_lambda_handler
{%- endif %}
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(entity_id=event["entity_id"], action=ACTION)
    try:
        outcome = run_action(store(), event["entity_id"], ACTION, KIND, perform, datetime.now(UTC))
    except Exception as error:
        if KIND == "compensation" or isinstance(error, BusinessError):
            raise
        logger.exception("saga step failed with an unknown outcome")
        raise StepOutcomeUnknown(f"{type(error).__name__}: {error}") from error
    logger.info("saga action finished", outcome=outcome["outcome"])
    return outcome
