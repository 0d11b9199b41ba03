"""Conversion between DynamoDB's attribute-value format and plain Python values."""

from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(value: dict[str, Any]) -> dict[str, Any]:
    return {key: _serializer.serialize(attribute) for key, attribute in value.items()}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _plain(_deserializer.deserialize(attribute)) for key, attribute in item.items()}


def _plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal; the service only stores whole numbers."""
    if isinstance(value, Decimal):
        return int(value)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value
