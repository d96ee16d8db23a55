"""`fieldValidation=Strict|Warn|Ignore`: unknown and duplicate fields in request bodies.

Kubernetes decodes a body into its typed struct; fields the type does not declare and
keys repeated in one JSON object are dropped (the last duplicate wins). What it then does
depends on the request's `fieldValidation`:

    Ignore   drop them silently
    Warn     drop them and send one `Warning: 299 - "unknown field \\"spec.foo\\""` header
             each (the default when the parameter is absent)
    Strict   400 BadRequest: `strict decoding error: unknown field "spec.foo", duplicate
             field "spec.replicas"` (every unknown field, then every duplicate)

orjson keeps the last duplicate without saying so, so duplicates are found with a second
parse, only when the mode asks for them, and only when the body is not exactly what orjson
writes for the decoded tree (compact JSON, as kubelite's and most clients send: a body
that re-encodes to itself byte for byte cannot hold a key twice, since the tree cannot).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import orjson
import yaml

from kubelite.api import decoding, errors, schema
from kubelite.api.resources import ResourceType

STRICT, WARN, IGNORE = "Strict", "Warn", "Ignore"


class _Pairs(dict[str, Any]):
    """A decoded JSON object that remembers which of its keys appeared twice."""

    __slots__ = ("duplicates",)
    duplicates: list[str]


def _object_pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = _Pairs(pairs)
    if len(out) != len(pairs):
        seen: set[str] = set()
        dups = []
        for k, _ in pairs:
            if k in seen and k not in dups:
                dups.append(k)
            seen.add(k)
        out.duplicates = dups
    else:
        out.duplicates = []
    return out


def duplicate_fields(raw: bytes, content_type: str, decoded: Any = None) -> list[str]:
    """Paths of keys repeated inside one JSON object of the body (JSON bodies only).

    `decoded`, the body as already decoded, allows the fast answer for compact bodies."""
    if "json" not in content_type and content_type not in ("", "*/*"):
        return []
    if raw.count(b'"') < 4:
        return []
    if decoded is not None and orjson.dumps(decoded) == raw:
        return []
    try:
        tree = json.loads(raw, object_pairs_hook=_object_pairs)
    except ValueError:
        return []
    out: list[str] = []
    _walk_duplicates(tree, "", out)
    return out


def _walk_duplicates(value: Any, path: str, out: list[str]) -> None:
    if isinstance(value, _Pairs):
        for key in value.duplicates:
            out.append(f"{path}.{key}" if path else key)
        for key, child in value.items():
            _walk_duplicates(child, f"{path}.{key}" if path else key, out)
    elif isinstance(value, list):
        for i, child in enumerate(value):
            _walk_duplicates(child, f"{path}[{i}]", out)


class _DuplicateKeys(yaml.SafeLoader):
    """A YAML reader that only builds nodes (never objects), to see every key of a mapping."""


def yaml_duplicates(raw: bytes) -> list[str]:
    """`line N: key "k" already set in map` for each key repeated inside one YAML (or JSON)
    mapping, as the YAML decoder Kubernetes uses for apply bodies reports them."""
    try:
        node = yaml.compose(raw, Loader=_DuplicateKeys)
    except yaml.YAMLError:
        return []
    out: list[str] = []
    stack = [node] if node is not None else []
    while stack:
        current = stack.pop()
        if isinstance(current, yaml.MappingNode):
            seen: set[str] = set()
            for key, value in current.value:
                if isinstance(key, yaml.ScalarNode):
                    if key.value in seen:
                        out.append(f'line {key.start_mark.line + 1}: key "{key.value}" already set in map')
                    seen.add(key.value)
                stack.append(value)
        elif isinstance(current, yaml.SequenceNode):
            stack.extend(current.value)
    return sorted(out, key=lambda line: int(line.split(":", 1)[0].split()[1]))


def unknown_fields(rt: ResourceType, obj: dict[str, Any]) -> list[str]:
    """Paths of fields the resource's schema does not declare."""
    if rt.custom is not None:
        return rt.custom.unknown_fields(obj)
    return schema.unknown_fields(rt.group, rt.version, rt.kind, obj)


def check(
    rt: ResourceType,
    obj: dict[str, Any],
    mode: str,
    warnings: list[str],
    *,
    duplicates: Sequence[str] = (),
    prefix: str = "",
) -> None:
    """Refuse a value of the wrong type for its field (400, whatever the mode, as decoding into
    the Go type fails); report unknown (and given duplicate) fields of `obj` by `mode`, then
    drop the unknown.

    `prefix` starts the messages (`Deployment in version "v1" cannot be handled as a
    Deployment: ` on create and update).
    """
    check_types(rt, obj, prefix=prefix)
    if mode == IGNORE:
        prune_unknown(rt, obj)
        return
    unknown = unknown_fields(rt, obj)
    # Kubernetes' strict decoder reports the unknown fields first, then the duplicates.
    problems = [f'unknown field "{u}"' for u in unknown if u not in duplicates]
    problems += [f'duplicate field "{d}"' for d in duplicates]
    if not problems:
        return
    if mode == STRICT:
        raise errors.BadRequest(prefix + "strict decoding error: " + ", ".join(problems))
    warnings.extend(problems)
    prune_unknown(rt, obj)


def check_types(rt: ResourceType, obj: Any, *, prefix: str = "") -> None:
    """400 BadRequest when `obj` (or a value in it) has a JSON type its field's Go type cannot
    take, worded as decoding words it (`kubelite.api.decoding`)."""
    wrong_type = decoding.type_error(schema.kind_schema(rt.group, rt.version, rt.kind), obj, rt.kind)
    if wrong_type is not None:
        raise errors.BadRequest(prefix + wrong_type)


def decode_prefix(rt: ResourceType) -> str:
    return f'{rt.kind} in version "{rt.version}" cannot be handled as a {rt.kind}: '


def prune_unknown(rt: ResourceType, obj: dict[str, Any]) -> None:
    """Drop fields the kind's schema does not declare, as decoding into a type does."""
    if rt.custom is not None:
        rt.custom.prune(obj)
        return
    root = schema.kind_schema(rt.group, rt.version, rt.kind)
    if root is not None:
        _prune(root, obj)


def _prune(node: schema.Node, value: Any) -> None:
    if node.type == schema.OBJECT and isinstance(value, dict):
        for key in list(value):
            child = node.fields.get(key)
            if child is None:
                if not node.preserve_unknown:
                    del value[key]
            elif value[key] is not None:
                _prune(child, value[key])
    elif node.type == schema.ARRAY and isinstance(value, list) and node.items is not None:
        for item in value:
            _prune(node.items, item)
    elif node.type == schema.MAP and isinstance(value, dict) and node.values is not None:
        for item in value.values():
            _prune(node.values, item)
