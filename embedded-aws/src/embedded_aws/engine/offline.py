"""Fake credentials and a region, so nothing run locally can reach a real AWS account; moto answers instead."""

import os


def use_fake_aws_account(region: str) -> None:
    """Call before any boto3 client is created (handler modules build theirs when imported)."""
    os.environ.update(
        {
            "AWS_DEFAULT_REGION": region,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            # botocore 1.44 builds account-based endpoints that moto's stream API does not answer.
            "AWS_ACCOUNT_ID_ENDPOINT_MODE": "disabled",
            "POWERTOOLS_TRACE_DISABLED": "true",
        }
    )
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        os.environ.pop(name, None)
