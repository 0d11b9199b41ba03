"""API Gateway's request model is the create handler's: a draft-4 validator accepts exactly the bodies it accepts.

The handler's side is Powertools' own request validation of a route declared as the create handler declares its
body (a resolver with ``enable_validation``, as handlers/create_*.py builds it), so JSON parsing and the
strict pydantic model are both the handler's. The gateway's side is jsonschema's Draft4Validator; API Gateway's
own validator is another draft-4 implementation, which these tests cannot run offline.
"""

import json
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

import pytest
from aws_lambda_powertools.event_handler import APIGatewayRestResolver
from aws_lambda_powertools.utilities.typing import LambdaContext
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from jsonschema import Draft4Validator  # type: ignore[import-untyped]
from pydantic import BaseModel, ConfigDict, Field

from infra.request_validation import (
    DRAFT4,
    UntranslatableSchema,
    draft4_schema,
    gateway_error_templates,
    request_body_schema,
)
from infra.settings import SETTINGS

from {{ cookiecutter.package_name }}.handlers.http import ApiError
from {{ cookiecutter.package_name }}.models import {{ cookiecutter.domain | pascal }}Request

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SCHEMA = request_body_schema({{ cookiecutter.domain | pascal }}Request)
GATEWAY = Draft4Validator(SCHEMA)

handler_validation = APIGatewayRestResolver(enable_validation=True)


@handler_validation.post(SETTINGS.route)
def _create(body: {{ cookiecutter.domain | pascal }}Request) -> dict[str, str]:
    return {"accepted": "yes"}


def handler_accepts(body: Any) -> bool:
    event = {
        "httpMethod": "POST",
        "path": SETTINGS.route,
        "resource": SETTINGS.route,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body),
        "isBase64Encoded": False,
        "requestContext": {"stage": "prod", "path": f"/prod{SETTINGS.route}"},
    }
    status: int = handler_validation.resolve(event, LambdaContext())["statusCode"]
    assert status in {200, 422}, status
    return status == 200


def gateway_accepts(body: Any) -> bool:
    accepted: bool = GATEWAY.is_valid(body)
    return accepted


# The template's request model; a domain whose model has other fields keeps the property test below and
# replaces this table with its own cases.
ITEM = {"sku": "sku-1", "quantity": 2}
VALID = {"customer_id": "c-1", "items": [ITEM]}
TABLE: list[tuple[str, Any, bool]] = [
    ("valid", VALID, True),
    (
        "the longest fields and most items",
        {"customer_id": "c" * 64, "items": [{"sku": "s" * 64, "quantity": 1000}] * 50},
        True,
    ),
    ("the smallest quantity", {**VALID, "items": [{**ITEM, "quantity": 1}]}, True),
    ("no customer", {"items": [ITEM]}, False),
    ("no items", {"customer_id": "c-1"}, False),
    ("an item without its sku", {**VALID, "items": [{"quantity": 2}]}, False),
    ("an empty customer", {**VALID, "customer_id": ""}, False),
    ("a customer over 64 chars", {**VALID, "customer_id": "c" * 65}, False),
    ("no item", {**VALID, "items": []}, False),
    ("51 items", {**VALID, "items": [ITEM] * 51}, False),
    ("a zero quantity", {**VALID, "items": [{**ITEM, "quantity": 0}]}, False),
    ("a quantity over 1000", {**VALID, "items": [{**ITEM, "quantity": 1001}]}, False),
    ("a quantity as a string", {**VALID, "items": [{**ITEM, "quantity": "2"}]}, False),
    ("a quantity as a float", {**VALID, "items": [{**ITEM, "quantity": 2.0}]}, False),
    ("a quantity as a boolean", {**VALID, "items": [{**ITEM, "quantity": True}]}, False),
    ("a customer as a number", {**VALID, "customer_id": 1}, False),
    ("a null customer", {**VALID, "customer_id": None}, False),
    ("items as an object", {**VALID, "items": ITEM}, False),
    ("an unknown field", {**VALID, "note": "x"}, False),
    ("an unknown item field", {**VALID, "items": [{**ITEM, "price": 1}]}, False),
    ("a string body", "order", False),
    ("a number body", 1, False),
    ("a null body", None, False),
    ("an empty object", {}, False),
]


@pytest.mark.parametrize(
    ("body", "accepted"), [(body, accepted) for _, body, accepted in TABLE], ids=[c for c, *_ in TABLE]
)
def test_given_a_body_when_both_validate_it_then_the_gateway_accepts_it_exactly_when_the_handler_does(
    body: Any, accepted: bool
) -> None:
    # Given a body from the table, when API Gateway's model and the handler's validation each judge it
    # Then both give the table's verdict: the model is strict, so neither takes "2" or 2.0 for a quantity
    assert (gateway_accepts(body), handler_accepts(body)) == (accepted, accepted)


JSON: SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)


def within(schema: dict[str, Any]) -> SearchStrategy[Any]:
    """Values the draft-4 schema accepts, its limits included (the schemas request_body_schema writes)."""
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    if "anyOf" in schema:
        return st.one_of([within(option) for option in schema["anyOf"]])
    kind = schema.get("type")
    if kind == "object":
        properties = {name: within(subschema) for name, subschema in schema.get("properties", {}).items()}
        required = set(schema.get("required", []))
        return st.fixed_dictionaries(
            {name: value for name, value in properties.items() if name in required},
            optional={name: value for name, value in properties.items() if name not in required},
        )
    if kind == "array":
        low = schema.get("minItems", 0)
        return st.lists(within(schema.get("items", {})), min_size=low, max_size=min(schema.get("maxItems", 3), low + 3))
    if kind == "string":
        low = schema.get("minLength", 0)
        return st.text(min_size=low, max_size=schema.get("maxLength", low + 10))
    if kind in {"integer", "number"}:
        low = schema.get("minimum", -10) + (1 if schema.get("exclusiveMinimum") else 0)
        high = schema.get("maximum", 10) - (1 if schema.get("exclusiveMaximum") else 0)
        return st.integers(low, high) if kind == "integer" else st.floats(low, high)
    if kind == "boolean":
        return st.booleans()
    return JSON


def one_field_off(schema: dict[str, Any]) -> SearchStrategy[Any]:
    """A value the schema accepts but for one field, missing, extra, mistyped or just past a limit, at any depth."""
    kind = schema.get("type")
    properties: dict[str, Any] = schema.get("properties", {})
    if kind == "object" and properties:
        valid = within(schema)
        return st.one_of(
            valid.flatmap(lambda body: st.sampled_from(sorted(properties)).map(lambda name: _without(body, name))),
            valid.map(lambda body: {**body, "unexpected": 1}),
            *[_with_one_field_off(valid, name, properties[name]) for name in sorted(properties)],
        )
    if kind == "array":
        return st.one_of(
            within(schema).flatmap(
                lambda values: one_field_off(schema.get("items", {})).map(lambda bad: [*values, bad])
            ),
            st.lists(
                within(schema.get("items", {})),
                min_size=schema.get("maxItems", 3) + 1,
                max_size=schema.get("maxItems", 3) + 1,
            ),
            st.just([]),
        )
    return st.one_of(_just_past(schema), JSON)


def _with_one_field_off(
    valid: SearchStrategy[dict[str, Any]], name: str, schema: dict[str, Any]
) -> SearchStrategy[dict[str, Any]]:
    return st.tuples(valid, one_field_off(schema)).map(lambda drawn: {**drawn[0], name: drawn[1]})


def _without(body: dict[str, Any], name: str) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != name}


def _just_past(schema: dict[str, Any]) -> SearchStrategy[Any]:
    kind = schema.get("type")
    if kind == "string":
        low, high = schema.get("minLength", 0), schema.get("maxLength", 10)
        return st.one_of(st.text(min_size=high + 1, max_size=high + 2), st.text(max_size=max(0, low - 1)))
    if kind in {"integer", "number"}:
        low, high = schema.get("minimum", -10), schema.get("maximum", 10)
        edges = st.sampled_from([low - 1, low, high, high + 1])
        return st.one_of(edges, edges.map(float), edges.map(str))
    return JSON


@given(within(SCHEMA))
def test_given_any_body_within_the_model_then_both_accept_it(body: Any) -> None:
    # Given a body the model allows, its limits included (the longest strings, the most items, the extreme numbers)
    # When API Gateway's model and the handler's validation each judge it, then both accept it
    assert (gateway_accepts(body), handler_accepts(body)) == (True, True)


@given(st.one_of(one_field_off(SCHEMA), JSON))
def test_given_a_body_one_field_off_the_model_then_the_gateway_accepts_it_exactly_when_the_handler_does(
    body: Any,
) -> None:
    # Given a valid body with one field missing, extra, mistyped or at or just past a limit (at any depth), or any JSON
    # When API Gateway's model and the handler's validation each judge it
    # Then they agree, but for a top-level array: Powertools reads its first element as the body and the gateway
    # refuses it; the create route refuses it too, by its own check (tests/integration/test_api.py, array-body)
    if isinstance(body, list):
        assert not gateway_accepts(body)
    else:
        assert gateway_accepts(body) == handler_accepts(body)


def test_given_the_model_then_its_schema_is_self_contained_draft_4() -> None:
    # Given the schema API Gateway gets, when checked against the draft-4 metaschema, then it is valid draft 4
    Draft4Validator.check_schema(SCHEMA)
    # And it references nothing: API Gateway would look a $ref up among the API's own models
    assert SCHEMA["$schema"] == DRAFT4
    assert "$ref" not in json.dumps(SCHEMA)
    assert "$defs" not in SCHEMA


def test_given_the_committed_description_then_its_request_body_is_the_gateway_model() -> None:
    # Given the request body the create route declares in openapi.json (Powertools' schema of the handler's
    # route; tests/unit/test_openapi.py keeps the file equal to what the handlers declare)
    document = json.loads((PROJECT_ROOT / "openapi.json").read_text(encoding="utf-8"))
    body = document["paths"][SETTINGS.route]["post"]["requestBody"]["content"]["application/json"]["schema"]
    # When it is translated as the model is
    declared = draft4_schema(body, definitions=document["components"]["schemas"])
    # Then it is the schema infra/api.py deploys: the handler's body and the gateway's model are one model
    assert declared == SCHEMA


class Part(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    weight: float = Field(gt=0, lt=10)


class Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    kind: Literal["box"]
    part: Part = Field(description="the part inside")
    spare: Part | None = None


def test_given_draft_2020_constructs_then_they_are_translated_to_draft_4() -> None:
    # Given a model with a const, exclusive bounds, a described reference and a nullable reference
    # When translated
    schema = request_body_schema(Shape)
    properties = schema["properties"]
    part = {key: value for key, value in properties["part"].items() if key != "description"}
    # Then const is a one-value enum, bounds use draft 4's booleans, references are inlined with their notes
    assert properties["kind"]["enum"] == ["box"]
    assert part["properties"]["weight"] == {
        "type": "number",
        "title": "Weight",
        "minimum": 0,
        "exclusiveMinimum": True,
        "maximum": 10,
        "exclusiveMaximum": True,
    }
    assert properties["part"]["description"] == "the part inside"
    assert properties["spare"]["anyOf"] == [part, {"type": "null"}]
    Draft4Validator.check_schema(schema)
    # And they still mean what pydantic means
    validator = Draft4Validator(schema)
    assert validator.is_valid({"kind": "box", "part": {"weight": 9.5}, "spare": None})
    assert not validator.is_valid({"kind": "box", "part": {"weight": 10}})
    assert not validator.is_valid({"kind": "crate", "part": {"weight": 1}})


class Tagged(BaseModel):
    tags: set[str]


class Timed(BaseModel):
    at: datetime


class Node(BaseModel):
    child: "Node | None" = None


@pytest.mark.parametrize(
    ("model", "refusal"),
    [(Tagged, "uniqueItems"), (Timed, "format"), (Node, "recursive")],
    ids=["a set", "a datetime", "a recursive model"],
)
def test_given_a_construct_draft_4_cannot_state_then_the_translation_refuses_it(
    model: type[BaseModel], refusal: str
) -> None:
    # Given a model whose schema draft 4 cannot state with pydantic's meaning
    # When translated, then it fails naming the construct, rather than deploying a model that disagrees
    with pytest.raises(UntranslatableSchema, match=refusal):
        request_body_schema(model)


@pytest.mark.parametrize(
    ("response_type", "substituted", "code"),
    [
        ("BAD_REQUEST_BODY", r"[object has missing required properties ([\"items\"])]", "invalid_request"),
        (
            "BAD_REQUEST_PARAMETERS",
            json.dumps("Missing required request parameters: [Idempotency-Key]"),
            "invalid_idempotency_key",
        ),
    ],
)
def test_given_a_refusal_by_the_gateway_then_its_body_is_an_api_error(
    response_type: str, substituted: str, code: str
) -> None:
    # Given API Gateway's answer to what its validator refuses, with its variable substituted as API Gateway does
    template = gateway_error_templates(SETTINGS.domain)[response_type]
    body = template.replace("$context.error.validationErrorString", substituted).replace(
        "$context.error.messageString", substituted
    )
    # When a client reads it, then it is the handlers' ApiError, with the handler's code for the same refusal
    error = ApiError.model_validate_json(body)
    assert error.error == code
    assert "Idempotency-Key" in error.message or "items" in error.message
