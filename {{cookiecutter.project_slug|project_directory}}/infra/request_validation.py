"""What API Gateway checks before the create handler runs, derived from the handler's own pydantic request model.

API Gateway validates a request body against a model written in JSON Schema draft 4; pydantic writes its models'
schemas in draft 2020-12. ``draft4_schema`` translates one into the other (``$ref`` inlined, ``const`` as a
one-value ``enum``, numeric ``exclusiveMinimum``/``exclusiveMaximum`` as draft 4's boolean form) and raises
UntranslatableSchema for any construct draft 4 cannot state with the meaning pydantic gives it, rather than
drop it: the gateway then never refuses a body the handler accepts, nor the other way round
(tests/unit/test_request_validation.py compares the two on many bodies). ``GATEWAY_ERROR_TEMPLATES`` are
API Gateway's answers to what its validator refuses, in the handlers' ApiError shape. No CDK here: infra/api.py
deploys both, and the tests read them without synthesizing anything.
"""

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel

DRAFT4 = "http://json-schema.org/draft-04/schema#"

# Keywords draft 4 has with the meaning pydantic's schema gives them: copied as they are.
_SAME_MEANING = frozenset(
    {
        "type",
        "required",
        "enum",
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "maximum",
        "multipleOf",
        "minItems",
        "maxItems",
        "minProperties",
        "maxProperties",
        "title",
        "description",
        "default",
    }
)
# Annotations draft 4 lacks; they never change which bodies are valid, so leaving them out loses nothing.
_ANNOTATIONS_DRAFT4_LACKS = frozenset({"examples", "deprecated", "readOnly", "writeOnly"})
_ANNOTATIONS = frozenset({"title", "description", "default"}) | _ANNOTATIONS_DRAFT4_LACKS
# Keywords whose value is one schema, a map of schemas, or a list of schemas.
_SUBSCHEMA = frozenset({"items", "additionalProperties", "not"})
_SUBSCHEMA_MAP = frozenset({"properties", "patternProperties"})
_SUBSCHEMA_LIST = frozenset({"anyOf", "allOf", "oneOf"})
# Why some draft 2020-12 keywords are refused rather than translated: each would make the gateway refuse bodies
# the handler accepts, or accept bodies it refuses.
_REFUSED = {
    "format": "API Gateway checks formats (date-time, email, uri, ...) by rules of its own, not pydantic's",
    "uniqueItems": "pydantic accepts duplicates for a set and drops them; draft 4 refuses them",
    "discriminator": "draft 4 has no discriminator",
    "prefixItems": "draft 4 has no prefixItems (pydantic's tuples)",
}


class UntranslatableSchema(Exception):
    """The request model uses a JSON Schema construct that draft 4 (API Gateway's models) cannot state as pydantic
    means it."""


def request_body_schema(model: type[BaseModel]) -> dict[str, Any]:
    """The draft-4 schema API Gateway validates the body with: ``model``'s JSON schema, translated."""
    return draft4_schema(model.model_json_schema())


def draft4_schema(schema: Mapping[str, Any], definitions: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """``schema`` (pydantic's or an OpenAPI 3.1 one, with its references) as one self-contained draft-4 schema.

    ``definitions`` are the schemas a ``$ref`` names by its last segment: the schema's own ``$defs`` when not
    given (``components.schemas`` for an OpenAPI document). Raises UntranslatableSchema, naming the keyword
    and where it is, for a construct it cannot translate, a reference it cannot resolve and a recursive model.
    """
    resolved = dict(schema.get("$defs", {})) if definitions is None else dict(definitions)
    body = {key: value for key, value in schema.items() if key != "$defs"}
    return {"$schema": DRAFT4, **_translate(body, resolved, "#", ())}


def _translate(
    schema: Mapping[str, Any], definitions: Mapping[str, Any], where: str, expanding: tuple[str, ...]
) -> dict[str, Any]:
    if not isinstance(schema, Mapping):
        raise UntranslatableSchema(f"{where}: a boolean schema ({schema!r}); draft 4 has none")
    if "$ref" in schema:
        return _inline(schema, definitions, where, expanding)
    translated: dict[str, Any] = {}
    for key, value in schema.items():
        at = f"{where}/{key}"
        if key in _SAME_MEANING:
            translated[key] = value
        elif key in _ANNOTATIONS_DRAFT4_LACKS:
            continue
        elif key == "const":
            translated["enum"] = [value]
        elif key in {"exclusiveMinimum", "exclusiveMaximum"}:
            bound = "minimum" if key == "exclusiveMinimum" else "maximum"
            if isinstance(value, bool) or bound in schema:
                raise UntranslatableSchema(f"{at}: {key} next to {bound}; pydantic states only one")
            translated[bound] = value
            translated[key] = True
        elif key == "additionalProperties" and isinstance(value, bool):
            translated[key] = value
        elif key in _SUBSCHEMA:
            translated[key] = _translate(value, definitions, at, expanding)
        elif key in _SUBSCHEMA_MAP:
            translated[key] = {
                name: _translate(subschema, definitions, f"{at}/{name}", expanding) for name, subschema in value.items()
            }
        elif key in _SUBSCHEMA_LIST:
            translated[key] = [
                _translate(subschema, definitions, f"{at}/{index}", expanding) for index, subschema in enumerate(value)
            ]
        else:
            reason = _REFUSED.get(key, "draft 4 has no such keyword, or this translation does not know it")
            raise UntranslatableSchema(f"{at}: {reason}")
    return translated


def _inline(
    schema: Mapping[str, Any], definitions: Mapping[str, Any], where: str, expanding: tuple[str, ...]
) -> dict[str, Any]:
    """The referenced definition in place of the ``$ref``, with the annotations written next to it."""
    name = str(schema["$ref"]).rsplit("/", 1)[-1]
    if name not in definitions:
        raise UntranslatableSchema(f"{where}: $ref {schema['$ref']} names no definition")
    if name in expanding:
        raise UntranslatableSchema(f"{where}: {name} contains itself; a recursive model cannot be inlined")
    beside = {key: value for key, value in schema.items() if key != "$ref"}
    if not beside.keys() <= _ANNOTATIONS:
        raise UntranslatableSchema(f"{where}: {sorted(beside.keys() - _ANNOTATIONS)} next to a $ref")
    inlined = _translate(definitions[name], definitions, f"{where}/$ref({name})", (*expanding, name))
    return {**inlined, **_translate(beside, definitions, where, expanding)}


def gateway_error_templates(domain: str) -> dict[str, str]:
    """API Gateway's answers when its validator refuses a request, by gateway response type: ApiError bodies.

    A gateway response's template is not Velocity: API Gateway substitutes the variables into the text as it
    is. ``$context.error.messageString`` is the message already quoted for JSON; ``validationErrorString``,
    the draft-4 validator's findings, goes inside quotes. The codes are the handler's own for the same
    refusals: the only required request parameter is the POST's Idempotency-Key header (a path's {id} is
    never missing once the route matched), so a refused parameter is an invalid_idempotency_key.
    """
    return {
        "BAD_REQUEST_BODY": (
            '{"error":"invalid_request","message":"the body is not a valid '
            + domain
            + ': $context.error.validationErrorString"}'
        ),
        "BAD_REQUEST_PARAMETERS": '{"error":"invalid_idempotency_key","message":$context.error.messageString}',
    }
