"""Fixtures shared by the template's tests, and the options that choose which combinations run."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.combinations import select
from tests.helpers import COMBINATION_MARKER, REPO_ROOT, write_cookiecutter_config


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--all-combinations",
        action="store_true",
        help="run every supported combination's own generated test suite, not only the representative ones",
    )
    parser.addoption(
        "--combination",
        action="append",
        default=[],
        metavar="ID",
        help="check only this supported combination (an id of tests/combinations.json; repeatable): the render "
        "matrix and the generated suites run for it alone, the tests of no combination run as usual",
    )


def pytest_configure(config: pytest.Config) -> None:
    # pytest-cookies renders the template named by --template, "." by default: pin it to this repository so
    # the suite gives the same answer from any working directory.
    config.option.template = str(REPO_ROOT)
    # A test of one supported combination carries the marker with its id (tests.helpers.combination_param):
    # `--combination ID` keeps that id's, and `-m "not combination"` runs everything else; the template's CI does both.
    config.addinivalue_line(
        "markers", f"{COMBINATION_MARKER}(id): a check of one supported combination, selected by --combination"
    )
    try:
        select(config.getoption("combination"))
    except ValueError as error:
        # Before collection, as pytest's own usage errors: no test runs, and the known ids are in the message.
        raise pytest.UsageError(f"--combination: {error}") from None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect the checks of every combination that ``--combination`` did not name (none when it is not given)."""
    chosen = config.getoption("combination")
    if not chosen:
        return
    kept: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    for item in items:
        marker = item.get_closest_marker(COMBINATION_MARKER)
        (deselected if marker is not None and marker.args[0] not in chosen else kept).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


@pytest.fixture(scope="session")
def cookiecutter_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_cookiecutter_config(tmp_path_factory.mktemp("cookiecutter-user"))
