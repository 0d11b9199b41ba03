"""DynamoDB in moto made atomic per request, as the service is, and transactions made cheap to undo.

moto evaluates a condition expression and applies the update as separate steps without a lock, so two
threads (a duplicate EXPRESS execution running alongside the original, say) can both pass
``attribute_not_exists`` and both write. DynamoDB applies each request atomically; serializing moto's
DynamoDB requests gives the same guarantee (its Streams requests too, as reads trim old records). No
DynamoDB request calls back into a function (the stream triggers are detached), so the lock is never
held across an invoke.

moto backs up every table a transaction touches, by deep copy, stream records included, in case it has
to roll back: the cost of a create grew with every order ever written. Here a transaction saves only
the items it names and the length of each stream, which is all a rollback has to put back.
"""

import copy
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any
from unittest.mock import patch

from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.models import DynamoDBBackend
from moto.dynamodb.models.dynamo_type import DynamoType, Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler
from moto.dynamodbstreams.responses import DynamoDBStreamsHandler


def atomic_requests() -> ExitStack:
    """DynamoDB and DynamoDB Streams requests one at a time: both change a table's stream shard."""
    lock = threading.RLock()
    stack = ExitStack()
    for handler_class in (DynamoHandler, DynamoDBStreamsHandler):
        stack.enter_context(patch.object(handler_class, "call_action", _locked(handler_class.call_action, lock)))
    return stack


def _locked(call_action: Callable[[Any], Any], lock: threading.RLock) -> Callable[[Any], Any]:
    def locked(handler: Any) -> Any:
        with lock:
            return call_action(handler)

    return locked


@dataclass(frozen=True)
class _SavedItem:
    table: Table
    hash_value: DynamoType
    range_value: DynamoType | None
    item: Item | None

    def restore(self) -> None:
        if self.range_value is None:
            self.table.items.pop(self.hash_value, None)
            if self.item is not None:
                self.table.items[self.hash_value] = self.item  # type: ignore[assignment]  # moto's own annotation
            return
        items_with_hash = self.table.items[self.hash_value]
        items_with_hash.pop(self.range_value, None)
        if self.item is not None:
            items_with_hash[self.range_value] = self.item
        elif not items_with_hash:
            del self.table.items[self.hash_value]


def _saved_item(table: Table, key: dict[str, Any]) -> _SavedItem | None:
    """A copy of the item under ``key`` (None when absent); no save when the key is incomplete (moto rejects it)."""
    if table.hash_key_attr not in key or (table.range_key_attr and table.range_key_attr not in key):
        return None
    hash_value = DynamoType(key[table.hash_key_attr])
    range_value = DynamoType(key[table.range_key_attr]) if table.range_key_attr else None
    return _SavedItem(table, hash_value, range_value, copy.deepcopy(table.get_item(hash_value, range_value)))


@contextmanager
def transactions_back_up_items_only() -> Iterator[None]:
    transact_write_items = DynamoDBBackend.transact_write_items

    def transact_saving_items(backend: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        saved: list[_SavedItem] = []
        stream_lengths: list[tuple[Table, int]] = []
        for operation_type, operation in (entry for item in transact_items for entry in item.items()):
            table = backend.tables.get(operation.get("TableName", ""))
            if table is None:
                continue
            item = _saved_item(table, operation["Item"] if operation_type == "Put" else operation.get("Key", {}))
            if item is not None:
                saved.append(item)
            if table.stream_shard is not None:
                stream_lengths.append((table, len(table.stream_shard.items)))
        try:
            transact_write_items(backend, transact_items)
        except Exception:
            # Newest first: a key named twice is restored to what it was before the transaction.
            for item in reversed(saved):
                item.restore()
            for table, length in stream_lengths:
                assert table.stream_shard is not None
                del table.stream_shard.items[length:]
            raise

    with (
        patch.object(DynamoDBBackend, "transact_write_items", transact_saving_items),
        patch.object(dynamodb_models, "copy", _TablesNotCopied()),
    ):
        yield


class _TablesNotCopied:
    """moto's whole-table backup, made a no-op: the backup is the table itself, restoring it changes nothing."""

    @staticmethod
    def deepcopy(value: Any, memo: dict[int, Any] | None = None) -> Any:
        return value if isinstance(value, Table) else copy.deepcopy(value, memo)
