"""The ``license`` option: the generated LICENSE holds the chosen text and pyproject.toml declares it."""

from __future__ import annotations

import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.helpers import render

HOLDER = "the Orders Service authors"
MIT_GRANT = "Permission is hereby granted, free of charge"
APACHE_GRANT = "Licensed under the Apache License, Version 2.0"
# (license, its copyright line, texts its LICENSE holds, texts it must not hold, pyproject's license and classifiers)
LICENSES = [
    pytest.param(
        "MIT",
        "Copyright (c) {year} " + HOLDER,
        ("MIT License", MIT_GRANT, 'THE SOFTWARE IS PROVIDED "AS IS"'),
        (APACHE_GRANT,),
        "MIT",
        [],
        id="MIT",
    ),
    pytest.param(
        "Apache-2.0",
        # The appendix's boilerplate notice, filled in as it asks.
        "   Copyright {year} " + HOLDER,
        ("Apache License", "Version 2.0, January 2004", "END OF TERMS AND CONDITIONS", APACHE_GRANT),
        (MIT_GRANT,),
        "Apache-2.0",
        [],
        id="Apache-2.0",
    ),
    pytest.param(
        "proprietary",
        "Copyright (c) {year} " + HOLDER + ". All rights reserved.",
        ("No license is granted",),
        (MIT_GRANT, APACHE_GRANT),
        "LicenseRef-Proprietary",
        # PyPI refuses any upload that carries this classifier.
        ["Private :: Do Not Upload"],
        id="proprietary",
    ),
]


@pytest.mark.parametrize(("license_", "copyright_line", "texts", "absent", "expression", "classifiers"), LICENSES)
def test_given_a_license_when_rendered_then_license_holds_its_text_and_pyproject_declares_it(
    cookiecutter_config: Path,
    tmp_path: Path,
    license_: str,
    copyright_line: str,
    texts: tuple[str, ...],
    absent: tuple[str, ...],
    expression: str,
    classifiers: list[str],
) -> None:
    # Given a license chosen for the default service
    years = {str(datetime.now(UTC).year)}
    # When it is rendered
    project = render(tmp_path, cookiecutter_config, {"license": license_})
    # Then LICENSE names the project's authors and the year it was generated (read on both sides of the render)
    years.add(str(datetime.now(UTC).year))
    lines = (project / "LICENSE").read_text().splitlines()
    assert {copyright_line.format(year=year) for year in years} & set(lines)
    text = " ".join(line.strip() for line in lines)
    assert [expected for expected in texts if expected not in text] == []
    assert [unexpected for unexpected in absent if unexpected in text] == []
    # ... and pyproject.toml declares the same license as an SPDX expression (PEP 639)
    project_table = tomllib.loads((project / "pyproject.toml").read_text())["project"]
    assert project_table["license"] == expression
    assert project_table.get("classifiers", []) == classifiers
