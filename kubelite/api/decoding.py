"""What decoding into Kubernetes' typed objects refuses: a JSON value of the wrong type.

kube-apiserver decodes every body into its Go struct before anything else looks at it, so a
string where `spec.replicas` wants an int32, or a list where `metadata` wants an object, is a
400 BadRequest naming the field - never a crash further down. kubelite keeps objects as
dicts, so it asks the same question of the kind's schema (`kubelite.api.schema`) instead:

    Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal
    string into Go struct field DeploymentSpec.spec.replicas of type int32

The message follows Go's encoding/json: the JSON kind found, the innermost struct holding the
field, the field's path from the object's root, and the Go type the schema describes. `null`
is accepted anywhere (Go leaves the field unset), as are fields the schema does not know
(unknown fields are `fieldvalidation.py`'s business).
"""

from __future__ import annotations

from typing import Any

from kubelite.api import schema
from kubelite.api.schema import Node

_JSON_INTEGER_FORMATS = {"int32": "int32", "int64": "int64"}
_INTEGER_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def type_error(root: Node | None, obj: Any, struct: str) -> str | None:
    """The first value of `obj` whose JSON type its schema does not allow, as Go's decoder
    words it; None when every value fits. `struct` is the root type's Go name (`Pod`)."""
    if root is None:
        return None
    if not isinstance(obj, dict):
        return f"json: cannot unmarshal {_json_kind(obj)} into Go value of type {_go_type(root)}"
    return _object(root, obj, "", struct)


def _object(node: Node, value: dict[str, Any], path: str, struct: str) -> str | None:
    for key, child in value.items():
        field = node.fields.get(key)
        if field is None or child is None:
            continue
        sub = f"{path}.{key}" if path else key
        if (err := _value(field, child, sub, struct)) is not None:
            return err
    return None


def _value(node: Node, value: Any, path: str, struct: str) -> str | None:
    """`value` of the field at `path` (inside the Go struct named `struct`)."""
    if not _fits(node, value):
        kind = _json_kind(value)
        if node.type == "integer" and isinstance(value, int | float) and not isinstance(value, bool):
            kind = f"number {value:g}" if isinstance(value, float) else f"number {value}"
        return f"json: cannot unmarshal {kind} into Go struct field {struct}.{path} of type {_go_type(node)}"
    if node.type == schema.OBJECT:
        return _object(node, value, path, _short(node.name) or struct)
    if node.type == schema.ARRAY and node.items is not None:
        for item in value:
            if item is not None and (err := _value(node.items, item, path, struct)) is not None:
                return err
    if node.type == schema.MAP and node.values is not None:
        for item in value.values():  # Go's error path names struct fields only, not map keys
            if item is not None and (err := _value(node.values, item, path, struct)) is not None:
                return err
    return None


def _fits(node: Node, value: Any) -> bool:
    t = node.type
    if t in (schema.OBJECT, schema.MAP):
        return isinstance(value, dict)
    if t == schema.ARRAY:
        return isinstance(value, list)
    if t == "string":
        return isinstance(value, str)
    if t == "boolean":
        return isinstance(value, bool)
    if t == "integer":
        low, high = _INTEGER_RANGES.get(node.format, _INTEGER_RANGES["int64"])
        return _is_integer(value) and low <= value <= high
    if t == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    if t == schema.INT_OR_STRING_TYPE:
        return isinstance(value, str) or _is_integer(value)
    if t == schema.QUANTITY_TYPE:
        return isinstance(value, str | int | float) and not isinstance(value, bool)
    return True  # free-form (RawExtension, FieldsV1, no schema)


def _is_integer(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, float) and value.is_integer())


def _json_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "null"


def _short(definition: str) -> str:
    """`io.k8s.api.apps.v1.DeploymentSpec` -> `DeploymentSpec`."""
    return definition.rsplit(".", 1)[-1] if definition else ""


def _go_type(node: Node) -> str:
    t = node.type
    if t == schema.OBJECT:
        parts = node.name.split(".")
        return f"{parts[-2]}.{parts[-1]}" if len(parts) >= 2 else "struct"
    if t == schema.MAP:
        return "map[string]" + (_go_type(node.values) if node.values is not None else "interface {}")
    if t == schema.ARRAY:
        return "[]" + (_go_type(node.items) if node.items is not None else "interface {}")
    if t == "integer":
        return _JSON_INTEGER_FORMATS.get(node.format, "int64")
    if t == "number":
        return "float64"
    if t == "boolean":
        return "bool"
    if t == schema.INT_OR_STRING_TYPE:
        return "intstr.IntOrString"
    if t == schema.QUANTITY_TYPE:
        return "resource.Quantity"
    return t
