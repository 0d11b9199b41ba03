"""The supported option combinations the template is checked with, read from tests/combinations.json.

That file is the one list: the tests parametrize over it, and the template's CI builds its matrix from it by
running this module (``python -m tests.combinations`` prints the ids as a JSON array), so a row added there is
rendered, checked and run in CI without editing the workflow. Standard library only: CI's matrix job runs it
before anything is installed. Why each row exists is its ``why`` in the file.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

COMBINATIONS_FILE = Path(__file__).with_name("combinations.json")
ROW_KEYS = {"id", "why", "options"}

# Step lists the tests name. They repeat rows of the file on purpose: test_render_matrix.py checks that the
# matrix still holds each one, so editing a row cannot quietly drop what it was there to cover.
DEFAULT_STEPS = "reserve_inventory:release_inventory, process_payment:refund_payment, send_notification"
# Compensatable, plain before the pivot, compensatable, then two retriable steps after the last compensatable one.
LONG_MIXED_STEPS = (
    "reserve_stock:release_stock, validate_customer, charge_card:refund_card, notify_customer, update_crm"
)
TEN_STEPS = (
    "validate_order, reserve_stock:release_stock, reserve_credit:release_credit, authorize_payment:void_payment,"
    " allocate_courier:cancel_courier, capture_payment:refund_payment, issue_invoice:void_invoice,"
    " notify_customer, update_crm, publish_analytics"
)


@dataclass(frozen=True)
class Combination:
    id: str
    # Only the options that differ from cookiecutter.json's defaults, as a user would pass them.
    options: dict[str, str] = field(default_factory=dict)
    # What this row adds to the matrix.
    why: str = ""


def _text(value: object, where: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{where} must be a string, not {value!r}")
    return value


def load(path: Path = COMBINATIONS_FILE) -> tuple[tuple[Combination, ...], tuple[str, ...]]:
    """The combinations and the ids of those whose whole generated suite ``make test`` runs, read from ``path``.

    Strict on purpose: cookiecutter ignores an option it does not know, and a user's options are always text, so a
    misspelt key or a JSON number would check something other than what the file says.
    """
    data = json.loads(path.read_text(encoding="utf-8"))
    combinations: list[Combination] = []
    for index, row in enumerate(data["combinations"]):
        where = f"{path.name}: combinations[{index}]"
        if not isinstance(row, dict) or set(row) != ROW_KEYS:
            raise ValueError(f"{where} must have exactly the keys {sorted(ROW_KEYS)}")
        options = row["options"]
        if not isinstance(options, dict):
            raise ValueError(f"{where}.options must be an object")
        combinations.append(
            Combination(
                id=_text(row["id"], f"{where}.id"),
                options={key: _text(value, f"{where}.options.{key}") for key, value in options.items()},
                why=_text(row["why"], f"{where}.why"),
            )
        )
    ids = [combination.id for combination in combinations]
    if duplicates := sorted({id for id in ids if ids.count(id) > 1}):
        raise ValueError(f"{path.name}: ids used twice: {', '.join(duplicates)}")
    whole_suite = tuple(_text(id, f"{path.name}: whole_suite.ids") for id in data["whole_suite"]["ids"])
    if unknown := sorted(set(whole_suite) - set(ids)):
        raise ValueError(f"{path.name}: whole_suite names unknown combinations: {', '.join(unknown)}")
    return tuple(combinations), whole_suite


COMBINATIONS, WHOLE_SUITE_IDS = load()
BY_ID = {combination.id: combination for combination in COMBINATIONS}


def select(ids: Iterable[str]) -> tuple[Combination, ...]:
    """The combinations named by ``ids`` (pytest's ``--combination``), in the file's order; every one when none is.

    An unknown id is refused with the known ones listed, rather than selecting nothing: a typo in CI would
    otherwise pass a job that checked no combination at all.
    """
    chosen = set(ids)
    if unknown := sorted(chosen - BY_ID.keys()):
        known = f"the supported ones ({COMBINATIONS_FILE.name}): {', '.join(BY_ID)}"
        raise ValueError(f"unknown combination {', '.join(unknown)}; {known}")
    return tuple(combination for combination in COMBINATIONS if not chosen or combination.id in chosen)


if __name__ == "__main__":
    # One line, as GitHub's $GITHUB_OUTPUT wants it: `echo "ids=$(python -m tests.combinations)" >> "$GITHUB_OUTPUT"`.
    print(json.dumps([combination.id for combination in COMBINATIONS]))
