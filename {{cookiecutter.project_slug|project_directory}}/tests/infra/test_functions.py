"""Every Lambda function is built the same way, from the settings chosen at generation."""

import importlib.metadata
import json
import re
from pathlib import Path
from typing import Any

from aws_cdk.assertions import Match, Template

from infra.dependencies import runtime_requirements
from infra.saga_model import action_names
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


def test_functions_share_one_layer_built_for_their_runtime_and_architecture(template_json: dict[str, Any]) -> None:
    # Given the runtime and architecture chosen at generation
    # When the stack is synthesized
    ((layer_id, layer),) = resources_of_type(template_json, "AWS::Lambda::LayerVersion").items()
    functions = resources_of_type(template_json, "AWS::Lambda::Function").values()
    # Then one layer of the stack's own, for that runtime and architecture, serves every function
    assert layer["Properties"]["CompatibleRuntimes"] == [f"python{SETTINGS.python_runtime}"]
    assert layer["Properties"]["CompatibleArchitectures"] == [SETTINGS.architecture]
    assert all(function["Properties"]["Layers"] == [{"Ref": layer_id}] for function in functions)


def normalized(name: str) -> str:
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def layer_packages(assembly: Path) -> Path:
    """The ``python/`` folder of the layer's asset in the cloud assembly, as it is uploaded."""
    manifest = json.loads((assembly / f"{SETTINGS.service_name}.assets.json").read_text(encoding="utf-8"))
    sources = [assembly / asset["source"]["path"] for asset in manifest["files"].values()]
    (layer,) = [source for source in sources if (source / "python").is_dir()]
    packages: Path = layer / "python"
    return packages


def test_the_layer_holds_the_pinned_versions_the_tests_ran_built_for_lambdas_platform(assembly: Path) -> None:
    # Given the synthesized layer's packages
    packages = layer_packages(assembly)
    versions = {
        normalized(dist.metadata["Name"]): dist.version
        for dist in importlib.metadata.distributions(path=[str(packages)])
    }
    # Then each requirement of pyproject.toml is there at its pin
    for requirement in runtime_requirements():
        pinned = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[[^]]*\])?==(\S+)", requirement)
        assert pinned is not None, f"{requirement} is not pinned with =="
        assert versions[normalized(pinned[1])] == pinned[2]
    # And every package, those they need included, is at the version these tests run with
    assert versions == {name: importlib.metadata.version(name) for name in versions}
    # And native code is built for the functions' CPU and Python version, never for this machine's
    machine = {"arm64": "aarch64", "x86_64": "x86_64"}[SETTINGS.architecture]
    native = list(packages.rglob("*.so"))
    assert native
    python = SETTINGS.python_runtime.replace(".", "")
    assert all(path.name.endswith(f".cpython-{python}-{machine}-linux-gnu.so") for path in native), native


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
