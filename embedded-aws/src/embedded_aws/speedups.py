"""Speed-ups of the embedded AWS, kept apart from its behaviour: work it would repeat without changing any answer.

Per request, where moto and botocore redo what depends on nothing that changed:

- moto finds a request's handler by matching its URL against the URL patterns of every service it
  emulates, then against every path of the service found: hundreds of regular expressions per request.
  The handler depends only on the URL, so each URL is routed once.
- moto lists a response class's methods by reflection (``inspect.getmembers``) to dispatch each request.
  The list depends only on the class, so it is cached.
- botocore signs every request (SigV4). Nothing in the emulation checks a signature (IAM is not
  enforced) and moto takes the account from its default, so the embedded AWS's requests go unsigned.
  They keep the one part of the signature moto reads: the credential scope's region, which is where
  moto finds a request's region when its host does not name it in moto's pattern (SQS's
  ``sqs.<region>.amazonaws.com``); without it, such a request would reach us-east-1's resources.
- moto parses a DynamoDB condition expression, and an update expression, twice per request (to validate
  the request, then to apply it). A parse depends only on the expression text and the attribute names
  and values it refers to, and nothing changes the tree it gives (updates work on a copy), so each is
  parsed once: the saga's conditional writes, which differ only in values they do not test, share one.
- The Step Functions interpreter builds a JSONPath parser, tables and all, for every path it evaluates.
  Parsed paths are immutable, so each is parsed once.
- moto answers DynamoDB item operations, and DynamoDB Streams' GetRecords, by walking the response
  through botocore's output shape. The result is already the wire JSON (attribute values, base64 for
  binary, epoch seconds for times), so it is dumped as is; botocore parses it into the same response
  (tests/test_engine_emulation.py checks that).

Per process: the objects a deployment leaves (moto's backends, botocore's service models, every
handler module: some 400,000) live as long as the emulation does, yet each full garbage collection
walked them all, a third of a second every hundred orders or so. They are frozen out of collections
while the emulation runs (``gc.freeze``).
"""

import base64
import calendar
import functools
import gc
import json
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from typing import Any
from unittest.mock import patch

from botocore.awsrequest import AWSPreparedRequest, AWSRequest
from botocore.signers import RequestSigner
from moto import backend_index, backends
from moto.core import responses
from moto.core.base_backend import BackendDict
from moto.core.botocore_stubber import BotocoreStubber
from moto.core.config import passthrough_service, passthrough_url, service_whitelisted
from moto.core.models import DEFAULT_ACCOUNT_ID
from moto.core.request import normalize_request
from moto.core.responses import ActionResult, BaseResponse
from moto.core.utils import get_equivalent_url_in_aws_domain, method_names_from_class
from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]  # an untyped module
from moto.dynamodb.responses import DynamoHandler, DynamoResult
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler
from moto.moto_api import recorder
from moto.stepfunctions.parser.asl.component.common.path import result_path
from moto.stepfunctions.parser.asl.utils import json_path
from werkzeug.exceptions import HTTPException

ITEM_OPERATIONS = frozenset(
    {
        "BatchGetItem",
        "BatchWriteItem",
        "DeleteItem",
        "GetItem",
        "PutItem",
        "Query",
        "Scan",
        "TransactGetItems",
        "TransactWriteItems",
        "UpdateItem",
    }
)
# The answers dumped as the wire JSON they already are: by response class, the class of result, the actions.
WIRE_JSON_ANSWERS: tuple[tuple[type[BaseResponse], type[ActionResult], frozenset[str]], ...] = (
    (DynamoHandler, DynamoResult, ITEM_OPERATIONS),
    (DynamoDBStreamsHandler, ActionResult, frozenset({"GetRecords"})),
)
# Entries each cache keeps: far more than the distinct URLs, expressions and paths a service uses.
CACHE_ENTRIES = 1024

MotoHandler = Callable[[Any, str, Any], Any]


def request_overheads_skipped() -> ExitStack:
    stack = ExitStack()
    stack.enter_context(_routed_once())
    stack.enter_context(patch.object(responses, "method_names_from_class", functools.cache(method_names_from_class)))
    stack.enter_context(patch.object(RequestSigner, "sign", _scoped_unsigned))
    stack.enter_context(_expressions_parsed_once())
    for handler_class, result_class, actions in WIRE_JSON_ANSWERS:
        answer = _answered_as_wire_json(handler_class.serialized, result_class, actions)
        stack.enter_context(patch.object(handler_class, "serialized", answer))
    return stack


@contextmanager
def deployment_frozen_for_collector() -> Iterator[None]:
    """Enter once deployed: what exists then is left out of garbage collections until the exit."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def _routed_once() -> Any:
    process_request = BotocoreStubber.process_request
    handler_for = functools.lru_cache(maxsize=CACHE_ENTRIES)(_moto_handler_for)

    def process_routed(stubber: BotocoreStubber, request: AWSPreparedRequest) -> Any:
        handler = handler_for(request.url)
        if handler is None:  # passed through, refused or not emulated: moto answers as it would
            return process_request(stubber, request)
        normalized = normalize_request(request)
        try:
            recorder._record_request(normalized)
            return handler(normalized, normalized.raw_url, normalized.headers)
        except HTTPException as error:
            return error.code, error.get_headers(), error.get_body()

    return patch.object(BotocoreStubber, "process_request", process_routed)


def _moto_handler_for(url: str) -> MotoHandler | None:
    """The handler moto's BotocoreStubber.process_request picks for ``url``, picked the same way."""
    parsed_url, _ = get_equivalent_url_in_aws_domain(url)
    clean_url = f"{parsed_url.scheme}://{parsed_url.netloc}{parsed_url.path}"
    if passthrough_url(clean_url):
        return None
    for service, service_pattern in backend_index.backend_url_patterns:
        if not service_pattern.match(clean_url):
            continue
        if passthrough_service(service) or not service_whitelisted(service):
            return None
        backend_dict = backends.get_backend(service)  # type: ignore[call-overload]
        if isinstance(backend_dict, BackendDict):
            # Any region's backend serves: its URL table is the same in every region, and the handler it
            # gives reads each request's own region (and account) when the request arrives.
            regions = backend_dict[DEFAULT_ACCOUNT_ID]
            backend = regions["us-east-1"] if "us-east-1" in regions else regions["aws"]
        else:
            backend = backend_dict["global"]
        for path_pattern, handler in backend.urls.items():
            if re.compile(path_pattern).match(clean_url):
                return handler  # type: ignore[no-any-return]
    return None


def _expressions_parsed_once() -> ExitStack:
    parse_condition = ConditionExpressionParser.parse

    @functools.lru_cache(maxsize=CACHE_ENTRIES)
    def parsed_condition(expression: str | None, names: str, values: str) -> tuple[Any, list[str], list[str]]:
        parser = ConditionExpressionParser(expression, json.loads(names), json.loads(values))
        return parse_condition(parser), parser.expr_attr_names_found, parser.expr_attr_values_found

    def parse_once(parser: ConditionExpressionParser) -> Any:
        expression = parser.condition_expression
        tree, names_found, values_found = parsed_condition(
            expression,
            _placeholders_in(expression, parser.expression_attribute_names),
            _placeholders_in(expression, parser.expression_attribute_values),
        )
        # Callers read which names and values the expression used, to reject the unused ones.
        parser.expr_attr_names_found, parser.expr_attr_values_found = list(names_found), list(values_found)
        return tree

    make_update: Any = functools.lru_cache(maxsize=CACHE_ENTRIES)(UpdateExpressionParser.make.__func__)
    stack = ExitStack()
    stack.enter_context(patch.object(ConditionExpressionParser, "parse", parse_once))
    stack.enter_context(patch.object(UpdateExpressionParser, "make", classmethod(make_update)))
    for module in (json_path, result_path):
        stack.enter_context(patch.object(module, "parse", functools.lru_cache(maxsize=CACHE_ENTRIES)(module.parse)))
    return stack


def _placeholders_in(expression: str | None, placeholders: dict[str, Any] | None) -> str:
    """The placeholders the expression's text contains, as a cache key: its parse reads no others.

    Matching by substring keeps ``:a`` when only ``:ab`` is used; a key that holds more than it must
    only makes the cache miss more often.
    """
    if placeholders is None:
        return "null"
    used = {name: value for name, value in placeholders.items() if expression is not None and name in expression}
    return json.dumps(used, sort_keys=True)


def _scoped_unsigned(
    signer: RequestSigner, _operation_name: str, request: AWSRequest, region_name: str | None = None, *_: Any, **__: Any
) -> None:
    """Stand-in for ``RequestSigner.sign``: the Authorization header SigV4 would add, less the signature.

    The region is the one botocore would sign for (an explicit one, the endpoint's signing region, or the
    client's), as AWS reads it from the credential scope ``<key>/<date>/<region>/<service>/aws4_request``.
    """
    signing = request.context.get("signing", {})
    region = region_name or signing.get("region") or signer.region_name
    service = signing.get("signing_name") or signer.signing_name
    del request.headers["Authorization"]  # replaced, as SigV4 replaces it: setting a header only adds one more
    request.headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential=unsigned/19700101/{region}/{service}/aws4_request, "
        "SignedHeaders=host, Signature=unsigned"
    )


def _answered_as_wire_json(serialized: Any, result_class: type[ActionResult], actions: frozenset[str]) -> Any:
    def answer(handler: BaseResponse, action_result: Any) -> Any:
        if isinstance(action_result, result_class) and handler._get_action() in actions:
            return _as_wire_json(handler, action_result.result)
        return serialized(handler, action_result)

    return answer


def _as_wire_json(handler: BaseResponse, result: Any) -> tuple[int, dict[str, str], str]:
    body = json.dumps(result, default=_wire_value)
    return 200, {**handler.response_headers, "Content-Type": "application/x-amz-json-1.0"}, body


def _wire_value(value: bytes | datetime) -> str | float:
    """Binary as base64; times as epoch seconds cut to milliseconds (as Smithy asks and moto does; naive is UTC)."""
    if isinstance(value, datetime):
        return calendar.timegm(value.utctimetuple()) + value.microsecond // 1000 / 1000
    return base64.b64encode(value).decode()
