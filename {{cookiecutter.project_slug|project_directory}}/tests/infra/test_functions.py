"""Every Lambda function is built the same way, from the settings chosen at generation."""

from typing import Any

from aws_cdk.assertions import Match, Template

from infra.saga_definition import action_names
from infra.saga_steps import SAGA_STEPS
from infra.settings import SETTINGS
from tests.infra.support import actions, function_role_statements, resources_of_type

# The API's two functions and the relay, besides one per saga action.
FIXED_FUNCTIONS = 3


def test_there_is_one_function_per_role_and_saga_action(template: Template) -> None:
    # Given the saga's steps and compensations
    expected = FIXED_FUNCTIONS + len(action_names(SAGA_STEPS))
    # When the stack is synthesized
    # Then each action has its own function next to the API and relay functions
    template.resource_count_is("AWS::Lambda::Function", expected)


def test_functions_run_the_configured_runtime_and_architecture(template_json: dict[str, Any]) -> None:
    # Given the runtime and architecture chosen at generation
    runtime, architecture = f"python{SETTINGS.python_runtime}", SETTINGS.architecture
    # When the stack is synthesized
    functions = resources_of_type(template_json, "AWS::Lambda::Function").values()
    # Then every function uses both
    assert {function["Properties"]["Runtime"] for function in functions} == {runtime}
    assert {tuple(function["Properties"]["Architectures"]) for function in functions} == {(architecture,)}


def test_functions_use_the_aws_managed_powertools_layer_of_the_deploy_region(template_json: dict[str, Any]) -> None:
    # Given the runtime, architecture and layer version in the settings
    python = "python" + SETTINGS.python_runtime.replace(".", "")
    layer_name = f"AWSLambdaPowertoolsPythonV3-{python}-{SETTINGS.architecture}:{SETTINGS.powertools_layer_version}"
    # When the stack is synthesized
    functions = resources_of_type(template_json, "AWS::Lambda::Function").values()
    # Then every function has that layer, in whichever region the stack is deployed to
    expected = [{"Fn::Join": ["", ["arn:aws:lambda:", {"Ref": "AWS::Region"}, f":017000801446:layer:{layer_name}"]]}]
    assert all(function["Properties"]["Layers"] == expected for function in functions)


def test_tracing_follows_the_setting(template_json: dict[str, Any]) -> None:
    # Given tracing enabled or disabled at generation
    # When the stack is synthesized
    functions = resources_of_type(template_json, "AWS::Lambda::Function").values()
    for function in functions:
        properties = function["Properties"]
        variables = properties["Environment"]["Variables"]
        # Then functions trace actively, or tell Powertools not to trace at all
        if SETTINGS.tracing_enabled:
            assert properties["TracingConfig"] == {"Mode": "Active"}
            assert "POWERTOOLS_TRACE_DISABLED" not in variables
        else:
            assert properties.get("TracingConfig", {"Mode": "PassThrough"}) == {"Mode": "PassThrough"}
            assert variables["POWERTOOLS_TRACE_DISABLED"] == "true"


def test_functions_share_the_powertools_environment(template: Template) -> None:
    # Given the service name
    # When the stack is synthesized
    # Then every function logs, traces and emits metrics under it
    template.all_resources_properties(
        "AWS::Lambda::Function",
        {
            "Environment": {
                "Variables": Match.object_like(
                    {
                        "POWERTOOLS_SERVICE_NAME": SETTINGS.service_name,
                        "POWERTOOLS_METRICS_NAMESPACE": SETTINGS.service_name,
                        "POWERTOOLS_LOG_LEVEL": "INFO",
                    }
                )
            }
        },
    )


def test_each_function_has_its_own_role_and_log_group_with_retention(template_json: dict[str, Any]) -> None:
    # Given the synthesized functions
    functions = resources_of_type(template_json, "AWS::Lambda::Function").values()
    log_groups = resources_of_type(template_json, "AWS::Logs::LogGroup")
    # When looking at their roles and log groups
    roles = [function["Properties"]["Role"]["Fn::GetAtt"][0] for function in functions]
    groups = [function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"] for function in functions]
    # Then no two functions share either, and logs expire
    assert len(set(roles)) == len(roles)
    assert len(set(groups)) == len(groups)
    assert all(log_groups[group]["Properties"]["RetentionInDays"] > 0 for group in groups)


def test_function_roles_write_only_their_own_log_group(template_json: dict[str, Any]) -> None:
    for function in resources_of_type(template_json, "AWS::Lambda::Function").values():
        # Given a function's role
        statements = function_role_statements(template_json, function)
        own_group = function["Properties"]["LoggingConfig"]["LogGroup"]["Ref"]
        # When looking at its logs permissions
        logs = [statement for statement in statements if any(a.startswith("logs:") for a in actions(statement))]
        # Then they name the function's own log group, not every group (AWSLambdaBasicExecutionRole)
        assert logs == [
            {
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Effect": "Allow",
                "Resource": {"Fn::GetAtt": [own_group, "Arn"]},
            }
        ]


def test_no_role_uses_a_managed_policy(template: Template) -> None:
    # Given the synthesized roles
    # When looking at their managed policies
    # Then there are none: every permission is granted explicitly
    template.all_resources_properties("AWS::IAM::Role", {"ManagedPolicyArns": Match.absent()})
