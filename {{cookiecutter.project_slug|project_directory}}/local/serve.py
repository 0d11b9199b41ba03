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
from embedded_aws.engine.runtime import EmbeddedAws

from infra.openapi import OPENAPI_PATH
from infra.saga_steps import SAGA_STEPS
from infra.settings import SETTINGS, ServiceSettings
from local.aws import PROJECT_ROOT, ServiceOnEmbeddedAws


def banner(settings: ServiceSettings, aws: EmbeddedAws, base: str, endpoint: str) -> list[str]:
    """The banner's lines about this service: what the local API leaves unchecked, and requests to try."""
    collection = settings.route
    fault = json.dumps({"function": SAGA_STEPS[0].name, "kind": "business_error", "count": 1})
    example = '{"customer_id": "c-1", "items": [{"sku": "sku-1", "quantity": 2}]}'
    # What the deployed API checks that the local one does not: its authorization is the generated api_auth.
    unchecked = (
        "SigV4 signatures are not checked (the caller is the X-Local-Caller-Arn header's IAM ARN, else a local"
        " developer) and request validation is not applied locally"
        if settings.api_auth == "iam"
        else "no authorization (api_auth none); request validation is not applied locally"
    )
    return [
        f"Unlike the deployed API: {unchecked}.\n",
        "Try:",
        f"  curl -i -X POST {base}{collection} -H 'Content-Type: application/json' \\",
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
            banner=lambda aws, base, endpoint: banner(SETTINGS, aws, base, endpoint),
            openapi=PROJECT_ROOT / OPENAPI_PATH,
        )
    )


if __name__ == "__main__":
    sys.exit(main())
