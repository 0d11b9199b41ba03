"""A service's OpenAPI description as ``make serve`` serves it: the JSON document and a Swagger UI page, offline.

The document is the service's committed file with this server first in ``servers``, so Swagger UI's "Try it out"
calls the local API. The page is Powertools' own Swagger UI (``aws_lambda_powertools.event_handler.openapi.
swagger_ui``), whose JavaScript and CSS ship inside the package and are inlined into the page: no CDN, no network.
"""

import json
from pathlib import Path
from typing import Any

DOCUMENT_PATH = "/_local/openapi.json"
SWAGGER_UI_PATH = "/_local/docs"
PATHS = frozenset({DOCUMENT_PATH, SWAGGER_UI_PATH})


def served_document(document_file: Path, base_url: str) -> dict[str, Any]:
    """The description in ``document_file`` with ``base_url`` (``http://localhost:3000``) as its first server.

    Read at every request, so a `make openapi` while serving shows at once. Raises OSError when the file cannot be
    read and ValueError when it is not JSON.
    """
    document: dict[str, Any] = json.loads(document_file.read_text(encoding="utf-8"))
    others = [server for server in document.get("servers", []) if server.get("url") != base_url]
    document["servers"] = [{"url": base_url, "description": "this local server (make serve)"}, *others]
    return document


def swagger_ui_page(document: dict[str, Any]) -> str:
    """A self-contained HTML page showing ``document`` in Powertools' bundled Swagger UI."""
    from aws_lambda_powertools.event_handler.openapi import swagger_ui
    from aws_lambda_powertools.event_handler.openapi.swagger_ui import generate_swagger_html

    assets = Path(swagger_ui.__file__).parent
    # `</` inside the inlined JSON would end the page's <script> element early.
    spec = json.dumps(document).replace("</", "<\\/")
    return generate_swagger_html(
        spec,
        (assets / "swagger-ui-bundle.min.js").read_text(encoding="utf-8"),
        (assets / "swagger-ui.min.css").read_text(encoding="utf-8"),
        swagger_base_url="",  # empty: inline the assets rather than link a CDN
        oauth2_config=None,
    )


def answer(path: str, query: dict[str, list[str]], document_file: Path | None, base_url: str) -> tuple[int, str, bytes]:
    """``(status, content type, body)`` for one of ``PATHS``: the document, or the page (``?format=json``: the
    document, as Swagger UI's download link asks for it); 404 when the service serves no description."""
    if document_file is None:
        message = {"error": "not_found", "message": "this service serves no OpenAPI description"}
        return 404, "application/json", json.dumps(message).encode()
    document = served_document(document_file, base_url)
    if path == DOCUMENT_PATH or query.get("format") == ["json"]:
        return 200, "application/json", json.dumps(document, indent=2).encode() + b"\n"
    return 200, "text/html; charset=utf-8", swagger_ui_page(document).encode()
