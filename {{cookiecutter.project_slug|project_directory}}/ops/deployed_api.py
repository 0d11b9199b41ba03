"""The URL of a deployed stack's API, for `make e2e`: ``python -m ops.deployed_api [outputs file]`` prints it.

E2E_API_URL when set; otherwise the stack's ``ApiUrl`` output in the outputs file that
``make deploy ARGS="--outputs-file cdk-outputs.json"`` writes (the CDK CLI's ``--outputs-file``: stack name ->
output name -> value).
"""

import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from infra.settings import SETTINGS

DEFAULT_OUTPUTS_FILE = Path("cdk-outputs.json")


class DeployedApiNotFound(Exception):
    """Neither E2E_API_URL nor the outputs file names the deployed API; the message says what to do."""


def api_url(outputs_file: Path, environ: Mapping[str, str]) -> str:
    """The deployed API's base URL (``https://<id>.execute-api.<region>.amazonaws.com/prod/``).

    Raises DeployedApiNotFound when E2E_API_URL is unset and ``outputs_file`` is missing, is not JSON, or has no
    ApiUrl output for this service's stack.
    """
    if url := environ.get("E2E_API_URL"):
        return url
    deploy = f'make deploy ARGS="--outputs-file {outputs_file}"'
    try:
        outputs = json.loads(outputs_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DeployedApiNotFound(f"no {outputs_file}: set E2E_API_URL, or deploy with {deploy}") from None
    except json.JSONDecodeError as error:
        raise DeployedApiNotFound(f"{outputs_file} is not JSON ({error}): deploy again with {deploy}") from None
    url = outputs.get(SETTINGS.service_name, {}).get("ApiUrl") if isinstance(outputs, dict) else None
    if not url:
        raise DeployedApiNotFound(
            f"{outputs_file} has no ApiUrl output of the stack {SETTINGS.service_name}: set E2E_API_URL,"
            f" or deploy this stack with {deploy}"
        )
    return str(url)


def main(argv: Sequence[str]) -> int:
    """Print the URL and answer 0, or print why there is none to stderr and answer 2."""
    outputs_file = Path(argv[0]) if argv else DEFAULT_OUTPUTS_FILE
    try:
        print(api_url(outputs_file, os.environ))
    except DeployedApiNotFound as error:
        print(f"make e2e: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
