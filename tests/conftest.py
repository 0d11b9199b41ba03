"""Fixtures shared by the template's tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import REPO_ROOT, write_cookiecutter_config


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--all-combinations",
        action="store_true",
        help="run every supported combination's own generated test suite, not only the representative ones",
    )


def pytest_configure(config: pytest.Config) -> None:
    # pytest-cookies renders the template named by --template, "." by default: pin it to this repository so
    # the suite gives the same answer from any working directory.
    config.option.template = str(REPO_ROOT)


@pytest.fixture(scope="session")
def cookiecutter_config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_cookiecutter_config(tmp_path_factory.mktemp("cookiecutter-user"))
