"""The deploy roles of GitHub Actions (infra/github_deploy_role.py): whom they trust, and all they may do."""

import json
from pathlib import Path
from typing import Any

import pytest

from app import DEPLOY_ROLE_STACK_NAME, build_app, cdk_json_context
from infra.github_deploy_role import BOOTSTRAP_QUALIFIER, BOOTSTRAP_ROLES, GITHUB_OIDC_HOST, InvalidDeployRoleContext
from infra.settings import SETTINGS
from tests.infra.support import as_list, resources_of_type

REPOSITORY = "my-org/my.service_repo-1"
ENVIRONMENTS = ("staging", "production")


def synthesize(outdir: Path, **context: str) -> dict[str, Any]:
    """The deploy-role stack's template, synthesized with cdk-nag like the service's (a finding raises)."""
    build_app(context={**cdk_json_context(), **context}, outdir=str(outdir)).synth()
    return read_template(outdir, DEPLOY_ROLE_STACK_NAME)


def read_template(outdir: Path, stack_name: str) -> dict[str, Any]:
    template: dict[str, Any] = json.loads((outdir / f"{stack_name}.template.json").read_text(encoding="utf-8"))
    return template


@pytest.fixture(scope="module")
def roles_assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("deploy-roles")
    synthesize(outdir, github_repository=REPOSITORY)
    return outdir


@pytest.fixture(scope="module")
def roles_template(roles_assembly: Path) -> dict[str, Any]:
    return read_template(roles_assembly, DEPLOY_ROLE_STACK_NAME)


def roles(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [role["Properties"] for role in resources_of_type(template, "AWS::IAM::Role").values()]


def trust_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    return [statement for role in roles(template) for statement in role["AssumeRolePolicyDocument"]["Statement"]]


def permission_statements(template: dict[str, Any]) -> list[dict[str, Any]]:
    statements = [
        statement
        for role in roles(template)
        for policy in role.get("Policies", [])
        for statement in policy["PolicyDocument"]["Statement"]
    ]
    for policy in resources_of_type(template, "AWS::IAM::Policy").values():
        statements.extend(policy["Properties"]["PolicyDocument"]["Statement"])
    return statements


def text(value: Any) -> str:
    """An ARN as CloudFormation joins it, pseudo parameters named: arn:<AWS::Partition>:iam::..."""
    if isinstance(value, str):
        return value
    if "Ref" in value:
        return f"<{value['Ref']}>"
    separator, parts = value["Fn::Join"]
    return str(separator).join(text(part) for part in parts)


def test_the_app_has_no_deploy_role_stack_without_a_repository(tmp_path: Path) -> None:
    # Given the app as make synth and make deploy build it
    # When it is synthesized without github_repository
    build_app(context=cdk_json_context(), outdir=str(tmp_path)).synth()
    # Then only the service's stack is there
    assert sorted(path.name for path in tmp_path.glob("*.template.json")) == [f"{SETTINGS.service_name}.template.json"]


def test_the_service_stack_is_the_same_with_the_deploy_roles(
    roles_assembly: Path, template_json: dict[str, Any]
) -> None:
    # Given the app synthesized with github_repository, and the session's assembly synthesized without it
    # When comparing the service's stack in both
    # Then it is the same template: the deploy roles are a stack of their own, deployed apart
    assert read_template(roles_assembly, SETTINGS.service_name) == template_json
    # and cdk-nag checked both stacks and passed (a finding would have stopped the synth)
    report = json.loads((roles_assembly / "validation-report.json").read_text(encoding="utf-8"))
    (nag,) = [plugin for plugin in report["pluginReports"] if plugin["pluginName"] == "AwsSolutions"]
    assert nag["conclusion"] == "success"


def test_each_environment_role_trusts_only_its_environment_of_the_repository(roles_template: dict[str, Any]) -> None:
    # Given the deploy-role stack of a repository
    # When reading every role's trust policy
    statements = trust_statements(roles_template)
    # Then each is GitHub's OIDC provider of this stack, for STS's audience and one environment's exact subject
    (provider,) = resources_of_type(roles_template, "AWS::IAM::OIDCProvider")
    assert resources_of_type(roles_template, "AWS::IAM::OIDCProvider")[provider]["Properties"] == {
        "ClientIdList": ["sts.amazonaws.com"],
        "Url": f"https://{GITHUB_OIDC_HOST}",
    }
    subjects = []
    for statement in statements:
        assert statement["Effect"] == "Allow"
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        assert statement["Principal"] == {"Federated": {"Ref": provider}}
        assert set(statement["Condition"]) == {"StringEquals"}
        conditions = statement["Condition"]["StringEquals"]
        assert conditions[f"{GITHUB_OIDC_HOST}:aud"] == "sts.amazonaws.com"
        subjects.append(conditions[f"{GITHUB_OIDC_HOST}:sub"])
    assert sorted(subjects) == sorted(f"repo:{REPOSITORY}:environment:{stage}" for stage in ENVIRONMENTS)


def test_no_subject_has_a_wildcard_or_a_pattern_condition(roles_template: dict[str, Any]) -> None:
    # Given every trust statement
    statements = trust_statements(roles_template)
    # When looking at how the subject is matched
    # Then never by a pattern (StringLike) and never with a wildcard: no other branch, environment or repository
    for statement in statements:
        assert "StringLike" not in statement["Condition"]
        assert "ForAnyValue:StringLike" not in statement["Condition"]
        subjects = as_list(statement["Condition"]["StringEquals"][f"{GITHUB_OIDC_HOST}:sub"])
        assert not any("*" in subject or "?" in subject for subject in subjects)


def test_the_roles_can_only_assume_the_cdk_bootstrap_roles(roles_template: dict[str, Any]) -> None:
    # Given every permission statement of the deploy roles
    statements = permission_statements(roles_template)
    # When reading what they allow
    assume = [statement for statement in statements if "sts:AssumeRole" in as_list(statement["Action"])]
    others = {action for statement in statements for action in as_list(statement["Action"])} - {"sts:AssumeRole"}
    # Then they assume exactly the default-qualifier bootstrap roles of their own account and region
    expected = {
        f"arn:<AWS::Partition>:iam::<AWS::AccountId>:role/cdk-{BOOTSTRAP_QUALIFIER}-{role}-role-"
        "<AWS::AccountId>-<AWS::Region>"
        for role in BOOTSTRAP_ROLES
    }
    assert len(assume) == len(ENVIRONMENTS)
    for statement in assume:
        assert statement["Effect"] == "Allow"
        assert as_list(statement["Action"]) == ["sts:AssumeRole"]
        assert {text(resource) for resource in as_list(statement["Resource"])} == expected
    assert all(statement["Effect"] == "Allow" for statement in statements)
    # and, with IAM authorization, the e2e tests may call the service's two routes in any API of theirs, nothing else
    assert others == ({"execute-api:Invoke"} if SETTINGS.api_auth == "iam" else set())
    for statement in statements:
        if "execute-api:Invoke" in as_list(statement["Action"]):
            api = "arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:*/prod"
            assert {text(resource) for resource in as_list(statement["Resource"])} == {
                f"{api}/POST{SETTINGS.route}",
                f"{api}/GET{SETTINGS.route}/*",
            }


def test_an_existing_oidc_provider_is_reused_and_environments_can_be_chosen(tmp_path: Path) -> None:
    # Given an account that already has GitHub's OIDC provider, and one stage deployed to it
    provider = f"arn:aws:iam::123456789012:oidc-provider/{GITHUB_OIDC_HOST}"
    # When the stack is synthesized for it
    template = synthesize(
        tmp_path, github_repository=REPOSITORY, github_oidc_provider_arn=provider, github_environments="production"
    )
    # Then it creates no provider and one role, trusting that provider
    assert resources_of_type(template, "AWS::IAM::OIDCProvider") == {}
    (statement,) = trust_statements(template)
    assert statement["Principal"] == {"Federated": provider}
    conditions = statement["Condition"]["StringEquals"]
    assert conditions[f"{GITHUB_OIDC_HOST}:sub"] == f"repo:{REPOSITORY}:environment:production"


@pytest.mark.parametrize(
    "repository",
    ["my-org", "my-org/", "/repo", "my-org/repo/extra", "my-org/*", "my org/repo", "-org/repo", "org/..", "org/a:b"],
)
def test_a_malformed_repository_is_refused_with_a_clear_message(tmp_path: Path, repository: str) -> None:
    # Given a github_repository that is not owner/name
    # When the app is built with it
    # Then it stops before anything is synthesized, saying what the value must look like and what it got
    with pytest.raises(InvalidDeployRoleContext, match=r"github_repository must be a GitHub repository as owner/name"):
        build_app(context={**cdk_json_context(), "github_repository": repository}, outdir=str(tmp_path))


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("github_environments", "staging,,production"),
        ("github_environments", "prod*"),
        ("github_environments", "staging,Staging"),
        ("github_oidc_provider_arn", "arn:aws:iam::123456789012:oidc-provider/example.com"),
    ],
)
def test_other_malformed_context_values_are_refused(tmp_path: Path, key: str, value: str) -> None:
    # Given a bad environment list or provider ARN next to a good repository
    context = {**cdk_json_context(), "github_repository": REPOSITORY, key: value}
    # When the app is built
    # Then the message names the context key
    with pytest.raises(InvalidDeployRoleContext, match=key):
        build_app(context=context, outdir=str(tmp_path))
