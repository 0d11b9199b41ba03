"""Work moto and botocore repeat on every in-process request that changes nothing in the answer: skipped.

- moto lists a response class's methods by reflection (``inspect.getmembers``) to dispatch each request.
  The list depends only on the class, so it is cached.
- botocore signs every request (SigV4). Nothing in the emulation checks a signature (IAM is not
  enforced), and moto takes the region from the endpoint and the account from its default, so the
  embedded AWS's requests go unsigned.
- moto answers DynamoDB item operations by walking the response through botocore's output shape. The
  result is already DynamoDB's wire JSON (attribute values, base64 for binary), so it is dumped as is;
  botocore parses it into the same response (tests/local/test_emulation.py checks that).
"""

import base64
import functools
import json
from contextlib import ExitStack
from typing import Any
from unittest.mock import patch

from botocore.signers import RequestSigner
from moto.core import responses
from moto.core.utils import method_names_from_class
from moto.dynamodb.responses import DynamoHandler, DynamoResult

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


def request_overheads_skipped() -> ExitStack:
    stack = ExitStack()
    stack.enter_context(patch.object(responses, "method_names_from_class", functools.cache(method_names_from_class)))
    stack.enter_context(patch.object(RequestSigner, "sign", _unsigned))
    stack.enter_context(patch.object(DynamoHandler, "serialized", _item_answers_as_json(DynamoHandler.serialized)))
    return stack


def _unsigned(_signer: RequestSigner, *_: Any, **__: Any) -> None:
    return None


def _item_answers_as_json(serialized: Any) -> Any:
    def answer(handler: DynamoHandler, action_result: Any) -> Any:
        if isinstance(action_result, DynamoResult) and handler._get_action() in ITEM_OPERATIONS:
            body = json.dumps(action_result.result, default=_base64)
            return 200, {**handler.response_headers, "Content-Type": "application/x-amz-json-1.0"}, body
        return serialized(handler, action_result)

    return answer


def _base64(value: bytes) -> str:
    return base64.b64encode(value).decode()
