"""DynamoDB in moto made atomic per request, as the service is.

moto evaluates a condition expression and applies the update as separate steps without a lock, so two
threads (a duplicate EXPRESS execution running alongside the original, say) can both pass
``attribute_not_exists`` and both write. DynamoDB applies each request atomically; serializing moto's
DynamoDB requests gives the same guarantee. No DynamoDB request calls back into a function (the
stream triggers are detached), so the lock is never held across an invoke.
"""

import threading
from typing import Any
from unittest.mock import patch

from moto.dynamodb.responses import DynamoHandler


def atomic_requests() -> Any:
    lock = threading.RLock()
    call_action = DynamoHandler.call_action

    def locked(handler: DynamoHandler) -> Any:
        with lock:
            return call_action(handler)

    return patch.object(DynamoHandler, "call_action", locked)
