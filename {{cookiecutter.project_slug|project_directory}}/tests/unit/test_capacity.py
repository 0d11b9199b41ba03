"""DynamoDB item sizes and request units, against the rules and worked figures of the Developer Guide.

Rules: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html and
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html
"""

import pytest

from benchmarks.capacity import item_size, number_size, query_read_units, read_units, value_size, write_units


def test_a_string_attribute_costs_its_name_and_its_utf8_bytes() -> None:
    # "id" (2) + "o-1" (3); "é" is two bytes in UTF-8
    assert item_size({"id": {"S": "o-1"}}) == 5
    assert item_size({"n": {"S": "é"}}) == 3


@pytest.mark.parametrize(
    ("number", "size"),
    [("0", 1), ("7", 2), ("12", 2), ("123", 3), ("0012.500", 3), ("1000", 2), ("-12.5", 3)],
)
def test_a_number_costs_one_byte_per_two_significant_digits_plus_one(number: str, size: int) -> None:
    # leading and trailing zeroes are trimmed: "0012.500" has the digits 125 -> ceil(3 / 2) + 1
    assert number_size(number) == size


def test_null_and_boolean_cost_one_byte_and_binary_its_raw_length() -> None:
    assert value_size({"BOOL": True}) == value_size({"NULL": True}) == 1
    assert value_size({"B": b"\x00\x01\x02"}) == 3
    assert value_size({"B": "AAEC"}) == 3  # base64 on the wire, raw length counted


def test_a_list_or_map_costs_three_bytes_plus_one_per_element() -> None:
    # empty: 3; ["ab", "c"]: 3 + (1 + 2) + (1 + 1); {"k": "v"}: 3 + (1 + 1 + 1)
    assert value_size({"L": []}) == value_size({"M": {}}) == 3
    assert value_size({"L": [{"S": "ab"}, {"S": "c"}]}) == 8
    assert value_size({"M": {"k": {"S": "v"}}}) == 6


def test_writes_round_up_to_1_kb_per_item_and_a_transaction_doubles_them() -> None:
    # 1.5 KB rounds up to 2 KB: 2 write units; 500 bytes: 1; in a transaction each unit counts twice
    assert write_units(1536) == 2
    assert write_units(500) == 1
    assert write_units(0) == 1  # a failed condition or a delete of nothing still consumes
    assert write_units(1536, transactional=True) == 4


def test_reads_round_up_to_4_kb_strongly_consistent_half_eventually() -> None:
    # 3.5 KB rounds up to 4 KB: 1 unit strongly consistent, 0.5 eventually; 10 KB rounds up to 12 KB: 3 / 1.5
    assert read_units(3584, consistent=True) == 1
    assert read_units(3584) == 0.5
    assert read_units(10 * 1024, consistent=True) == 3
    assert read_units(10 * 1024) == 1.5
    assert read_units(0, consistent=True) == 1  # GetItem of a missing item
    assert read_units(3584, transactional=True) == 2


def test_a_query_sums_the_item_sizes_before_rounding() -> None:
    # forty 100-byte items: 4,000 bytes -> one 4 KB unit, not forty
    item = {"pk": {"S": "x" * 98}}
    assert item_size(item) == 100
    assert query_read_units([item] * 40, consistent=True) == 1


def test_an_unknown_type_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown attribute type"):
        value_size({"Q": "?"})
