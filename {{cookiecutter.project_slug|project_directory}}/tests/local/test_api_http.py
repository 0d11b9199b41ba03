"""api.http, the editor's request collection, gets from the local API the answers its titles promise.

Each ``###`` block is one request; the first three-digit number in its title is the status it promises (none: a
2xx). The requests to the local server's own ``/_local`` endpoints and to the deployed API are not the local API's,
and a request that reads another one's response (REST Client's response variables) needs that editor.
"""

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from embedded_aws.services.apigateway import LocalApi

from local.aws import ServiceOnEmbeddedAws
from tests.local.support import new_key, sigv4_signed

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROMISED_STATUS = re.compile(r"\b([1-5]\d\d)\b")
VARIABLE = re.compile(r"(?m)^@(\w+) = (.*)$")
# REST Client's AWS Signature v4 scheme: it sends the request SigV4-signed with these credentials instead.
REST_CLIENT_AWS = re.compile(r"^AWS (?P<key>\S+) (?P<secret>\S+) region:(?P<region>\S+) service:(?P<service>\S+)$")
# How an .http file encloses a variable's name, spelt apart because this file is a Jinja template too.
OPEN, CLOSE = "{" * 2, "}" * 2

pytestmark = pytest.mark.usefixtures("settled")


@dataclass(frozen=True)
class HttpRequest:
    title: str
    method: str
    path: str
    headers: list[tuple[str, str]]
    body: str | None


def requests_of(text: str, variables: dict[str, str]) -> list[HttpRequest]:
    """The requests of an .http file, its variables replaced (``variables`` over the file's own ``@name = value``
    definitions); lines starting with ``#`` or ``@`` are comments and variable definitions."""
    defined = dict(VARIABLE.findall(text))
    variables = {**defined, **variables}
    requests = []
    for block in text.split("\n###")[1:]:
        title, *lines = block.splitlines()
        lines = [line for line in lines if not line.startswith(("#", "@"))]
        while lines and not lines[0].strip():
            lines.pop(0)
        request_line, *rest = lines
        for name, value in variables.items():
            request_line = request_line.replace(OPEN + name + CLOSE, value)
            rest = [line.replace(OPEN + name + CLOSE, value) for line in rest]
        method, path = request_line.split(" ", 1)
        blank = rest.index("") if "" in rest else len(rest)
        headers = [(name, value.strip()) for name, value in (line.split(":", 1) for line in rest[:blank])]
        body = "\n".join(rest[blank + 1 :]).strip() or None
        requests.append(HttpRequest(title.strip(), method, path.strip(), headers, body))
    return requests


def as_sent(request: HttpRequest) -> list[tuple[str, str]]:
    """The request's header lines as the editor sends them: REST Client's ``Authorization: AWS ...`` line becomes
    the SigV4 headers it stands for (signed here by botocore, as REST Client signs)."""
    lines = [(name, value) for name, value in request.headers if not REST_CLIENT_AWS.match(value)]
    aws_scheme = [match for _, value in request.headers if (match := REST_CLIENT_AWS.match(value))]
    if not aws_scheme:
        return lines
    (scheme,) = aws_scheme
    return sigv4_signed(
        request.method,
        request.path,
        lines,
        request.body,
        region=scheme["region"],
        credentials=(scheme["key"], scheme["secret"]),
        service=scheme["service"],
    )


def test_every_local_api_request_of_the_collection_gets_the_status_its_title_promises(
    aws: ServiceOnEmbeddedAws,
) -> None:
    # Given the local API as `make serve` answers it (signatures checked), and the collection's requests with a key
    # no other test uses
    api = LocalApi(aws, check_signatures=True)
    text = (PROJECT_ROOT / "api.http").read_text(encoding="utf-8")
    requests = [
        request
        for request in requests_of(text, {"base": "", "key": new_key()})
        if request.path.startswith("/") and not request.path.startswith("/_local") and OPEN not in request.path
    ]
    assert len(requests) >= 5
    for request in requests:
        # When each is sent in order
        response = api.request(request.method, request.path, as_sent(request), request.body)
        aws.settle()
        # Then it gets the status its title promises
        promised = PROMISED_STATUS.search(request.title)
        if promised:
            assert response.status_code == int(promised.group(1)), (request.title, response)
        else:
            assert 200 <= response.status_code < 300, (request.title, response)
