"""``python -m local.serve`` (``make serve``): this service's API and an AWS endpoint on localhost, offline.

The embedded AWS's server (embedded_aws.server) synthesizes the app, deploys it and serves the REST API on ``PORT``
(default 3000), the AWS APIs of the same in-process account on ``AWS_PORT`` (default 5000) and local-only controls
under ``/_local``; this module adds what is the service's own: its settings, its fake provider and the banner's
example requests, and its OpenAPI description (openapi.json, served with Swagger UI under ``/_local``). Ctrl-C
stops it all.
"""

import json
import sys

from embedded_aws import server
from embedded_aws.engine.iam import SWITCH
from embedded_aws.engine.runtime import EmbeddedAws
from embedded_aws.services.apigateway import SIGNATURES_SWITCH, signatures_required

from infra.openapi import OPENAPI_PATH
from infra.saga_steps import SAGA_STEPS
from infra.settings import SETTINGS, ServiceSettings
from local.aws import PROJECT_ROOT, ServiceOnEmbeddedAws


def banner(settings: ServiceSettings, aws: EmbeddedAws, base: str, endpoint: str, check_signatures: bool) -> list[str]:
    """The banner's lines about this service: how the local API authorizes, what it leaves unchecked, and requests
    to try (``check_signatures``: whether it refuses unsigned requests to IAM methods, as served)."""
    collection = settings.route
    fault = json.dumps({"function": SAGA_STEPS[0].name, "kind": "business_error", "count": 1})
    example = '{"customer_id": "c-1", "items": [{"sku": "sku-1", "quantity": 2}]}'
    signing = f' --aws-sigv4 "aws:amz:{settings.aws_region}:execute-api" --user any:any'
    sign = signing if settings.api_auth == "iam" and check_signatures else ""
    # How the deployed API authorizes: the generated api_auth; and what the local one leaves unchecked.
    if settings.api_auth == "none":
        authorization = "no authorization (api_auth none), as deployed"
    elif check_signatures:
        authorization = (
            f"IAM methods need a SigV4 signature for {settings.aws_region}/execute-api, with any credentials (its value"
            f" is not verified), as curl{signing} signs; the caller is the X-Local-Caller-Arn header's IAM ARN, else a"
            f" local developer. {SIGNATURES_SWITCH}=off accepts unsigned requests (Swagger UI cannot sign)"
        )
    else:
        authorization = (
            f"signatures are not checked ({SIGNATURES_SWITCH}=off): the caller is the X-Local-Caller-Arn header's IAM"
            " ARN, else a local developer"
        )
    roles = (
        "each function's and the state machine's AWS calls are authorized against their synthesized roles"
        if aws.iam is not None
        else f"not enforced ({SWITCH}=off): every AWS call is allowed"
    )
    return [
        f"IAM: {roles}.",
        f"Authorization: {authorization}.",
        "Unlike the deployed API: request validation (the API's request model) is not applied locally; the handler's"
        " own validation answers the same 400.\n",
        "Try:",
        f"  curl -i -X POST {base}{collection}{sign} -H 'Content-Type: application/json' \\",
        f"       -H 'Idempotency-Key: k1' -d '{example}'",
        f"  curl -s {base}{collection}/<id from the Location header>",
        f"  curl -X POST {base}/_local/faults -d '{fault}'",
        f"  aws --endpoint-url {endpoint} --region {settings.aws_region} dynamodb scan "
        f"--table-name {aws.stack.outputs['EntityTableName']}",
        f"  aws --endpoint-url {endpoint} --region {settings.aws_region} stepfunctions list-executions "
        f"--state-machine-arn {aws.state_machine_arn}\n",
    ]


def main() -> int:
    return server.main(
        server.Serving(
            service_name=SETTINGS.service_name,
            region=SETTINGS.aws_region,
            app_directory=PROJECT_ROOT,
            start=ServiceOnEmbeddedAws,
            banner=lambda aws, base, endpoint: banner(SETTINGS, aws, base, endpoint, signatures_required()),
            openapi=PROJECT_ROOT / OPENAPI_PATH,
        )
    )


if __name__ == "__main__":
    sys.exit(main())
