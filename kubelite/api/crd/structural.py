"""Structural schemas: a CustomResourceDefinition version's `openAPIV3Schema`, compiled once
and asked three things about every custom object.

    compile(raw) -> Schema            the tree (types, properties, items, additional
                                      properties, x-kubernetes-* extensions, value rules)
    prune(schema, obj) -> [paths]     drop fields the schema does not declare (unless a node
                                      preserves unknown fields); the dropped paths, sorted
    default(schema, obj)              fill `default`s top-down, then drop nulls a
                                      non-nullable field may not hold
    validate(schema, obj) -> [errors] types, required, enums, bounds, lengths, patterns,
                                      formats, list and map rules, with Kubernetes' messages

The root is an object whose `apiVersion`, `kind` and `metadata` are the API server's, not the
schema's, as are those of an `x-kubernetes-embedded-resource` object. Every function works on
plain JSON values and never raises on a value of the wrong type: it reports it (validate) or
leaves it alone (prune, default).
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime as dt
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kubelite.api.errors import FieldError, invalid, not_supported, required, too_long
from kubelite.api.validation.fields import GoValue, index, too_many

META_FIELDS = ("apiVersion", "kind", "metadata")
_NO_DEFAULT = object()


@dataclass(eq=False)
class Schema:
    """One node of a structural schema (see the module docstring)."""

    raw: dict[str, Any]
    type: str = ""
    properties: dict[str, Schema] = field(default_factory=dict)
    additional: Schema | None = None
    items: Schema | None = None
    required: tuple[str, ...] = ()
    nullable: bool = False
    preserve_unknown: bool = False
    embedded: bool = False
    int_or_string: bool = False
    default: Any = _NO_DEFAULT

    @property
    def has_default(self) -> bool:
        return self.default is not _NO_DEFAULT

    def child(self, key: str) -> Schema | None:
        return self.properties.get(key) or self.additional


def compile_schema(raw: Any) -> Schema:
    """The tree of a raw `openAPIV3Schema` (a dict; anything else compiles to an open node)."""
    if not isinstance(raw, dict):
        return Schema({}, preserve_unknown=True)
    node = Schema(raw)
    kind = raw.get("type")
    node.type = kind if isinstance(kind, str) else ""
    node.nullable = raw.get("nullable") is True
    node.preserve_unknown = raw.get("x-kubernetes-preserve-unknown-fields") is True
    node.embedded = raw.get("x-kubernetes-embedded-resource") is True
    node.int_or_string = raw.get("x-kubernetes-int-or-string") is True
    if "default" in raw:
        node.default = raw["default"]
    req = raw.get("required")
    node.required = tuple(r for r in req if isinstance(r, str)) if isinstance(req, list) else ()
    props = raw.get("properties")
    if isinstance(props, dict):
        node.properties = {k: compile_schema(v) for k, v in props.items()}
    extra = raw.get("additionalProperties")
    if isinstance(extra, dict):
        node.additional = compile_schema(extra)
    elif extra is True:
        node.additional = Schema({}, preserve_unknown=True)
    items = raw.get("items")
    if isinstance(items, dict):
        node.items = compile_schema(items)
    return node


# ---- pruning ------------------------------------------------------------------------------------


def prune(schema: Schema | None, obj: Any) -> list[str]:
    """Drop undeclared fields of a custom object in place; their paths, sorted.

    The root and embedded objects keep `apiVersion`, `kind` and `metadata` (metadata is the
    API server's ObjectMeta, checked elsewhere)."""
    found: list[str] = []
    root = schema or Schema({})
    if not root.embedded:
        root = copy.copy(root)
        root.embedded = True
    _prune(obj, root, "", found)
    return sorted(found)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _prune(value: Any, schema: Schema | None, path: str, found: list[str]) -> None:
    if schema is not None and schema.preserve_unknown:
        _descend(value, schema, path, found)
        return
    if isinstance(value, dict):
        for key in list(value):
            if schema is not None and schema.embedded and key in META_FIELDS:
                continue
            sub = None if schema is None else schema.properties.get(key)
            if sub is not None:
                _prune(value[key], sub, _join(path, key), found)
            elif schema is not None and schema.additional is not None:
                _prune(value[key], schema.additional, _join(path, key), found)
            else:
                found.append(_join(path, key))
                del value[key]
    elif isinstance(value, list):
        item = None if schema is None else schema.items
        for i, v in enumerate(value):
            _prune(v, item, f"{path}[{i}]", found)


def _descend(value: Any, schema: Schema, path: str, found: list[str]) -> None:
    """A node that keeps unknown fields: prune only inside the fields it does declare."""
    if isinstance(value, dict):
        for key, v in value.items():
            if schema.embedded and key in META_FIELDS:
                continue
            sub = schema.properties.get(key) or schema.additional
            if sub is not None:
                _prune(v, sub, _join(path, key), found)
    elif isinstance(value, list) and schema.items is not None:
        for i, v in enumerate(value):
            _prune(v, schema.items, f"{path}[{i}]", found)


def embedded_metadata(schema: Schema | None, obj: Any) -> list[tuple[str, dict[str, Any]]]:
    """(path, metadata) of the object's own metadata and of every embedded resource's."""
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(obj, dict) and isinstance(obj.get("metadata"), dict):
        found.append(("metadata", obj["metadata"]))
    if schema is not None and isinstance(obj, dict):
        for key, value in obj.items():
            sub = schema.properties.get(key) or schema.additional
            if key not in META_FIELDS and sub is not None:
                _find_embedded(value, sub, key, found)
    return found


def _find_embedded(value: Any, schema: Schema, path: str, found: list[tuple[str, dict[str, Any]]]) -> None:
    if isinstance(value, dict):
        if schema.embedded and isinstance(value.get("metadata"), dict):
            found.append((_join(path, "metadata"), value["metadata"]))
        for key, v in value.items():
            sub = schema.properties.get(key) or schema.additional
            if sub is not None and not (schema.embedded and key in META_FIELDS):
                _find_embedded(v, sub, _join(path, key), found)
    elif isinstance(value, list) and schema.items is not None:
        for i, v in enumerate(value):
            _find_embedded(v, schema.items, f"{path}[{i}]", found)


# ---- defaulting -------------------------------------------------------------------------------


def default(schema: Schema | None, obj: Any) -> None:
    """Apply the schema's defaults to `obj` in place, then prune nulls without a place."""
    if schema is None:
        return
    _default(obj, schema)
    _prune_nulls(obj, schema)


def _default(value: Any, schema: Schema) -> None:
    if isinstance(value, dict):
        for key, prop in schema.properties.items():
            if prop.has_default and (key not in value or (value[key] is None and not prop.nullable)):
                value[key] = copy.deepcopy(prop.default)
        for key, v in value.items():
            sub = schema.properties.get(key) or schema.additional
            if sub is not None:
                _default(v, sub)
    elif isinstance(value, list) and schema.items is not None:
        for v in value:
            _default(v, schema.items)


def _prune_nulls(value: Any, schema: Schema) -> None:
    if isinstance(value, dict):
        for key in list(value):
            sub = schema.properties.get(key) or schema.additional
            if sub is None:
                continue
            if value[key] is None and not sub.nullable:
                del value[key]
            else:
                _prune_nulls(value[key], sub)
    elif isinstance(value, list) and schema.items is not None:
        for v in value:
            _prune_nulls(v, schema.items)


# ---- validation ---------------------------------------------------------------------------------

Errors = list[FieldError]
_JSON_TYPES: dict[str, Callable[[Any], bool]] = {
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: (
        (isinstance(v, int) and not isinstance(v, bool)) or (isinstance(v, float) and v.is_integer())
    ),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
}


def validate(schema: Schema | None, obj: dict[str, Any]) -> Errors:
    """Every way `obj` (a whole custom object) breaks its schema; empty when it is valid."""
    if schema is None:
        return []
    errs: Errors = []
    _validate(obj, schema, "", errs, root=True)
    return errs


def _in_body(path: str) -> str:
    return f"{path} in body" if path else "body"


def _validate(value: Any, schema: Schema, path: str, errs: Errors, *, root: bool = False) -> None:
    if value is None:
        if not schema.nullable and schema.type and not schema.preserve_unknown:
            errs.append(invalid(path, None, f'{_in_body(path)} must be of type {schema.type}: "null"'))
        return
    if not _type_ok(value, schema):
        shown = _go_type(value)
        errs.append(invalid(path, value, f'{_in_body(path)} must be of type {schema.type}: "{shown}"'))
        return
    _value_rules(value, schema, path, errs)
    if isinstance(value, dict):
        _validate_object(value, schema, path, errs, root=root)
    elif isinstance(value, list):
        _list_rules(value, schema, path, errs)
        if schema.items is not None:
            for i, v in enumerate(value):
                _validate(v, schema.items, f"{path}[{i}]", errs)


def _type_ok(value: Any, schema: Schema) -> bool:
    if schema.int_or_string:
        return isinstance(value, str) or _JSON_TYPES["integer"](value)
    check = _JSON_TYPES.get(schema.type)
    return check is None or check(value)


def _go_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "integer" if isinstance(value, int) or value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _validate_object(value: dict[str, Any], schema: Schema, path: str, errs: Errors, *, root: bool) -> None:
    for name in schema.required:
        if name not in value and not (root and name in META_FIELDS):
            errs.append(required(_join(path, name)))
    if schema.embedded and not root:
        for name in ("apiVersion", "kind"):
            if not value.get(name):
                errs.append(required(_join(path, name)))
    for key, v in value.items():
        if (root or schema.embedded) and key in META_FIELDS:
            continue
        sub = schema.properties.get(key) or schema.additional
        if sub is not None:
            _validate(v, sub, _join(path, key), errs)


def _value_rules(value: Any, schema: Schema, path: str, errs: Errors) -> None:
    raw = schema.raw
    enum = raw.get("enum")
    if isinstance(enum, list) and value not in enum:
        errs.append(not_supported(path, value, [v if isinstance(v, str) else _json(v) for v in enum]))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        _number_rules(value, raw, path, errs)
    elif isinstance(value, str):
        _string_rules(value, schema, path, errs)
    elif isinstance(value, dict):
        _count_rules(len(value), raw, "Properties", path, errs)


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _number_rules(value: float, raw: dict[str, Any], path: str, errs: Errors) -> None:
    low, high = raw.get("minimum"), raw.get("maximum")
    where = _in_body(path)
    if isinstance(low, (int, float)):
        if raw.get("exclusiveMinimum") is True and value <= low:
            errs.append(invalid(path, value, f"{where} should be greater than {_num(low)}"))
        elif value < low:
            errs.append(invalid(path, value, f"{where} should be greater than or equal to {_num(low)}"))
    if isinstance(high, (int, float)):
        if raw.get("exclusiveMaximum") is True and value >= high:
            errs.append(invalid(path, value, f"{where} should be less than {_num(high)}"))
        elif value > high:
            errs.append(invalid(path, value, f"{where} should be less than or equal to {_num(high)}"))
    step = raw.get("multipleOf")
    if isinstance(step, (int, float)) and step > 0 and (value / step) != int(value / step):
        errs.append(invalid(path, value, f"{where} should be a multiple of {_num(step)}"))


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _string_rules(value: str, schema: Schema, path: str, errs: Errors) -> None:
    raw = schema.raw
    where = _in_body(path)
    longest, shortest = raw.get("maxLength"), raw.get("minLength")
    if isinstance(longest, int) and len(value) > longest:
        errs.append(too_long(path, value, longest))
    if isinstance(shortest, int) and len(value) < shortest:
        errs.append(invalid(path, value, f"{where} should be at least {shortest} chars long"))
    pattern = raw.get("pattern")
    if isinstance(pattern, str) and not _matches(pattern, value):
        errs.append(invalid(path, value, f"{where} should match '{pattern}'"))
    fmt = raw.get("format")
    if isinstance(fmt, str) and not schema.int_or_string and not _format_ok(fmt, value):
        errs.append(invalid(path, value, f'{where} must be of type {fmt}: "{value}"'))


def _matches(pattern: str, value: str) -> bool:
    try:
        return re.search(pattern, value) is not None
    except re.error:
        return True


def _format_ok(fmt: str, value: str) -> bool:
    check = _FORMATS.get(fmt)
    return check is None or check(value)


def _is_base64(value: str) -> bool:
    try:
        base64.b64decode(value, validate=True)
        return True
    except (binascii.Error, ValueError):
        return False


def _is_datetime(value: str) -> bool:
    try:
        dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return True
    except ValueError:
        return False


def _is_date(value: str) -> bool:
    try:
        dt.date.fromisoformat(value)
        return True
    except ValueError:
        return False


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
        return True
    except ValueError:
        return False


_FORMATS: dict[str, Callable[[str], bool]] = {
    "byte": _is_base64,
    "date-time": _is_datetime,
    "datetime": _is_datetime,
    "date": _is_date,
    "uuid": _is_uuid,
}


def _count_rules(count: int, raw: dict[str, Any], what: str, path: str, errs: Errors) -> None:
    most, least = raw.get(f"max{what}"), raw.get(f"min{what}")
    noun = "items" if what == "Items" else "properties"
    if isinstance(most, int) and count > most:
        errs.append(too_many(path, count, most))
    if isinstance(least, int) and count < least:
        errs.append(invalid(path, count, f"{_in_body(path)} should have at least {least} {noun}"))


def _list_rules(value: list[Any], schema: Schema, path: str, errs: Errors) -> None:
    raw = schema.raw
    _count_rules(len(value), raw, "Items", path, errs)
    list_type = raw.get("x-kubernetes-list-type")
    if raw.get("uniqueItems") is True or list_type == "set":
        seen: list[Any] = []
        for i, v in enumerate(value):
            if v in seen:
                errs.append(FieldError(index(path, i), "FieldValueDuplicate", "", v, True))
            seen.append(v)
    elif list_type == "map":
        keys = [k for k in raw.get("x-kubernetes-list-map-keys") or () if isinstance(k, str)]
        seen_keys: list[tuple[Any, ...]] = []
        for i, v in enumerate(value):
            if not isinstance(v, dict):
                continue
            entry = tuple(v.get(k) for k in keys)
            if entry in seen_keys:
                shown = ", ".join(f"{k}: {_json(v.get(k))}" for k in keys)
                errs.append(
                    FieldError(index(path, i), "FieldValueDuplicate", "", GoValue(f"map[{shown}]"), True)
                )
            seen_keys.append(entry)
