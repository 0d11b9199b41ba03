"""The OpenAPI description ``make serve`` serves: the service's file with the local server first, and Swagger UI."""

import json
from pathlib import Path

from embedded_aws.api_description import DOCUMENT_PATH, SWAGGER_UI_PATH, answer, served_document

BASE = "http://localhost:3001"
DOCUMENT = {
    "openapi": "3.1.0",
    "info": {"title": "t", "version": "1"},
    "servers": [{"url": "https://api.example.com/prod"}, {"url": BASE}],
    "paths": {"/things": {"get": {"summary": "</script> in a summary", "responses": {}}}},
}


def write(tmp_path: Path) -> Path:
    path = tmp_path / "openapi.json"
    path.write_text(json.dumps(DOCUMENT), encoding="utf-8")
    return path


def test_given_a_service_document_when_served_then_this_server_comes_first_and_once(tmp_path: Path) -> None:
    # Given a document that lists the deployed server and this one, when served at BASE
    served = served_document(write(tmp_path), BASE)
    # Then "Try it out" goes to this server, the deployed one stays listed, and nothing else changed
    assert [server["url"] for server in served["servers"]] == [BASE, "https://api.example.com/prod"]
    assert served["paths"] == DOCUMENT["paths"]


def test_given_the_document_path_then_the_answer_is_the_json_document(tmp_path: Path) -> None:
    status, content_type, body = answer(DOCUMENT_PATH, {}, write(tmp_path), BASE)
    assert (status, content_type) == (200, "application/json")
    assert json.loads(body)["servers"][0]["url"] == BASE


def test_given_the_swagger_ui_path_then_the_page_inlines_its_assets_and_the_escaped_document(tmp_path: Path) -> None:
    # When the Swagger UI page is asked for
    status, content_type, body = answer(SWAGGER_UI_PATH, {}, write(tmp_path), BASE)
    page = body.decode()
    # Then it is HTML that needs no network (no CDN link), and the document cannot end its script early
    assert (status, content_type) == (200, "text/html; charset=utf-8")
    assert "SwaggerUIBundle" in page
    assert "<script src=" not in page and "<link rel=" not in page
    assert "<\\/script> in a summary" in page
    # And its download link (?format=json) gets the document
    assert json.loads(answer(SWAGGER_UI_PATH, {"format": ["json"]}, write(tmp_path), BASE)[2])["info"]["title"] == "t"


def test_given_a_service_without_a_document_then_both_paths_answer_404() -> None:
    for path in (DOCUMENT_PATH, SWAGGER_UI_PATH):
        status, _content_type, body = answer(path, {}, None, BASE)
        assert status == 404 and json.loads(body)["error"] == "not_found"
