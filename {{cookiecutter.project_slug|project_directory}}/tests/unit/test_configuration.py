"""The functions' configuration: what the stack writes as environment variables, each handler reads back."""

import pytest

from {{ cookiecutter.package_name }}.configuration import (
    CreateConfiguration,
    FunctionConfiguration,
    ReadConfiguration,
    RelayConfiguration,
    SagaActionConfiguration,
)

CONFIGURATIONS = [
    CreateConfiguration("entities", "outbox", "idempotency", 86_400, 7),
    ReadConfiguration("entities"),
    RelayConfiguration("arn:aws:states:us-east-1:123456789012:stateMachine:saga", "STANDARD"),
    RelayConfiguration("arn:aws:states:us-east-1:123456789012:stateMachine:saga", "EXPRESS", "claims", 7),
    SagaActionConfiguration("process_payment", "step", "entities"),
]


@pytest.mark.parametrize("configuration", CONFIGURATIONS, ids=lambda configuration: type(configuration).__name__)
def test_a_handler_reads_back_exactly_what_the_stack_wrote(configuration: FunctionConfiguration) -> None:
    # Given a function's configuration as the stack builds it; When it becomes environment variables and is read
    environment = configuration.as_environment()
    # Then the handler gets the same values, typed, and every variable is text named after its field
    assert type(configuration).from_environment(environment) == configuration
    assert all(name.isupper() and isinstance(value, str) for name, value in environment.items())


def test_an_absent_optional_setting_sets_no_variable() -> None:
    environment = CONFIGURATIONS[2].as_environment()
    assert environment.keys() == {"STATE_MACHINE_ARN", "WORKFLOW_TYPE"}


def test_a_missing_variable_is_named() -> None:
    with pytest.raises(KeyError, match="IDEMPOTENCY_TTL_SECONDS"):
        CreateConfiguration.from_environment(
            {
                "ENTITY_TABLE_NAME": "e",
                "OUTBOX_TABLE_NAME": "o",
                "IDEMPOTENCY_TABLE_NAME": "i",
                "OUTBOX_RETENTION_DAYS": "7",
            }
        )


def test_an_unknown_action_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="SAGA_ACTION_KIND must be one of"):
        SagaActionConfiguration.from_environment(
            {"SAGA_ACTION": "x", "SAGA_ACTION_KIND": "rollback", "ENTITY_TABLE_NAME": "entities"}
        )
