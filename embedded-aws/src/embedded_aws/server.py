"""A service's API and an AWS endpoint on localhost, offline: what a service's ``make serve`` runs (``main``).

Starts the embedded AWS (synthesize, deploy into moto, real handlers in-process), then serves:
- the REST API on ``PORT`` (default 3000), routed as the deployed API Gateway routes it (services.apigateway);
- the AWS APIs of the same in-process account on ``AWS_PORT`` (default 5000), so that
  ``aws --endpoint-url http://localhost:5000 dynamodb scan --table-name ...`` or boto3 with
  ``endpoint_url`` inspect the very tables, queues and executions the API writes to;
- local-only controls under ``/_local`` (fault injection, redelivery, duplicate executions, state);
- the service's OpenAPI description at ``/_local/openapi.json`` and a Swagger UI page at ``/_local/docs``
  (api_description), when the service names its file.
A background thread polls the outbox stream, so sagas progress while you watch. Ctrl-C stops it all.
"""

import contextlib
import json
import logging
import os
import signal
import socket
import sys
import tempfile
import threading
import time
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from embedded_aws import api_description
from embedded_aws.engine.deploy import SynthFailed, synthesize
from embedded_aws.engine.offline import use_fake_aws_account
from embedded_aws.engine.runtime import EmbeddedAws

DEFAULT_PORT = 3000
DEFAULT_AWS_PORT = 5000
# How often the serving main thread looks for a stop signal (seconds): the latency of Ctrl-C.
STOP_POLL_SECONDS = 0.2
# How often the background thread reads the outbox stream, as the mapping's poller would.
POLL_INTERVAL_SECONDS = 0.05


def use_offline_environment(region: str) -> None:
    """Fake credentials and a region: nothing can reach a real AWS account.

    Call before the embedded AWS starts (handler modules build their clients when they are imported).
    """
    use_fake_aws_account(region)
    os.environ.update(
        {
            # Embedded-metric-format lines would be printed to stdout on every invoke.
            "POWERTOOLS_METRICS_DISABLED": "true",
            "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
        }
    )


def quiet_logs(service_name: str, handler_level: int | str = logging.WARNING) -> None:
    """Keep the handlers' JSON logs at ``handler_level`` and hide moto's notes on resources it does not model."""
    logging.getLogger(service_name).setLevel(handler_level)
    # moto logs every failed execution at ERROR (a saga ending FAILED included); its status already says so.
    logging.getLogger("moto").setLevel(logging.CRITICAL)
    for name in ("werkzeug", "botocore.credentials"):
        logging.getLogger(name).setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", category=UserWarning, module="moto")


class LocalControls:
    """The ``/_local`` endpoints: local-only operations on the embedded AWS, as JSON over HTTP."""

    def __init__(self, aws: Any, lock: threading.Lock) -> None:
        self._aws = aws
        # boto3's default session is not safe to build clients from concurrently; the poller shares this lock.
        self._lock = lock

    def handle(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        routes: dict[str, dict[str, Callable[[Any], tuple[int, Any]]]] = {
            "/_local": {"GET": self._index},
            "/_local/faults": {"GET": self._faults, "POST": self._arm, "DELETE": self._clear},
            "/_local/redeliver": {"POST": self._redeliver},
            "/_local/duplicate-execution": {"POST": self._duplicate},
            "/_local/state": {"GET": self._state},
            "/_local/executions": {"GET": self._executions},
        }
        methods = routes.get(path.rstrip("/") or "/")
        if methods is None:
            return 404, {"error": "not_found", "message": f"no local endpoint {path}", "endpoints": sorted(routes)}
        if method not in methods:
            return 405, {"error": "method_not_allowed", "message": f"{path} accepts {', '.join(sorted(methods))}"}
        with self._lock:
            return methods[method](body)

    def _index(self, _body: Any) -> tuple[int, Any]:
        return 200, {
            "GET /_local/faults": "armed faults, the fault kinds and the function names to arm them on",
            "POST /_local/faults": (
                '{"function": <handler module or short name>, "kind": <kind>, "count": 1, "error_name": "..."}'
            ),
            "DELETE /_local/faults": "disarm every fault",
            "POST /_local/redeliver": "re-read the outbox stream from its start and deliver every record again",
            "POST /_local/duplicate-execution": '{"name": <execution name>}: start it again with its input',
            "GET /_local/state": "item counts, executions by status, queue depths, stream deliveries",
            "GET /_local/executions": "every saga execution with its status",
            "GET /_local/openapi.json": "the service's OpenAPI description, this server first in its servers",
            "GET /_local/docs": "the same in Swagger UI (offline)",
        }

    def _faults(self, _body: Any) -> tuple[int, Any]:
        from embedded_aws.engine.faults import FaultKind

        return 200, {
            "armed": self._armed(),
            "kinds": [kind.value for kind in FaultKind],
            "functions": self._aws.lambdas.short_names(),
        }

    def _arm(self, body: Any) -> tuple[int, Any]:
        from embedded_aws.engine.faults import FaultKind

        if not isinstance(body, dict) or not isinstance(body.get("function"), str):
            return 400, {
                "error": "invalid_request",
                "message": 'expected {"function": <handler module or short name>, "kind": <kind>}',
            }
        kind, count = body.get("kind", "business_error"), body.get("count", 1)
        if kind not in {fault.value for fault in FaultKind}:
            return 400, {"error": "invalid_request", "message": f"kind must be one of {[k.value for k in FaultKind]}"}
        if not isinstance(count, int) or count < 1:
            return 400, {"error": "invalid_request", "message": "count must be a positive integer"}
        error_name = str(body.get("error_name") or "InjectedBusinessError")
        if not error_name.isidentifier():
            return 400, {"error": "invalid_request", "message": "error_name must be a Python identifier"}
        try:
            self._aws.arm_fault(body["function"], kind, count, error_name)
        except KeyError:
            return 400, {
                "error": "unknown_function",
                "message": f"no single function for {body['function']!r}",
                "functions": self._aws.lambdas.short_names(),
            }
        return 201, {"armed": self._armed()}

    def _clear(self, _body: Any) -> tuple[int, Any]:
        self._aws.faults.clear()
        return 200, {"armed": self._armed()}

    def _armed(self) -> dict[str, list[str]]:
        """The armed faults by short name, the names GET lists and POST accepts, not the deployed names."""
        return {self._aws.lambdas.short_name_of(name): kinds for name, kinds in self._aws.faults.armed().items()}

    def _redeliver(self, _body: Any) -> tuple[int, Any]:
        return 200, {"records_redelivered": self._aws.redeliver_streams()}

    def _duplicate(self, body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict) or not isinstance(body.get("name"), str):
            return 400, {"error": "invalid_request", "message": 'expected {"name": <execution name>}'}
        if body["name"] not in {execution["name"] for execution in self._aws.executions()}:
            return 404, {"error": "not_found", "message": f"no execution named {body['name']!r}"}
        return 200, {"name": body["name"], "result": self._aws.start_duplicate_execution(body["name"])}

    def _state(self, _body: Any) -> tuple[int, Any]:
        return 200, self._aws.state()

    def _executions(self, _body: Any) -> tuple[int, Any]:
        return 200, [
            {"name": execution["name"], "status": execution["status"], "executionArn": execution["executionArn"]}
            for execution in self._aws.executions()
        ]


def make_handler(api: Any, controls: LocalControls, openapi: Path | None = None) -> type[BaseHTTPRequestHandler]:
    """The request handler class of the API's port; ``openapi``: the service's OpenAPI file (None: it has none)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "local-api"

        def _serve(self) -> None:
            started = time.perf_counter()
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            if url.path in api_description.PATHS:
                base = f"http://{self.headers.get('Host') or 'localhost'}"
                query = parse_qs(url.query)
                try:
                    status, content_type, payload = api_description.answer(url.path, query, openapi, base)
                except (OSError, ValueError) as error:
                    status, content_type = 500, "application/json"
                    payload = json.dumps({"error": "unreadable_openapi", "message": str(error)}).encode()
                headers = {"Content-Type": content_type}
            elif url.path == "/_local" or url.path.startswith("/_local/"):
                try:
                    body = json.loads(raw) if raw else None
                except ValueError:
                    status, answer = 400, {"error": "invalid_json", "message": "the body is not JSON"}
                else:
                    status, answer = controls.handle(self.command, url.path, body)
                headers = {"Content-Type": "application/json"}
                payload = json.dumps(answer, default=str, indent=2).encode() + b"\n"
            else:
                try:
                    response = api.request(
                        self.command,
                        url.path,
                        headers=self.headers.items(),
                        body=raw.decode() if raw else None,
                        query=parse_qs(url.query, keep_blank_values=True),
                    )
                    status, headers, payload = response.status_code, response.headers, response.raw_body
                except Exception:  # a bug in the emulation, not in the service: say so and keep serving
                    traceback.print_exc()
                    status, headers = 500, {"Content-Type": "application/json"}
                    payload = b'{"message": "the local emulation failed; see the server output"}'
            self.send_response(status)
            for name, value in headers.items():
                if name.lower() not in {"content-length", "connection", "transfer-encoding"}:
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
            elapsed = (time.perf_counter() - started) * 1000
            print(f"{self.command} {self.path} -> {status} ({elapsed:.0f} ms)", flush=True)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """One line per request is printed by _serve; the default access log goes to stderr."""

    return Handler


class StreamPump(threading.Thread):
    """Polls the outbox stream as the deployed mapping would, so sagas progress without anyone calling settle."""

    def __init__(self, aws: Any, lock: threading.Lock) -> None:
        super().__init__(name="stream-pump", daemon=True)
        self._aws = aws
        self._lock = lock
        self.stopping = threading.Event()

    def run(self) -> None:
        while not self.stopping.wait(POLL_INTERVAL_SECONDS):
            try:
                with self._lock:
                    self._aws.pump_streams()
            except Exception as error:  # keep polling: one bad poll must not stop the sagas
                print(f"stream poll failed: {type(error).__name__}: {error}", file=sys.stderr, flush=True)


def start_aws_endpoint(host: str, port: int) -> tuple[Any, threading.Thread]:
    """moto's server (what ``moto.server.ThreadedMotoServer`` runs) in a thread of this process.

    It answers from the same in-process backends as the embedded AWS, so it shows (and changes) the
    very state the handlers work on. Built here rather than through ThreadedMotoServer so that a busy
    port fails at once with a clear error instead of leaving the server thread dead.
    """
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
    from werkzeug.serving import make_server

    server = make_server(
        host, port, DomainDispatcherApplication(create_backend_app), True, request_handler=MotoRequestHandler
    )
    thread = threading.Thread(target=server.serve_forever, name="aws-endpoint", daemon=True)
    thread.start()
    return server, thread


@dataclass(frozen=True)
class Serving:
    """What a service tells the server: its name (its loggers' name), region, CDK app and how to start it.

    ``app_directory``: where ``app.py`` is synthesized. ``start``: builds the (not yet started) embedded AWS for a
    synthesized assembly. ``banner``: the service's own lines for the banner (examples of requests), given the
    running embedded AWS and the API's and the AWS endpoint's base URLs. ``openapi``: the service's OpenAPI
    document, served at ``/_local/openapi.json`` and as a Swagger UI page at ``/_local/docs`` (None: neither).
    """

    service_name: str
    region: str
    app_directory: Path
    start: Callable[[Path], EmbeddedAws]
    banner: Callable[[EmbeddedAws, str, str], list[str]]
    openapi: Path | None = None


def main(serving: Serving) -> int:
    """Serve until Ctrl-C (or SIGTERM); returns the process's exit code (0, 1 on a failed start, 130 on abort).

    Ports from the environment: ``HOST`` (127.0.0.1), ``PORT`` (3000, the API), ``AWS_PORT`` (5000, the AWS endpoint).
    """
    use_offline_environment(serving.region)
    host = os.environ.get("HOST", "127.0.0.1")
    port = int(os.environ.get("PORT", DEFAULT_PORT))
    aws_port = int(os.environ.get("AWS_PORT", DEFAULT_AWS_PORT))
    # A plain list, not a threading.Event: the handler runs on the main thread between two of its bytecodes, and
    # Event.set() there would wait for the Event's own lock if the main thread held it (inside Event.wait): a hang.
    signals: list[int] = []
    running = threading.Event()

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        if not running.is_set():
            raise KeyboardInterrupt  # still starting: abandon the start
        if signals:
            os._exit(130)  # a second Ctrl-C while stopping: leave at once
        signals.append(signum)

    # Installed explicitly: a background job's shell may have set SIGINT to "ignore".
    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    quiet_logs(serving.service_name)
    try:
        return _serve(serving, host, port, aws_port, lambda: bool(signals), running)
    except KeyboardInterrupt:
        print("\nstopped", flush=True)
        return 130
    except SynthFailed as error:
        print(error, file=sys.stderr)
        return 1
    except OSError as error:
        print(f"cannot serve: {error}; choose other ports with PORT=... AWS_PORT=...", file=sys.stderr)
        return 1


class LocalApiServer(ThreadingHTTPServer):
    """The local API's HTTP server: a client that hangs up before reading its answer (``curl ... | head``) is
    normal traffic, not an error to print with a traceback."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], ConnectionResetError | BrokenPipeError):
            return
        super().handle_error(request, client_address)


def _serve(
    serving: Serving,
    host: str,
    port: int,
    aws_port: int,
    stop_requested: Callable[[], bool],
    running: threading.Event,
) -> int:
    from embedded_aws.services.apigateway import LocalApi, signatures_required

    for free_port in (port, aws_port):
        _check_free(host, free_port)  # before the synth: a busy port should not cost ten seconds to find out
    started = time.perf_counter()
    print(f"Synthesizing {serving.service_name} and deploying it into the embedded AWS ...", flush=True)
    with (
        tempfile.TemporaryDirectory() as assembly,
        serving.start(synthesize(serving.app_directory, Path(assembly))) as aws,
    ):
        # LOG_LEVEL=INFO shows every handler's structured log lines.
        quiet_logs(serving.service_name, os.environ.get("LOG_LEVEL", "WARNING").upper())
        lock = threading.Lock()
        api = LocalApi(aws, check_signatures=signatures_required())
        httpd = LocalApiServer((host, port), make_handler(api, LocalControls(aws, lock), serving.openapi))
        httpd.daemon_threads = True
        try:
            aws_server, aws_thread = start_aws_endpoint(host, aws_port)
        except OSError:
            httpd.server_close()
            raise
        pump = StreamPump(aws, lock)
        pump.start()
        api_thread = threading.Thread(target=httpd.serve_forever, name="local-api", daemon=True)
        api_thread.start()
        running.set()
        base, endpoint = f"http://{_display(host)}:{port}", f"http://{_display(host)}:{aws_port}"
        lines = [
            f"\n{serving.service_name} is running on the embedded AWS"
            f" (ready in {time.perf_counter() - started:.1f} s)\n",
            "API (as deployed):",
            *(f"  {method:6} {base}{route.resource}" for route in api.routes for method in sorted(route.methods)),
            "",
            *serving.banner(aws, base, endpoint),
            f"AWS endpoint (the same in-process account; any credentials, e.g. AWS_ACCESS_KEY_ID=testing): {endpoint}",
            "  boto3.client('dynamodb', endpoint_url=..., region_name=..., "
            "aws_access_key_id='testing', aws_secret_access_key='testing')\n",
            f"Local controls: {base}/_local  (faults, redeliver, duplicate-execution, state, executions)",
            f"  curl {base}/_local/state\n",
            *(
                [
                    f"API description (OpenAPI): {base}{api_description.DOCUMENT_PATH}",
                    f"  Swagger UI: {base}{api_description.SWAGGER_UI_PATH}\n",
                ]
                if serving.openapi
                else []
            ),
            "Ctrl-C stops.",
        ]
        print("\n".join(lines), flush=True)
        while not stop_requested():
            time.sleep(STOP_POLL_SECONDS)
        print("\nstopping ...", flush=True)
        httpd.shutdown()
        httpd.server_close()
        aws_server.shutdown()
        aws_thread.join()
        pump.stopping.set()
        pump.join()
        with contextlib.suppress(TimeoutError):
            aws.settle(timeout=5)  # let running executions end before their backends go away
    print("stopped", flush=True)
    return 0


def _check_free(host: str, port: int) -> None:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise OSError(f"{host}:{port} is in use ({error.strerror})") from None


def _display(host: str) -> str:
    return "localhost" if host in {"127.0.0.1", "0.0.0.0", ""} else host
