"""The roles GitHub Actions deploys this service with (.github/workflows/deploy.yml): OIDC federation, no keys.

A stack of its own, added to the app only when the CDK context names the repository
(`make deploy-role GITHUB_REPOSITORY=owner/name`), so the service's stack and its template are the same with or
without it. One role per GitHub environment: only a job of that repository running in that environment can assume
it, and all it can do is assume the CDK bootstrap roles of this account and region (which do the deploy) and,
with IAM authorization on the API, call the service's two routes (the e2e tests sign their requests with it).
"""

import re
from collections.abc import Sequence
from typing import Any

from aws_cdk import Aws, CfnOutput, Stack
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.nag import acknowledge
from infra.saga_model import pascal
from infra.settings import ServiceSettings

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
GITHUB_OIDC_AUDIENCE = "sts.amazonaws.com"
DEFAULT_ENVIRONMENTS = ("staging", "production")
# `cdk bootstrap` without --qualifier, and the roles of that bootstrap stack the CDK CLI assumes to deploy.
BOOTSTRAP_QUALIFIER = "hnb659fds"
BOOTSTRAP_ROLES = ("deploy", "file-publishing", "image-publishing", "lookup")
# The API Gateway stage the service's RestApi deploys (StageOptions' default stage name).
API_STAGE = "prod"

# GitHub's rules: an owner is 1-39 letters, digits and single inner hyphens; a repository name 1-100 letters,
# digits, '.', '-' and '_', but not '.' or '..'.
REPOSITORY = re.compile(r"(?P<owner>[A-Za-z0-9](?:-?[A-Za-z0-9]){0,38})/(?P<name>[A-Za-z0-9._-]{1,100})")
ENVIRONMENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,254}")
OIDC_PROVIDER_ARN = re.compile(r"arn:aws(?:-[a-z]+)*:iam::[0-9]{12}:oidc-provider/" + re.escape(GITHUB_OIDC_HOST))


class InvalidDeployRoleContext(ValueError):
    """A CDK context value for the deploy roles that cannot be used; the message says which and why."""


def parse_repository(value: object) -> str:
    """``owner/name`` of the GitHub repository whose workflows may deploy, as in the token's ``sub`` claim."""
    match = REPOSITORY.fullmatch(value) if isinstance(value, str) else None
    if match is None or match["name"] in {".", ".."}:
        raise InvalidDeployRoleContext(
            f"github_repository must be a GitHub repository as owner/name (e.g. -c github_repository=my-org/"
            f"orders-service), got {value!r}"
        )
    return match.group(0)


def parse_environments(value: object) -> tuple[str, ...]:
    """The GitHub environments to create a role for: comma-separated names, each at most once."""
    names = tuple(name.strip() for name in value.split(",")) if isinstance(value, str) else ()
    if not names or not all(ENVIRONMENT.fullmatch(name) for name in names):
        raise InvalidDeployRoleContext(
            "github_environments must be GitHub environment names separated by commas (letters, digits, '.', '-', "
            f"'_'; e.g. -c github_environments=staging,production), got {value!r}"
        )
    if len({name.lower() for name in names}) != len(names):
        raise InvalidDeployRoleContext(f"github_environments names an environment twice: {value!r}")
    return names


def parse_oidc_provider_arn(value: object) -> str:
    """The ARN of the account's existing GitHub OIDC provider (an account has at most one per URL)."""
    if not isinstance(value, str) or not OIDC_PROVIDER_ARN.fullmatch(value):
        raise InvalidDeployRoleContext(
            "github_oidc_provider_arn must be the ARN of the account's GitHub OIDC provider "
            f"(arn:aws:iam::<account>:oidc-provider/{GITHUB_OIDC_HOST}), got {value!r}"
        )
    return value


def subject(repository: str, environment: str) -> str:
    """The ``sub`` claim of a job of ``repository`` that runs in the GitHub environment ``environment``."""
    return f"repo:{repository}:environment:{environment}"


def bootstrap_role_arns() -> list[str]:
    """The default-qualifier bootstrap roles of the account and region this stack is deployed to."""
    return [
        f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:role/cdk-{BOOTSTRAP_QUALIFIER}-{role}-role-{Aws.ACCOUNT_ID}-"
        f"{Aws.REGION}"
        for role in BOOTSTRAP_ROLES
    ]


def api_route_arns(settings: ServiceSettings) -> list[str]:
    """The service's two routes in any REST API of this account and region (its id is the service stack's)."""
    api = f"arn:{Aws.PARTITION}:execute-api:{Aws.REGION}:{Aws.ACCOUNT_ID}:*/{API_STAGE}"
    return [f"{api}/POST{settings.route}", f"{api}/GET{settings.route}/*"]


class GitHubDeployRoleStack(Stack):
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        settings: ServiceSettings,
        repository: str,
        environments: Sequence[str] = DEFAULT_ENVIRONMENTS,
        oidc_provider_arn: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, id, **kwargs)
        if oidc_provider_arn is None:
            provider = iam.OidcProviderNative(
                self,
                "GitHubOidcProvider",
                url=f"https://{GITHUB_OIDC_HOST}",
                client_ids=[GITHUB_OIDC_AUDIENCE],
            )
            oidc_provider_arn = provider.oidc_provider_arn
        self.roles: dict[str, iam.Role] = {}
        for environment in environments:
            statements = [iam.PolicyStatement(actions=["sts:AssumeRole"], resources=bootstrap_role_arns())]
            if settings.api_auth == "iam":
                statements.append(
                    iam.PolicyStatement(actions=["execute-api:Invoke"], resources=api_route_arns(settings))
                )
            name = pascal(re.sub(r"[^A-Za-z0-9]+", "_", environment))
            role = iam.Role(
                self,
                f"{name}DeployRole",
                description=f"GitHub Actions deploys {settings.service_name}: {repository}, environment {environment}",
                assumed_by=iam.WebIdentityPrincipal(
                    oidc_provider_arn,
                    conditions={
                        # Exact values: a StringLike with a wildcard would let other branches, environments or
                        # repositories in.
                        "StringEquals": {
                            f"{GITHUB_OIDC_HOST}:aud": GITHUB_OIDC_AUDIENCE,
                            f"{GITHUB_OIDC_HOST}:sub": subject(repository, environment),
                        }
                    },
                ),
                inline_policies={"Deploy": iam.PolicyDocument(statements=statements)},
            )
            if settings.api_auth == "iam":
                for route in api_route_arns(settings):
                    acknowledge(
                        role,
                        f"IAM5[Resource::{_as_nag_resource(route)}]",
                        "The e2e tests sign their requests with this role; the API's id is created by the service "
                        "stack, deployed after this one, so only the API id is a wildcard: one stage, one route.",
                    )
            self.roles[environment] = role
            CfnOutput(
                self,
                f"{name}DeployRoleArn",
                value=role.role_arn,
                description=f"the secret AWS_DEPLOY_ROLE_ARN of the GitHub environment {environment}",
            )


def _as_nag_resource(arn: str) -> str:
    """An ARN as cdk-nag names it in a finding: pseudo parameters as <AWS::Name>."""
    for token, name in ((Aws.PARTITION, "Partition"), (Aws.REGION, "Region"), (Aws.ACCOUNT_ID, "AccountId")):
        arn = arn.replace(token, f"<AWS::{name}>")
    return arn
