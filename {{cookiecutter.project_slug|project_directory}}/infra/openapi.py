"""``make openapi`` (``python -m infra.openapi``): write openapi.json, the API's description, from the handlers.

The document is Powertools' OpenAPI schema of each API function's resolver (its route, request model and the
answers the route declares), merged by path with Powertools' ``OpenAPIMerge``, plus what no resolver declares: the
Idempotency-Key header (its rules are ``handlers/http.py``'s), API Gateway's SigV4 authorization when ``api_auth``
is iam, and the deployed and local servers. ``--check`` fails when the committed file has drifted, as
tests/unit/test_openapi.py does. A fresh render ships the file already written (the template renders it, and
that test proves it equal to what this module writes). Its imports at the top are the standard library's and
infra.settings, so ``make serve`` reads OPENAPI_PATH from here without the service's package on the path.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from infra.settings import ServiceSettings

OPENAPI_PATH = Path("openapi.json")
# The stage RestApi deploys by default (infra/api.py names none): the deployed URL is ApiUrl = .../prod/.
STAGE = "prod"
LOCAL_SERVER = "http://localhost:3000"
SIGV4 = "sigv4"
# What API Gateway itself answers (before any handler runs) to a request IAM does not let through.
API_GATEWAY_MESSAGE = {
    "type": "object",
    "properties": {"message": {"type": "string"}},
    "required": ["message"],
}
# Importing a handler module reads its configuration (its AWS clients wait for a request); these only let it import.
PLACEHOLDER = "openapi-placeholder"


class StaleDescription(Exception):
    """The committed openapi.json is not what the handlers describe; `make openapi` rewrites it."""


def api_modules(settings: ServiceSettings) -> list[str]:
    """The API functions' handler modules, as infra/api.py deploys them: create, then get."""
    return [f"{settings.package_name}.handlers.{kind}_{settings.domain}" for kind in ("create", "get")]


@contextlib.contextmanager
def _placeholder_configuration() -> Iterator[None]:
    from {{ cookiecutter.package_name }}.configuration import CreateConfiguration, ReadConfiguration

    environment = {
        **CreateConfiguration(PLACEHOLDER, PLACEHOLDER, PLACEHOLDER, 1, 1).as_environment(),
        **ReadConfiguration(PLACEHOLDER).as_environment(),
    }
    saved = {name: os.environ.get(name) for name in environment}
    os.environ.update(environment)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def load_privately(module_name: str) -> ModuleType:
    """A fresh copy of a handler module, not registered under its own name.

    A test process may import the real module later with the real configuration; the placeholder one must not
    be what it finds in ``sys.modules``. Raises ModuleNotFoundError when the module does not exist.
    """
    spec = importlib.util.find_spec(module_name)
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(module_name)
    private = importlib.util.spec_from_file_location(f"_openapi_{module_name.replace('.', '_')}", spec.origin)
    assert private is not None and private.loader is not None
    module = importlib.util.module_from_spec(private)
    private.loader.exec_module(module)
    return module


def _project_version(root: Path) -> str:
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return str(project["version"])


def _references(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"].rsplit("/", 1)[-1]
        for value in node.values():
            yield from _references(value)
    elif isinstance(node, list):
        for value in node:
            yield from _references(value)


def _used_schemas(document: dict[str, Any]) -> dict[str, Any]:
    """The component schemas the paths reach, directly or through other schemas, in the order first reached.

    Powertools adds its own validation-error schemas to every resolver's document; the handlers answer their
    errors with ApiError instead, so those would describe bodies this API never sends. The order follows the
    paths, not the names, which contain the domain: then every render orders them alike (the template's own
    openapi.json is one file for every domain).
    """
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    reached: dict[str, Any] = {}

    def reach(node: Any) -> None:
        for name in _references(node):
            if name not in reached and name in schemas:
                reached[name] = schemas[name]
                reach(schemas[name])

    reach(document["paths"])
    return reached


def idempotency_key_parameter(settings: ServiceSettings) -> dict[str, Any]:
    """The Idempotency-Key header as ``handlers.http.idempotency_key_from`` accepts it."""
    from {{ cookiecutter.package_name }}.handlers.http import IDEMPOTENCY_KEY_HEADER, MAX_IDEMPOTENCY_KEY_LENGTH

    scope = "Keys are per caller (IAM principal)." if settings.api_auth == "iam" else "Keys are global: use UUIDs."
    return {
        "name": IDEMPOTENCY_KEY_HEADER,
        "in": "header",
        "required": True,
        "description": (
            "Names this request for retries: the same key and body again answer the first answer, without a"
            " second {{ cookiecutter.domain }}. One value per request (several different ones are refused);"
            f" printable ASCII without spaces; a UUID is a good key. {scope}"
        ),
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_IDEMPOTENCY_KEY_LENGTH, "pattern": "^[!-~]+$"},
    }


def build_document(settings: ServiceSettings, root: Path) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the deployed API, as a JSON-ready dict.

    Raises ModuleNotFoundError when a handler module named by ``api_modules`` is missing.
    """
    from aws_lambda_powertools.event_handler.openapi.merge import OpenAPIMerge

    merge = OpenAPIMerge(
        title=settings.service_name,
        version=_project_version(root),
        description=(
            f"The {settings.domain_plural.replace('_', ' ')} API of {settings.service_name}: an idempotent create"
            " (the Idempotency-Key header) and a read of the saga's progress. Generated by `make openapi` from"
            " the handlers; do not edit by hand."
        ),
        on_conflict="error",
    )
    with _placeholder_configuration():
        for module_name in api_modules(settings):
            merge.add_schema(load_privately(module_name).app.get_openapi_schema())
    document: dict[str, Any] = json.loads(merge.get_openapi_json_schema())

    document["servers"] = [
        {
            "url": "https://{restApiId}.execute-api.{region}.amazonaws.com/" + STAGE,
            "description": "the deployed stage: the stack's ApiUrl output",
            "variables": {
                "restApiId": {"default": "restApiId", "description": "the API's id, the host's first label in ApiUrl"},
                "region": {"default": settings.aws_region},
            },
        },
        {"url": LOCAL_SERVER, "description": "`make serve` (PORT=3000)"},
    ]
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if (method, path) == ("post", settings.route):
                parameters = [idempotency_key_parameter(settings), *operation.get("parameters", [])]
                # Parameters read before the body, as Powertools places the ones it declares.
                operation = operations[method] = {
                    **{key: value for key, value in operation.items() if key not in {"requestBody", "responses"}},
                    "parameters": parameters,
                    **{key: value for key, value in operation.items() if key in {"requestBody", "responses"}},
                }
            if settings.api_auth == "iam":
                operation["responses"]["403"] = {
                    "description": "API Gateway's answer to a request not signed (SigV4) by a principal allowed to"
                    " call it (execute-api:Invoke); the handler never ran",
                    "content": {"application/json": {"schema": API_GATEWAY_MESSAGE}},
                }
            operation["responses"] = dict(sorted(operation["responses"].items(), key=lambda item: int(item[0])))
    components: dict[str, Any] = {"schemas": _used_schemas(document)}
    if settings.api_auth == "iam":
        components["securitySchemes"] = {
            SIGV4: {
                "type": "apiKey",
                "name": "Authorization",
                "in": "header",
                "description": "AWS Signature Version 4 of an IAM principal allowed execute-api:Invoke on the route"
                " (service name execute-api), e.g. `curl --aws-sigv4 aws:amz:<region>:execute-api`",
                # How API Gateway names IAM authorization in the documents it imports and exports.
                "x-amazon-apigateway-authtype": "awsSigv4",
            }
        }
        document["security"] = [{SIGV4: []}]
    document["components"] = components
    return document


def render_document(settings: ServiceSettings, root: Path) -> str:
    """The text of openapi.json: the document, validated as OpenAPI 3.1, two-space indented, newline at the end.

    Raises openapi_spec_validator's OpenAPIValidationError when the document is not valid OpenAPI.
    """
    from openapi_spec_validator import validate

    document = build_document(settings, root)
    validate(document)
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def checked_in_description(root: Path, settings: ServiceSettings) -> str:
    """The committed openapi.json; raises StaleDescription when it is missing or not what the handlers describe."""
    path = root / OPENAPI_PATH
    expected = render_document(settings, root)
    if not path.exists() or path.read_text(encoding="utf-8") != expected:
        raise StaleDescription(
            f"{OPENAPI_PATH.as_posix()} is out of date with the API handlers and models: run `make openapi`"
        )
    return expected


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="fail instead of writing when the file is out of date")
    parser.add_argument("--root", type=Path, default=Path.cwd())
    args = parser.parse_args(argv)

    from infra.settings import SETTINGS

    if args.check:
        try:
            checked_in_description(args.root, SETTINGS)
        except StaleDescription as stale:
            print(stale, file=sys.stderr)
            return 1
        print(f"{OPENAPI_PATH.as_posix()} is up to date with the API handlers")
        return 0
    path = args.root / OPENAPI_PATH
    content = render_document(SETTINGS, args.root)
    if path.exists() and path.read_text(encoding="utf-8") == content:
        print(f"{OPENAPI_PATH.as_posix()} is up to date with the API handlers")
    else:
        path.write_text(content, encoding="utf-8")
        print(f"wrote {OPENAPI_PATH.as_posix()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
