"""The deployed REST API answered locally: routes from the template, REST-proxy events to the real handlers.

Routes come from the stack's AWS::ApiGateway::Resource and AWS::ApiGateway::Method resources (path
parts, ``{id}`` parameters, ``{proxy+}``, ``ANY``), and each method's Lambda proxy integration names
its function through ``Fn::GetAtt [<function>, Arn]``. Requests are turned into REST (v1) proxy events
as API Gateway builds them and invoked through the embedded AWS, so armed faults apply.

The API answers at two bases, as a deployed one does: ``/prod/...`` as on the execute-api endpoint (the
stage in the URL) and ``/...`` as on a custom domain mapped without a base path; ``requestContext.path``
says which, so the links a handler returns resolve against the URL called.

A method with ``AWS_IAM`` authorization gets the caller's identity in ``requestContext.identity``:
the principal named by the local-only ``X-Local-Caller-Arn`` header (removed before the handler sees
the request), else LOCAL_CALLER_ARN. With ``check_signatures`` (``make serve``), such a method also
needs a SigV4 ``Authorization`` header scoped to the API's region and ``execute-api``, and answers
API Gateway's 403 otherwise; any credentials are accepted, since the signature itself cannot be
recomputed without the caller's secret key (see ``signature_problem``). In process (tests, the demo)
the local API signs for the caller itself. Request validators and models and throttling are not
applied (see the README's table). An unknown path answers 404 and a known path with another method
405, with JSON bodies.
"""

import base64
import json
import os
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from urllib.parse import parse_qs, unquote

from embedded_aws.engine.deploy import DeployedStack
from embedded_aws.services.awslambda import Invocation, LambdaServiceException
from embedded_aws.services.events import HeaderLines, header_lines, rest_api_event

STAGE = "prod"
ACCOUNT_ID = "123456789012"  # moto's default account, which the embedded AWS deploys into
# Who signs a request to an AWS_IAM method locally unless the header names someone else.
LOCAL_CALLER_HEADER = "X-Local-Caller-Arn"
LOCAL_CALLER_ARN = f"arn:aws:iam::{ACCOUNT_ID}:user/local-developer"
PRINCIPAL_ARN = re.compile(r"^arn:aws[a-z-]*:(?:iam|sts)::(\d{12}):[\w+=,.@/-]+$")
# `make serve` checks signatures unless LOCAL_API_SIGNATURES=off (for clients that cannot sign, such as Swagger UI).
SIGNATURES_SWITCH = "LOCAL_API_SIGNATURES"
SIGV4_ALGORITHM = "AWS4-HMAC-SHA256"
SIGNATURE = re.compile(r"^[0-9a-f]{64}$")
SIGNATURE_MISMATCH = "The request signature we calculated does not match the signature you provided."
Query = Mapping[str, str | Sequence[str]]


class Aws(Protocol):
    """What LocalApi needs from the embedded AWS (``embedded_aws.engine.runtime.EmbeddedAws``)."""

    @property
    def stack(self) -> DeployedStack: ...

    @property
    def region(self) -> str: ...

    def invoke(self, function_name: str, event: dict[str, Any]) -> Invocation: ...


@dataclass(frozen=True)
class ApiResponse:
    status_code: int
    headers: dict[str, str]
    # Parsed JSON when the body is JSON, else the text (bytes for a base64-encoded body, None when empty).
    body: Any
    # The body as sent on the wire, byte for byte.
    raw_body: bytes = b""


@dataclass(frozen=True)
class Route:
    resource: str  # the resource path as API Gateway names it: /orders/{id}
    methods: dict[str, str]  # HTTP method (or ANY) -> function name
    authorization: dict[str, str] = field(default_factory=dict)  # HTTP method -> AuthorizationType (AWS_IAM, NONE)

    @property
    def parts(self) -> list[str]:
        return [part for part in self.resource.split("/") if part]

    def match(self, segments: list[str]) -> dict[str, str] | None:
        """The path parameters when the path matches this resource, else None."""
        parts, parameters = self.parts, {}
        for index, part in enumerate(parts):
            if part.startswith("{") and part.endswith("+}"):
                if index >= len(segments):
                    return None
                parameters[part[1:-2]] = "/".join(segments[index:])
                return parameters
            if index >= len(segments):
                return None
            if part.startswith("{") and part.endswith("}"):
                parameters[part[1:-1]] = segments[index]
            elif part != segments[index]:
                return None
        return parameters if len(parts) == len(segments) else None

    @property
    def specificity(self) -> tuple[int, int]:
        """Literal parts win over parameters, parameters over greedy ones (as API Gateway chooses)."""
        greedy = sum(1 for part in self.parts if part.endswith("+}"))
        literal = sum(1 for part in self.parts if not part.startswith("{"))
        return (-greedy, literal)


def routes_of(stack: DeployedStack) -> list[Route]:
    """Every resource path with its methods and their Lambda proxy functions, from the deployed template."""
    resources = stack.template["Resources"]
    paths: dict[str, str] = {}

    def path_of(reference: Any) -> str:
        if isinstance(reference, dict) and "Fn::GetAtt" in reference:  # [<RestApi>, RootResourceId]
            return "/"
        logical_id = reference["Ref"]
        if logical_id not in paths:
            properties = resources[logical_id]["Properties"]
            parent = path_of(properties["ParentId"])
            paths[logical_id] = parent.rstrip("/") + "/" + properties["PathPart"]
        return paths[logical_id]

    routes: dict[str, Route] = {}
    for logical_id, resource in resources.items():
        if resource["Type"] == "AWS::ApiGateway::Resource":
            path = path_of({"Ref": logical_id})
            routes.setdefault(path, Route(path, {}))
    for resource in resources.values():
        if resource["Type"] != "AWS::ApiGateway::Method":
            continue
        properties = resource["Properties"]
        function = _integration_function(properties.get("Integration", {}))
        if function is None:
            continue  # MOCK / HTTP integrations (CORS preflight, say) have no function to run
        path = path_of(properties["ResourceId"])
        route = routes.setdefault(path, Route(path, {}))
        method = properties["HttpMethod"].upper()
        route.methods[method] = stack.physical_ids[function]
        route.authorization[method] = properties.get("AuthorizationType", "NONE")
    return [route for _, route in sorted(routes.items())]


def _integration_function(integration: dict[str, Any]) -> str | None:
    """The logical id of the function a Lambda (proxy) integration's Uri points at via Fn::GetAtt Arn."""
    if integration.get("Type") not in {"AWS_PROXY", "AWS"}:
        return None

    def find(value: Any) -> str | None:
        if isinstance(value, dict):
            if "Fn::GetAtt" in value and value["Fn::GetAtt"][1] == "Arn":
                return str(value["Fn::GetAtt"][0])
            return next((found for item in value.values() if (found := find(item)) is not None), None)
        if isinstance(value, list):
            return next((found for item in value if (found := find(item)) is not None), None)
        return None

    return find(integration.get("Uri"))


class LocalApi:
    """The service's REST API, in process: ``LocalApi(aws).request("POST", "/orders", headers, body)``."""

    def __init__(self, aws: Aws, *, check_signatures: bool = False) -> None:
        """``check_signatures``: refuse a request to an AWS_IAM method that is not SigV4-signed for the API, as API
        Gateway does (False: the local API signs for the caller itself)."""
        self._aws = aws
        self._check_signatures = check_signatures
        self.routes = routes_of(aws.stack)

    def request(
        self,
        method: str,
        path: str,
        headers: HeaderLines | None = None,
        body: Any = None,
        query: Query | None = None,
    ) -> ApiResponse:
        """Answer one request as the deployed API would.

        ``headers``: a mapping or the header lines as sent (a name may repeat); ``body``: str or bytes as sent,
        anything else as JSON; ``path``: with or without the stage (``/prod/orders`` or ``/orders``).
        """
        method = method.upper()
        path, _, query_string = path.partition("?")
        if query is None and query_string:
            query = parse_qs(query_string, keep_blank_values=True)
        path = "/" + path.strip("/")
        base_path = ""
        matched = self._match(path)
        if not matched and (path + "/").startswith(f"/{STAGE}/"):
            base_path, path = f"/{STAGE}", "/" + path.removeprefix(f"/{STAGE}").strip("/")
            matched = self._match(path)
        if not matched:
            return _error(404, "not_found", f"no resource matches {base_path}{path}")
        route, parameters = matched[0]
        function = route.methods.get(method) or route.methods.get("ANY")
        if function is None:
            allowed = ", ".join(sorted(route.methods))
            response = _error(405, "method_not_allowed", f"{method} is not allowed on {route.resource}")
            response.headers["Allow"] = allowed
            return response
        lines = header_lines(headers)
        iam_authorized = route.authorization.get(method) == "AWS_IAM"
        if iam_authorized and self._check_signatures and (problem := signature_problem(lines, self._aws.region)):
            error_type, message = problem
            response = _error(403, error_type, message, message_only=True)
            response.headers["x-amzn-ErrorType"] = error_type
            return response
        try:
            identity = _identity(lines, signed=iam_authorized)
        except ValueError as error:
            return _error(400, "invalid_local_caller", str(error))
        lines = [(name, value) for name, value in lines if name.lower() != LOCAL_CALLER_HEADER.lower()]
        event = self._event(method, path, route.resource, parameters, lines, body, query, base_path, identity)
        try:
            outcome = self._aws.invoke(function, event)
        except LambdaServiceException:
            return _error(500, "internal_server_error", "Internal server error", message_only=True)
        if outcome.failed:
            # A function error (or crash) behind a proxy integration: API Gateway answers 502.
            return _error(502, "internal_server_error", "Internal server error", message_only=True)
        return _from_proxy_response(outcome.payload)

    def _match(self, path: str) -> list[tuple[Route, dict[str, str]]]:
        """The routes matching ``path``, most specific first, with their path parameters."""
        segments = [unquote(segment) for segment in path.split("/") if segment]
        return sorted(
            ((route, parameters) for route in self.routes if (parameters := route.match(segments)) is not None),
            key=lambda candidate: candidate[0].specificity,
            reverse=True,
        )

    def _event(
        self,
        method: str,
        path: str,
        resource: str,
        parameters: dict[str, str],
        headers: list[tuple[str, str]],
        body: Any,
        query: Query | None,
        base_path: str,
        identity: dict[str, Any],
    ) -> dict[str, Any]:
        if isinstance(body, bytes):
            body = body.decode()
        if body is not None and not isinstance(body, str):
            body = json.dumps(body)
            if not any(name.lower() == "content-type" for name, _ in headers):
                headers = [*headers, ("Content-Type", "application/json")]
        event = rest_api_event(
            method,
            path,
            resource=resource,
            headers=headers,
            body=body,
            path_parameters=parameters or None,
            base_path=base_path,
            identity=identity,
        )
        multi_query = {
            name: [value] if isinstance(value, str) else list(value) for name, value in (query or {}).items()
        }
        now = datetime.now(UTC)
        event.update(
            {
                "queryStringParameters": {name: values[-1] for name, values in multi_query.items()} or None,
                "multiValueQueryStringParameters": multi_query or None,
            }
        )
        event["requestContext"].update(
            {
                "accountId": ACCOUNT_ID,
                "apiId": "local",
                "domainName": "localhost",
                "extendedRequestId": str(uuid.uuid4()),
                "protocol": "HTTP/1.1",
                "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
                "requestTimeEpoch": int(now.timestamp() * 1000),
                "stage": STAGE,
            }
        )
        return event


def signatures_required() -> bool:
    """Whether the served API checks signatures: yes, unless ``LOCAL_API_SIGNATURES=off``."""
    return os.environ.get(SIGNATURES_SWITCH, "on").lower() not in {"off", "0", "false", "no"}


def signature_problem(headers: Sequence[tuple[str, str]], region: str) -> tuple[str, str] | None:
    """Why API Gateway would refuse the request's SigV4 signature before checking it: ``(error type, message)``,
    None when the ``Authorization`` header is a complete SigV4 signature for ``region`` and ``execute-api``.

    The messages are API Gateway's (MissingAuthenticationTokenException, IncompleteSignatureException,
    InvalidSignatureException). Not judged: the signature's value (it needs the caller's secret key; any credentials
    are accepted locally), the request time's skew, and signatures in the query string (X-Amz-Signature).
    """
    names = {name.lower(): value for name, value in headers}
    authorization = names.get("authorization", "").strip()
    if not authorization:
        return "MissingAuthenticationTokenException", "Missing Authentication Token"
    algorithm, _, parameters = authorization.partition(" ")
    fields = dict(part.strip().partition("=")[::2] for part in parameters.split(",") if "=" in part)
    missing = [
        f"Authorization header requires '{name}' parameter."
        for name in ("Credential", "Signature", "SignedHeaders")
        if not fields.get(name)
    ]
    if "x-amz-date" not in names and "date" not in names:
        missing.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    if algorithm != SIGV4_ALGORITHM or missing:
        return "IncompleteSignatureException", " ".join(missing) or f"Unsupported signature algorithm: {algorithm}"
    scope = fields["Credential"].split("/")
    if len(scope) != 5 or scope[4] != "aws4_request":
        return "IncompleteSignatureException", f"Credential must have exactly 5 slash-delimited elements: {scope}"
    if scope[2] != region:
        return "InvalidSignatureException", f"Credential should be scoped to a valid region, not '{scope[2]}'. "
    if scope[3] != "execute-api":
        return "InvalidSignatureException", "Credential should be scoped to correct service: 'execute-api'. "
    if "host" not in fields["SignedHeaders"].lower().split(";") or not SIGNATURE.match(fields["Signature"]):
        return "InvalidSignatureException", SIGNATURE_MISMATCH
    return None


def _identity(headers: list[tuple[str, str]], *, signed: bool) -> dict[str, Any]:
    """``requestContext.identity`` as API Gateway fills it: the signer's principal only for an AWS_IAM method."""
    user_agent = next((value for name, value in headers if name.lower() == "user-agent"), None)
    identity: dict[str, Any] = {"sourceIp": "127.0.0.1", "userAgent": user_agent}
    identity.update(dict.fromkeys(("userArn", "accountId", "caller", "user", "accessKey")))
    if not signed:
        return identity  # the header names nobody: the method has no IAM authorization
    named = [value.strip() for name, value in headers if name.lower() == LOCAL_CALLER_HEADER.lower()]
    principal = named[-1] if named else LOCAL_CALLER_ARN
    arn = PRINCIPAL_ARN.match(principal)
    if arn is None:
        raise ValueError(
            f"{LOCAL_CALLER_HEADER}: {principal!r} is not an IAM user or role ARN such as {LOCAL_CALLER_ARN}"
        )
    name = principal.rsplit("/", 1)[-1]
    identity.update(
        {
            "userArn": principal,
            "accountId": arn.group(1),
            "caller": name,
            "user": name,
            "accessKey": "ASIALOCALACCESSKEY00",
        }
    )
    return identity


def _from_proxy_response(payload: Any) -> ApiResponse:
    """A proxy integration's answer as API Gateway sends it: headers and multiValueHeaders merged."""
    if not isinstance(payload, dict) or not isinstance(payload.get("statusCode"), int):
        return _error(502, "internal_server_error", "Internal server error", message_only=True)
    headers = {str(name): str(value) for name, value in (payload.get("headers") or {}).items()}
    for name, values in (payload.get("multiValueHeaders") or {}).items():
        headers[str(name)] = ", ".join(str(value) for value in values)
    raw = payload.get("body")
    body: Any
    if raw is None or raw == "":
        body, wire = None, b""
    elif payload.get("isBase64Encoded"):
        body = wire = base64.b64decode(raw)
    elif _is_json(headers) or not any(name.lower() == "content-type" for name in headers):
        wire = str(raw).encode()
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw
    else:
        body, wire = raw, str(raw).encode()
    return ApiResponse(payload["statusCode"], headers, body, wire)


def _is_json(headers: Mapping[str, str]) -> bool:
    content_type = next((value for name, value in headers.items() if name.lower() == "content-type"), "")
    return "json" in content_type


def _error(status_code: int, code: str, message: str, *, message_only: bool = False) -> ApiResponse:
    # API Gateway's own errors carry just {"message": ...}; the routing errors also name the error.
    body = {"message": message} if message_only else {"error": code, "message": message}
    wire = json.dumps(body, separators=(",", ":")).encode()  # compact, as API Gateway and the handlers write JSON
    return ApiResponse(status_code, {"Content-Type": "application/json"}, body, wire)
