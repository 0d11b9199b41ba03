"""openapi.json, the API's description, is what the handlers declare, valid OpenAPI, and says what they answer."""

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from openapi_spec_validator import validate

from infra.openapi import OPENAPI_PATH, api_modules, build_document, checked_in_description, main
from infra.settings import SETTINGS

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ENTITY_PATH = SETTINGS.route + "/{entity_id}"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    described: dict[str, Any] = json.loads(checked_in_description(PROJECT_ROOT, SETTINGS))
    return described


def test_given_the_handlers_then_the_committed_description_is_what_make_openapi_writes() -> None:
    # Given the API handlers and models as they are, when their description is generated, then it is the file
    # (checked_in_description raises StaleDescription, naming `make openapi`, otherwise)
    assert checked_in_description(PROJECT_ROOT, SETTINGS) == (PROJECT_ROOT / OPENAPI_PATH).read_text(encoding="utf-8")


def test_given_a_stale_description_when_checked_then_it_fails_naming_the_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given a copy of the project's description edited by hand
    shutil.copy(PROJECT_ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    stale = json.loads((PROJECT_ROOT / OPENAPI_PATH).read_text(encoding="utf-8")) | {"paths": {}}
    (tmp_path / OPENAPI_PATH).write_text(json.dumps(stale), encoding="utf-8")
    # When `make openapi` checks it
    code = main(["--check", "--root", str(tmp_path)])
    # Then it fails and says what to run, and writes nothing
    assert code == 1
    assert "run `make openapi`" in capsys.readouterr().err
    assert json.loads((tmp_path / OPENAPI_PATH).read_text(encoding="utf-8")) == stale


def test_given_the_description_then_it_is_valid_openapi(document: dict[str, Any]) -> None:
    # Given the committed description, when validated, then openapi-spec-validator finds nothing (it raises)
    validate(document)
    assert document["openapi"].startswith("3.")


def test_given_the_description_then_the_create_requires_one_idempotency_key(document: dict[str, Any]) -> None:
    # Given the create operation
    create = document["paths"][SETTINGS.route]["post"]
    # When its header parameters are read
    headers = {parameter["name"]: parameter for parameter in create["parameters"] if parameter["in"] == "header"}
    # Then Idempotency-Key is required, with the handler's length limit, and the body is the request model
    key = headers["Idempotency-Key"]
    assert key["required"] is True
    assert key["schema"]["maxLength"] == 128
    assert create["requestBody"]["required"] is True


def _error_statuses(operation: dict[str, Any]) -> set[str]:
    return {
        status
        for status, response in operation["responses"].items()
        if response["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ApiError"}
    }


def test_given_the_description_then_every_error_the_handlers_answer_has_its_body(document: dict[str, Any]) -> None:
    # Given the two operations, when their answers are read, then each 4xx a handler returns is declared with
    # the ApiError body (the create's exception handlers; the read's not found), next to the success
    create, read = document["paths"][SETTINGS.route]["post"], document["paths"][ENTITY_PATH]["get"]
    assert _error_statuses(create) == {"400", "409", "415", "422"}
    assert _error_statuses(read) == {"404"}
    assert "201" in create["responses"]
    assert "Location" in create["responses"]["201"]["headers"]
    assert "200" in read["responses"]
    assert set(document["components"]["schemas"]["ApiError"]["required"]) == {"error", "message"}


def test_given_the_api_auth_then_the_description_declares_sigv4_exactly_when_it_is_iam(
    document: dict[str, Any],
) -> None:
    # Given the generated api_auth, when the security of the document is read
    schemes = document["components"].get("securitySchemes", {})
    # Then an IAM API requires the SigV4 scheme (API Gateway's own name for it) and answers 403 from API Gateway;
    # a public one declares neither
    if SETTINGS.api_auth == "iam":
        assert document["security"] == [{"sigv4": []}]
        assert schemes["sigv4"]["x-amazon-apigateway-authtype"] == "awsSigv4"
        operations = [operation for path in document["paths"].values() for operation in path.values()]
        assert all("403" in operation["responses"] for operation in operations)
    else:
        assert "security" not in document
        assert schemes == {}


def test_when_the_description_is_built_then_no_handler_module_is_registered_with_placeholders() -> None:
    # Given the modules loaded so far
    before = set(sys.modules)
    # When the description is built (it imports each API handler with placeholder tables)
    build_document(SETTINGS, PROJECT_ROOT)
    # Then no handler module was registered under its name: a later import gets the real configuration
    assert not set(api_modules(SETTINGS)) & (set(sys.modules) - before)
