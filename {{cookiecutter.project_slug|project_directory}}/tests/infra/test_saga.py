"""The saga state machine: definition, substitutions, type, logging, tracing and its permissions."""

import dataclasses
import json
import re
from typing import Any

import aws_cdk as cdk
from aws_cdk.assertions import Template

from app import cdk_json_context
from infra.saga_asl import build_asl, placeholders
from infra.saga_model import IamGrant, action_names, pascal
from infra.saga_steps import SAGA_STEPS
from infra.settings import SETTINGS
from infra.stack import ServiceStack
from tests.infra.support import (
    actions_on,
    all_actions,
    as_list,
    expected_failure_queues,
    function_role_statements,
    logical_id_of_type,
    resources_of_type,
    role_statements,
)

PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


def state_machine(template_json: dict[str, Any]) -> dict[str, Any]:
    machines = list(resources_of_type(template_json, "AWS::StepFunctions::StateMachine").values())
    assert len(machines) == 1
    properties: dict[str, Any] = machines[0]["Properties"]
    return properties


def action_function_ids(template_json: dict[str, Any]) -> dict[str, str]:
    return {
        action: logical_id_of_type(template_json, "AWS::Lambda::Function", f"{pascal(action)}Function")
        for action in action_names(SAGA_STEPS)
    }


def test_substitutions_cover_exactly_the_placeholders_of_the_inline_definition(template_json: dict[str, Any]) -> None:
    # Given the checked-in ASL, inlined so cfn-lint and the local runtime can read it
    properties = state_machine(template_json)
    definition = properties["DefinitionString"]
    assert isinstance(definition, str)
    # When comparing its ${...} placeholders with the substitutions CloudFormation applies
    used = set(PLACEHOLDER.findall(definition))
    # Then each placeholder has exactly one substitution and no substitution is unused
    assert set(properties["DefinitionSubstitutions"]) == used
    assert used == placeholders(SAGA_STEPS, dlq_enabled=SETTINGS.dlq_enabled)


def test_each_action_placeholder_names_its_own_function(template_json: dict[str, Any]) -> None:
    # Given one function per saga action
    functions = action_function_ids(template_json)
    # When the stack is synthesized
    substitutions = state_machine(template_json)["DefinitionSubstitutions"]
    # Then the ASL invokes each action's own function, writes the entity table, and reports to the queue (dlq)
    for action, function in functions.items():
        assert substitutions[f"{pascal(action)}FunctionArn"] == {"Fn::GetAtt": [function, "Arn"]}
    entity_table = logical_id_of_type(template_json, "AWS::DynamoDB::Table", f"{pascal(SETTINGS.domain_plural)}Table")
    assert substitutions["EntityTableName"] == {"Ref": entity_table}
    if "RetriableFailuresQueue" in expected_failure_queues():
        queue = logical_id_of_type(template_json, "AWS::SQS::Queue", "RetriableFailuresQueue")
        assert substitutions["RetriableFailuresQueueUrl"] == {"Ref": queue}


def test_deployed_definition_is_the_one_generated_from_the_steps(template_json: dict[str, Any]) -> None:
    # Given statemachine/saga.asl.json, read by the stack
    # When the stack is synthesized
    definition = json.loads(state_machine(template_json)["DefinitionString"])
    # Then the deployed definition is the one generated from the saga steps
    assert definition == build_asl(SAGA_STEPS, dlq_enabled=SETTINGS.dlq_enabled)


def test_type_tracing_and_logging_follow_the_settings(template_json: dict[str, Any]) -> None:
    # Given the workflow type and tracing options
    # When the stack is synthesized
    properties = state_machine(template_json)
    # Then the state machine has that type and traces only when enabled
    assert properties["StateMachineType"] == SETTINGS.workflow_type
    assert properties.get("TracingConfiguration", {"Enabled": False}) == {"Enabled": SETTINGS.tracing_enabled}
    # And Express, whose history exists only in CloudWatch Logs, logs every event without payloads
    if SETTINGS.workflow_type == "EXPRESS":
        logging = properties["LoggingConfiguration"]
        assert logging["Level"] == "ALL"
        assert logging["IncludeExecutionData"] is False
        group = logging["Destinations"][0]["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
        assert template_json["Resources"][group]["Properties"]["LogGroupName"].startswith("/aws/vendedlogs/states/")
    else:
        assert "LoggingConfiguration" not in properties


def test_state_machine_invokes_only_the_action_functions(template_json: dict[str, Any]) -> None:
    # Given the state machine's role
    role = state_machine(template_json)["RoleArn"]["Fn::GetAtt"][0]
    statements = role_statements(template_json, role)
    # When looking at its lambda permissions
    invoke = [statement for statement in statements if statement["Action"] == "lambda:InvokeFunction"]
    # Then it may invoke exactly the action functions, by their unqualified ARNs
    assert len(invoke) == 1
    expected = [{"Fn::GetAtt": [function, "Arn"]} for function in action_function_ids(template_json).values()]
    assert sorted(map(json.dumps, as_list(invoke[0]["Resource"]))) == sorted(map(json.dumps, expected))


def test_state_machine_writes_the_final_status_and_reports_to_the_queue(template_json: dict[str, Any]) -> None:
    # Given the state machine's role
    role = state_machine(template_json)["RoleArn"]["Fn::GetAtt"][0]
    statements = role_statements(template_json, role)
    entity_table = logical_id_of_type(template_json, "AWS::DynamoDB::Table", f"{pascal(SETTINGS.domain_plural)}Table")
    # When looking at its data permissions
    # Then it updates entities (final status, retriable failures) and nothing else in DynamoDB
    assert actions_on(statements, entity_table) == {"dynamodb:UpdateItem"}
    assert {a for a in all_actions(statements) if a.startswith("dynamodb:")} == {"dynamodb:UpdateItem"}
    # And sends to the retriable-failures queue only when the ASL reports exhausted retriable steps there
    sqs = {a for a in all_actions(statements) if a.startswith("sqs:")}
    if "RetriableFailuresQueue" in expected_failure_queues():
        queue = logical_id_of_type(template_json, "AWS::SQS::Queue", "RetriableFailuresQueue")
        assert actions_on(statements, queue) == {"sqs:SendMessage"} == sqs
    else:
        assert sqs == set()


def test_action_functions_know_their_action_and_only_read_and_update_entities(template_json: dict[str, Any]) -> None:
    compensations = {step.compensation for step in SAGA_STEPS if step.compensation}
    entity_table = logical_id_of_type(template_json, "AWS::DynamoDB::Table", f"{pascal(SETTINGS.domain_plural)}Table")
    for action, function_id in action_function_ids(template_json).items():
        # Given an action's function
        function = template_json["Resources"][function_id]
        # When the stack is synthesized
        variables = function["Properties"]["Environment"]["Variables"]
        statements = function_role_statements(template_json, function)
        # Then it runs the shared handler as that action, and can only read and update entities
        assert function["Properties"]["Handler"] == f"{SETTINGS.package_name}.handlers.saga_action.handler"
        assert variables["SAGA_ACTION"] == action
        assert variables["SAGA_ACTION_KIND"] == ("compensation" if action in compensations else "step")
        assert variables["ENTITY_TABLE_NAME"] == {"Ref": entity_table}
        assert {a for a in all_actions(statements) if a.startswith("dynamodb:")} == {
            "dynamodb:GetItem",
            "dynamodb:UpdateItem",
        }
        assert actions_on(statements, entity_table) == {"dynamodb:GetItem", "dynamodb:UpdateItem"}


def test_each_step_s_timeout_memory_and_environment_reach_its_functions_and_its_tasks(
    template_json: dict[str, Any],
) -> None:
    # Given the step list's per-step settings
    functions = resources_of_type(template_json, "AWS::Lambda::Function")
    ids = action_function_ids(template_json)
    definition = json.loads(state_machine(template_json)["DefinitionString"])
    for step in SAGA_STEPS:
        for action in filter(None, [step.name, step.compensation]):
            # When the stack is synthesized
            properties = functions[ids[action]]["Properties"]
            task = definition["States"][pascal(action)]
            # Then the step's function and its compensation's have its timeout, memory and extra variables, and
            # the state machine gives up an attempt at the same timeout
            assert properties["Timeout"] == step.timeout_seconds == task["TimeoutSeconds"]
            assert properties["MemorySize"] == step.memory_mb
            assert dict(step.environment).items() <= properties["Environment"]["Variables"].items()


def test_a_step_s_secrets_parameters_and_extra_grants_reach_its_own_functions_only() -> None:
    # Given the first step with a secret, a parameter and an extra permission (the ASL does not change)
    # Names no step list uses (the README's examples might be), so the probe is told apart from real grants.
    ledger_queue = "arn:aws:sqs:us-east-1:123456789012:step-access-probe"
    first = dataclasses.replace(
        SAGA_STEPS[0],
        secrets=("step-access-probe/secret",),
        parameters=("/step-access-probe/parameter",),
        grants=(IamGrant(actions=("sqs:SendMessage",), resources=(ledger_queue,)),),
    )
    # When a stack is synthesized with it
    app = cdk.App(context=cdk_json_context())
    stack = ServiceStack(
        app,
        "StepAccessProbe",
        settings=SETTINGS,
        saga_steps=(first, *SAGA_STEPS[1:]),
        synthesizer=cdk.DefaultStackSynthesizer(generate_bootstrap_version_rule=False),
    )
    template_json = dict(Template.from_stack(stack).to_json())
    functions = resources_of_type(template_json, "AWS::Lambda::Function")
    ids = {
        action: logical_id_of_type(template_json, "AWS::Lambda::Function", f"{pascal(action)}Function")
        for action in action_names(SAGA_STEPS)
    }

    def granted(action: str) -> str:
        return json.dumps(function_role_statements(template_json, functions[ids[action]]))

    # Then the step's functions (the step and its compensation) may read the secret and the parameter and send to
    # the queue
    own = [action for action in (first.name, first.compensation) if action]
    for action in own:
        statements = granted(action)
        assert "secretsmanager:GetSecretValue" in statements and "secret:step-access-probe/secret-??????" in statements
        assert "ssm:GetParameter" in statements and "parameter/step-access-probe/parameter" in statements
        assert "sqs:SendMessage" in statements and ledger_queue in statements
    # And no other action's function may
    for action in set(action_names(SAGA_STEPS)) - set(own):
        statements = granted(action)
        assert "step-access-probe/secret" not in statements and "step-access-probe/parameter" not in statements
        assert ledger_queue not in statements
