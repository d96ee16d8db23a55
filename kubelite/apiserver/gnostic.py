"""A Swagger 2.0 document, encoded as the protobuf message kubectl 1.27 and 1.28 read.

kubectl fetches `/openapi/v2` only as protobuf: gnostic's `openapi.v2.Document` message
(`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`), one message type per
Swagger object. `encode(document)` turns the JSON-shaped document (`openapi_v2.py` builds
it) into those bytes, driven by the tables below; nothing here knows about Kubernetes.

A table entry describes one message, its fields written `<number> <json key>[:<type>]`:

- type: `str` (the default), `bool`, `i64`, `f64`, `any` (gnostic's `Any`: the value as
  YAML text, which kubectl parses back with a YAML library; JSON is valid YAML, so we write
  JSON), a message name, or `[]T` for a repeated field;
- `x-` collects every key that starts with `x-` (vendor extensions, `NamedAny` entries);
- `*:{}T` collects every other key of the JSON object as repeated `{1: name, 2: T}` entries
  (how gnostic writes JSON maps: definitions, properties, paths, responses);
- a message whose whole spec is `[]T` holds a bare JSON list (or a single value) in field 1.

Messages that are a `oneof` in gnostic (a parameter is a body or a query parameter, ...)
are chosen by `_choice`. Field numbers are gnostic's (`openapiv2/OpenAPIv2.proto`); keys
gnostic has no field for (OpenAPI 3 leftovers such as `nullable`) are dropped, as gnostic
itself drops them.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import orjson

from kubelite.api.protobuf.wire import field_bytes, field_double, field_string, field_varint

_PARAMETER_COMMON = (
    "1 required:bool, 2 in, 3 description, 4 name, {t} type, {f} format, "
    "{d} default:any, {u} uniqueItems:bool, {e} enum:[]any, {x} x-"
)

MESSAGES: dict[str, str] = {
    "Document": "1 swagger, 2 info:Info, 3 host, 4 basePath, 5 schemes:[]str, "
    "6 consumes:[]str, 7 produces:[]str, 8 paths:Paths, 9 definitions:Definitions, "
    "12 security:[]SecurityRequirement, 13 securityDefinitions:SecurityDefinitions, "
    "14 tags:[]Tag, 16 x-",
    "Info": "1 title, 2 version, 3 description, 7 x-",
    "Tag": "1 name, 2 description, 4 x-",
    "Paths": "1 x-, 2 *:{}PathItem",
    "PathItem": "1 $ref, 2 get:Operation, 3 put:Operation, 4 post:Operation, "
    "5 delete:Operation, 6 options:Operation, 7 head:Operation, 8 patch:Operation, "
    "9 parameters:[]ParametersItem, 10 x-",
    "Operation": "1 tags:[]str, 2 summary, 3 description, 5 operationId, 6 produces:[]str, "
    "7 consumes:[]str, 8 parameters:[]ParametersItem, 9 responses:Responses, "
    "10 schemes:[]str, 11 deprecated:bool, 13 x-",
    "BodyParameter": "1 description, 2 name, 3 in, 4 required:bool, 5 schema:Schema, 6 x-",
    "HeaderParameterSubSchema": _PARAMETER_COMMON.format(t=5, f=6, d=9, u=19, e=20, x=22),
    "FormDataParameterSubSchema": "5 allowEmptyValue:bool, "
    + _PARAMETER_COMMON.format(t=6, f=7, d=10, u=20, e=21, x=23),
    "QueryParameterSubSchema": "5 allowEmptyValue:bool, "
    + _PARAMETER_COMMON.format(t=6, f=7, d=10, u=20, e=21, x=23),
    "PathParameterSubSchema": _PARAMETER_COMMON.format(t=5, f=6, d=9, u=19, e=20, x=22),
    "JsonReference": "1 $ref, 2 description",
    "Responses": "1 *:{}ResponseValue, 2 x-",
    "Response": "1 description, 2 schema:SchemaItem, 5 x-",
    "Definitions": "1 *:{}Schema",
    "Properties": "1 *:{}Schema",
    "Schema": "1 $ref, 2 format, 3 title, 4 description, 5 default:any, 6 multipleOf:f64, "
    "7 maximum:f64, 8 exclusiveMaximum:bool, 9 minimum:f64, 10 exclusiveMinimum:bool, "
    "11 maxLength:i64, 12 minLength:i64, 13 pattern, 14 maxItems:i64, "
    "15 minItems:i64, 16 uniqueItems:bool, 17 maxProperties:i64, "
    "18 minProperties:i64, 19 required:[]str, 20 enum:[]any, "
    "21 additionalProperties:AdditionalPropertiesItem, 22 type:TypeItem, "
    "23 items:ItemsItem, 24 allOf:[]Schema, 25 properties:Properties, "
    "26 discriminator, 27 readOnly:bool, 30 example:any, 31 x-",
    "SecurityDefinitions": "1 *:{}SecurityDefinitionsItem",
    "BasicAuthenticationSecurity": "1 type, 2 description, 3 x-",
    "ApiKeySecurity": "1 type, 2 name, 3 in, 4 description, 5 x-",
    "SecurityRequirement": "1 *:{}StringArray",
    "StringArray": "[]str",
    "TypeItem": "[]str",
    "ItemsItem": "[]Schema",
}

_NON_BODY = {
    "header": (1, "HeaderParameterSubSchema"),
    "formData": (2, "FormDataParameterSubSchema"),
    "query": (3, "QueryParameterSubSchema"),
    "path": (4, "PathParameterSubSchema"),
}


def _choice(message: str, value: Any) -> tuple[int, str] | None:
    """For a gnostic `oneof` wrapper: which field (and its type) holds `value`."""
    if message in ("ParametersItem", "ResponseValue"):
        if isinstance(value, dict) and "$ref" in value:
            return 2, "JsonReference"
        return 1, "Parameter" if message == "ParametersItem" else "Response"
    if message == "Parameter":
        return (1, "BodyParameter") if value.get("in") == "body" else (2, "NonBodyParameter")
    if message == "NonBodyParameter":
        return _NON_BODY.get(value.get("in", ""))
    if message == "SchemaItem":
        return 1, "Schema"
    if message == "AdditionalPropertiesItem":
        return (2, "bool") if isinstance(value, bool) else (1, "Schema")
    if message == "SecurityDefinitionsItem":
        return (1, "BasicAuthenticationSecurity") if value.get("type") == "basic" else (2, "ApiKeySecurity")
    raise KeyError(message)


_CHOICES = frozenset(
    {
        "ParametersItem",
        "ResponseValue",
        "Parameter",
        "NonBodyParameter",
        "SchemaItem",
        "AdditionalPropertiesItem",
        "SecurityDefinitionsItem",
    }
)


@functools.cache
def _fields(message: str) -> tuple[dict[str, tuple[int, str]], int | None, tuple[int, str] | None]:
    """(json key -> (number, type), vendor-extension number, catch-all (number, type))."""
    keyed: dict[str, tuple[int, str]] = {}
    vendor: int | None = None
    rest: tuple[int, str] | None = None
    for spec in MESSAGES[message].split(","):
        number_text, _, name_type = spec.strip().partition(" ")
        name, _, type_ = name_type.partition(":")
        number = int(number_text)
        if name == "x-":
            vendor = number
        elif name == "*":
            rest = number, type_
        else:
            keyed[name] = number, type_ or "str"
    return keyed, vendor, rest


def _yaml(value: Any) -> bytes:
    return orjson.dumps(value) + b"\n"


def _any(value: Any) -> bytes:
    return field_bytes(2, _yaml(value))


def _value(number: int, type_: str, value: Any) -> bytes:
    """One field (all elements of a repeated one) holding `value` as `type_`."""
    if type_.startswith("[]"):
        items = value if isinstance(value, list) else [value]
        return b"".join(_value(number, type_[2:], item) for item in items)
    if type_.startswith("{}"):
        return b"".join(
            field_bytes(number, field_string(1, key) + _value(2, type_[2:], item))
            for key, item in value.items()
        )
    if value is None:
        return b""
    encode: Callable[[int, Any], bytes] | None = _SCALARS.get(type_)
    if encode is not None:
        return encode(number, value)
    return field_bytes(number, encode_message(type_, value))


_SCALARS: dict[str, Callable[[int, Any], bytes]] = {
    "str": lambda n, v: field_string(n, str(v)),
    "bool": lambda n, v: field_varint(n, 1) if v else b"",
    "i64": lambda n, v: field_varint(n, int(v)),
    "f64": lambda n, v: field_double(n, float(v)),
    "any": lambda n, v: field_bytes(n, _any(v)),
}


def encode_message(message: str, value: Any) -> bytes:
    """The protobuf bytes of one gnostic message holding the JSON value `value`."""
    if message in _CHOICES:
        chosen = _choice(message, value)
        return b"" if chosen is None else _value(chosen[0], chosen[1], value)
    spec = MESSAGES[message]
    if spec.startswith("[]"):
        return _value(1, spec, value)
    keyed, vendor, rest = _fields(message)
    out: list[bytes] = []
    others: dict[str, Any] = {}
    extensions: list[bytes] = []
    for key, item in value.items():
        field = keyed.get(key)
        if field is not None:
            out.append(_value(field[0], field[1], item))
        elif vendor is not None and key.startswith("x-"):
            extensions.append(field_bytes(vendor, field_string(1, key) + field_bytes(2, _any(item))))
        elif rest is not None:
            others[key] = item
    if rest is not None and others:
        out.append(_value(rest[0], rest[1], others))
    return b"".join(out + extensions)


def encode(document: dict[str, Any]) -> bytes:
    """A Swagger 2.0 document as gnostic's `openapi.v2.Document` protobuf message."""
    return encode_message("Document", document)
