"""The local server (`make serve`): what it prints about its clients."""

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest
from embedded_aws.server import LocalApiServer


@pytest.fixture
def server() -> Iterator[LocalApiServer]:
    local = LocalApiServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    yield local
    local.server_close()


def report(server: LocalApiServer, error: BaseException) -> None:
    """What the server does when handling a request raised ``error``."""
    try:
        raise error
    except BaseException:
        server.handle_error(None, ("127.0.0.1", 50000))


def test_a_client_hanging_up_is_not_reported_but_a_failure_of_the_server_is(
    server: LocalApiServer, capsys: pytest.CaptureFixture[str]
) -> None:
    # Given the local API's server, when clients hang up mid-answer and then a request fails in the server itself
    report(server, ConnectionResetError(104, "Connection reset by peer"))
    report(server, BrokenPipeError(32, "Broken pipe"))
    report(server, ValueError("a bug in the server"))
    # Then only the failure is printed, with its traceback
    printed = capsys.readouterr().err
    assert "Connection reset" not in printed and "Broken pipe" not in printed
    assert "ValueError: a bug in the server" in printed
