"""DynamoDB item sizes and the request units AWS bills for them: pure functions, no AWS calls.

Items are in the low-level attribute-value shape the client sends and receives
(``{"id": {"S": "o-1"}, "total": {"N": "12.50"}}``), so a meter on botocore's events can size them as seen.

Sources (AWS DynamoDB Developer Guide):
- item sizes: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
- request units, on-demand:
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
- transactions (two units per unit of item size):
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis.html#transaction-capacity-handling
"""

import base64
import math
from collections.abc import Iterable, Mapping
from typing import Any

KIB = 1024
WRITE_UNIT_BYTES = 1 * KIB  # one write request unit writes up to 1 KB of item
READ_UNIT_BYTES = 4 * KIB  # one read request unit reads up to 4 KB of item, strongly consistent
_LIST_OR_MAP_OVERHEAD = 3  # bytes a List or Map costs regardless of its contents
_ELEMENT_OVERHEAD = 1  # bytes each element of a List or Map costs on top of its value (same guide page)


def number_size(text: str) -> int:
    """Bytes of a Number attribute value: 1 per two significant digits, rounded up, plus 1.

    ``text`` is the Number as DynamoDB carries it ("12.50", "-3", "1E+2"). Leading and trailing zeroes
    are trimmed before counting, as the guide says (its figure is "approximately" this; the sign and
    exponent are not counted because the guide does not count them). Zero is 1 byte.
    """
    mantissa = text.strip().lower().split("e")[0]
    digits = mantissa.lstrip("+-").replace(".", "").strip("0")
    if not digits:
        return 1
    return math.ceil(len(digits) / 2) + 1


def value_size(value: Mapping[str, Any]) -> int:
    """Bytes of one attribute value (without its name), by the guide's rules per type.

    Raises ``ValueError`` for a value that is not a single-key attribute value of a known type.
    """
    if len(value) != 1:
        raise ValueError(f"not an attribute value: {value!r}")
    ((kind, content),) = value.items()
    match kind:
        case "S":
            return len(str(content).encode())
        case "N":
            return number_size(str(content))
        case "B":
            return len(_binary(content))
        case "BOOL" | "NULL":
            return 1
        case "SS":
            return sum(len(str(member).encode()) for member in content)
        case "NS":
            return sum(number_size(str(member)) for member in content)
        case "BS":
            return sum(len(_binary(member)) for member in content)
        case "L":
            return _LIST_OR_MAP_OVERHEAD + sum(_ELEMENT_OVERHEAD + value_size(member) for member in content)
        case "M":
            return _LIST_OR_MAP_OVERHEAD + sum(
                _ELEMENT_OVERHEAD + len(name.encode()) + value_size(member) for name, member in content.items()
            )
    raise ValueError(f"unknown attribute type {kind!r}")


def item_size(item: Mapping[str, Mapping[str, Any]]) -> int:
    """Bytes of an item: the UTF-8 length of each attribute name plus the size of its value."""
    return sum(len(name.encode()) + value_size(value) for name, value in item.items())


def write_units(size: int, *, transactional: bool = False) -> int:
    """Write request units for writing (put, update, delete, condition check) one item of ``size`` bytes.

    1 unit per KB, rounded up per item, at least 1 (a delete of a missing item or a failed condition
    still consumes); within a transaction each unit counts twice.
    """
    units = max(1, math.ceil(size / WRITE_UNIT_BYTES))
    return 2 * units if transactional else units


def read_units(size: int, *, consistent: bool = False, transactional: bool = False) -> float:
    """Read request units for reading ``size`` bytes: 1 per 4 KB strongly consistent, half that eventually.

    ``size`` is one item's size for GetItem (0 for a missing item, which still costs the minimum), or the
    sum of the returned items for a Query, rounded up once for the whole page. A transactional read counts
    2 units per 4 KB.
    """
    chunks = max(1, math.ceil(size / READ_UNIT_BYTES))
    if transactional:
        return float(2 * chunks)
    return float(chunks) if consistent else chunks / 2


def query_read_units(items: Iterable[Mapping[str, Mapping[str, Any]]], *, consistent: bool = False) -> float:
    """Read request units of one Query page: the items' sizes summed, then rounded up to 4 KB once."""
    return read_units(sum(item_size(item) for item in items), consistent=consistent)


def _binary(content: Any) -> bytes:
    """Binary content as bytes: botocore hands bytes to the meter, the wire carries base64 text."""
    if isinstance(content, bytes | bytearray):
        return bytes(content)
    return base64.b64decode(str(content))
