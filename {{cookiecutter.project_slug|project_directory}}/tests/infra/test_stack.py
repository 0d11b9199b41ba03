"""The stack as a whole: environment-agnostic, and the outputs that local tools and e2e tests read."""

from typing import Any

from aws_cdk.assertions import Template

from infra.settings import SETTINGS
from tests.infra.support import expected_failure_queues


def test_outputs_name_what_tools_and_tests_look_up(template: Template) -> None:
    # Given the stack
    # When it is synthesized
    outputs = template.find_outputs("*")
    # Then its outputs have stable names (no hash) for the API, saga, tables, relay, alarm topic and failure queues
    expected = {
        "ApiUrl",
        "StateMachineArn",
        "EntityTableName",
        "OutboxTableName",
        "OutboxRelayFunctionName",
        "AlarmTopicArn",
    }
    expected |= {f"{queue}Url" for queue in expected_failure_queues()}
    assert set(outputs) == expected


def test_template_is_environment_agnostic(template_json: dict[str, Any]) -> None:
    # Given the synthesized template
    text = str(template_json)
    # When looking for anything bound to one account or region
    # Then there is none: the region comes from AWS::Region at deploy time
    assert SETTINGS.aws_region not in text
    assert "123456789012" not in text


def test_template_needs_no_bootstrap_version_parameter(template_json: dict[str, Any]) -> None:
    # Given the synthesized template
    # When looking for the bootstrap version check (it reads an SSM parameter at deploy time)
    # Then it is absent, so the embedded AWS can deploy the template as is; the CDK CLI checks the version itself
    assert "Rules" not in template_json
    assert "BootstrapVersion" not in template_json.get("Parameters", {})
