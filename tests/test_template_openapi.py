"""The template's openapi.json is what `make openapi` writes in renders of its handlers: template_openapi.py."""

import pytest

from tests.template_openapi import TEMPLATE_FILE, UnknownSpelling, as_template, template_text


def test_the_templates_openapi_json_is_the_one_its_handlers_generate() -> None:
    # Given the template's handlers and models
    # When openapi.json is regenerated from a render per api_auth choice, the options turned back into variables
    regenerated = template_text()
    # Then it is the file the template ships: nobody has to keep the two in step by hand
    assert TEMPLATE_FILE.read_text(encoding="utf-8") == regenerated, "run: python -m tests.template_openapi"


def test_an_option_spelled_in_a_way_the_regeneration_cannot_turn_back_is_refused() -> None:
    # Given a description naming the project in a spelling with no variable (its name, not its slug)
    # When it is turned into the template, then it is refused, naming the line, rather than shipped with the marker
    with pytest.raises(UnknownSpelling, match="Zq Service"):
        as_template('{"title": "Zq Service", "path": "/zq-items"}')
