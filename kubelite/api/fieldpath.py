"""Field paths and field sets: who owns which part of an object (server-side apply).

A *path* is a tuple of path elements, written as Kubernetes writes them in `managedFields`
(the FieldsV1 encoding):

    f:<name>              a field of a struct or a key of a map
    k:{"name":"c"}        the element of an associative list with these key values
    v:"x"                 the element of a set (a list of scalars)
    i:3                   an element of a list that has neither keys nor set semantics

A *field set* is a Python `set` of paths. In FieldsV1 a node is a member when it has no
children, or when it carries the child `".": {}`; `to_fields_v1`/`from_fields_v1` convert.

How a value turns into paths follows the kind's schema (`kubelite.api.schema`):
structs and maps are granular (each field its own path) unless marked atomic; lists are
associative (`x-kubernetes-list-type: map`, or a strategic-merge merge key), sets, or
atomic (one leaf). This module knows nothing about managers; `apiserver/managedfields.py`
does the bookkeeping.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from kubelite.api import schema
from kubelite.api.schema import NO_PATCH_META, Node, PatchMeta

Path = tuple[str, ...]
FieldSet = set[Path]

MEMBER = "."
# Key fields that Kubernetes defaults, so an applied item without them still matches.
_KEY_DEFAULTS = {"protocol": "TCP"}


# ---- FieldsV1 encoding --------------------------------------------------------------------


def to_fields_v1(paths: Iterable[Path]) -> dict[str, Any]:
    tree: dict[str, Any] = {}
    members = set(paths)
    for path in members:
        node = tree
        for element in path:
            node = node.setdefault(element, {})
    for path in members:
        node = tree
        for element in path:
            node = node[element]
        if node and MEMBER not in node:
            node[MEMBER] = {}
    return _sorted(tree)


def _sorted(tree: dict[str, Any]) -> dict[str, Any]:
    return {k: _sorted(tree[k]) for k in sorted(tree, key=lambda k: (k != MEMBER, k))}


def from_fields_v1(tree: Any, prefix: Path = ()) -> FieldSet:
    out: FieldSet = set()
    if not isinstance(tree, dict):
        return out
    for element, child in tree.items():
        if element == MEMBER:
            if prefix:
                out.add(prefix)
            continue
        path = prefix + (element,)
        if not child:
            out.add(path)
        else:
            out |= from_fields_v1(child, path)
    return out


def path_string(path: Path) -> str:
    """`.spec.template.spec.containers[name="c"].image`, as conflicts are reported."""
    out = []
    for element in path:
        kind, _, rest = element.partition(":")
        if kind == "f":
            out.append("." + rest)
        elif kind == "k":
            keys = orjson.loads(rest)
            out.append("[" + ",".join(f"{k}={orjson.dumps(v).decode()}" for k, v in keys.items()) + "]")
        elif kind == "v":
            out.append(f"[={rest}]")
        else:
            out.append(f"[{rest}]")
    return "".join(out)


# ---- walking values with a schema ----------------------------------------------------------


def _list_kind(meta: PatchMeta) -> tuple[str, tuple[str, ...]]:
    """("map", keys) | ("set", ()) | ("atomic", ())."""
    if meta.list_type == "map" and meta.list_map_keys:
        return "map", meta.list_map_keys
    if meta.list_type in ("set", "atomic"):
        return meta.list_type, ()
    if meta.merges:
        return ("map", (meta.merge_key,)) if meta.merge_key else ("set", ())
    return "atomic", ()


def item_key(item: Any, keys: tuple[str, ...]) -> str | None:
    if not isinstance(item, dict):
        return None
    values = {}
    for k in sorted(keys):
        v = item.get(k, _KEY_DEFAULTS.get(k))
        if v is not None:
            values[k] = v
    if not values:
        return None
    return "k:" + orjson.dumps(values).decode()


def set_element(value: Any) -> str:
    return "v:" + orjson.dumps(value).decode()


def granular(node: Node | None, meta: PatchMeta, value: Any) -> str:
    """How a value is walked: "struct" (fields), "list", or "leaf"."""
    if node is None or meta.map_type == "atomic" or node.map_type == "atomic":
        return "leaf"
    if node.type in (schema.OBJECT, schema.MAP) and isinstance(value, dict):
        return "struct"
    if node.type == schema.ARRAY and isinstance(value, list):
        return "list"
    return "leaf"


def child(node: Node, name: str) -> tuple[Node | None, PatchMeta]:
    if node.type == schema.MAP:
        return node.values, NO_PATCH_META
    return node.fields.get(name), node.field_meta(name)


def list_elements(node: Node, meta: PatchMeta, value: list[Any]) -> list[tuple[str, Any]]:
    """(path element, item) for each element of a granular list."""
    kind, keys = _list_kind(meta)
    if kind == "map":
        out = []
        for i, item in enumerate(value):
            out.append((item_key(item, keys) or f"i:{i}", item))
        return out
    if kind == "set":
        return [(set_element(item), item) for item in value]
    return []


def is_atomic_list(meta: PatchMeta) -> bool:
    return _list_kind(meta)[0] == "atomic"


def leaves(
    node: Node | None,
    value: Any,
    prefix: Path = (),
    meta: PatchMeta = NO_PATCH_META,
    *,
    markers: bool = False,
) -> FieldSet:
    """The paths a value sets: leaves, plus associative-list elements themselves.

    With `markers` (what an Update records for new nodes), maps get a member mark too.
    """
    out: FieldSet = set()
    _leaves(node, value, prefix, meta, markers, out)
    return out


def _leaves(node: Node | None, value: Any, path: Path, meta: PatchMeta, markers: bool, out: FieldSet) -> None:
    how = granular(node, meta, value)
    if how == "struct":
        assert node is not None
        if path and (not value or (markers and node.type == schema.MAP)):
            out.add(path)
        for name, v in value.items():
            sub_node, sub_meta = child(node, name)
            _leaves(sub_node, v, path + ("f:" + name,), sub_meta, markers, out)
    elif how == "list":
        assert node is not None
        if is_atomic_list(meta) or not value:
            out.add(path)
            return
        for element, item in list_elements(node, meta, value):
            out.add(path + (element,))
            if element.startswith("k:"):
                _leaves(node.items, item, path + (element,), node.items_meta, markers, out)
    elif path:
        out.add(path)


def diff(
    node: Node | None, old: Any, new: Any, prefix: Path = (), meta: PatchMeta = NO_PATCH_META
) -> tuple[FieldSet, FieldSet]:
    """(changed, removed): paths added or modified from `old` to `new`, and paths removed."""
    changed: FieldSet = set()
    removed: FieldSet = set()
    _diff(node, old, new, prefix, meta, changed, removed)
    return changed, removed


MISSING = object()


def _diff(
    node: Node | None, old: Any, new: Any, path: Path, meta: PatchMeta, changed: FieldSet, removed: FieldSet
) -> None:
    if old is MISSING:
        _leaves(node, new, path, meta, True, changed)
        return
    if new is MISSING:
        _leaves(node, old, path, meta, True, removed)
        return
    how_old, how_new = granular(node, meta, old), granular(node, meta, new)
    if how_old != how_new or how_new == "leaf" or (how_new == "list" and is_atomic_list(meta)):
        if old != new:
            changed.add(path)
        return
    assert node is not None
    if how_new == "struct":
        for name in list(old) + [k for k in new if k not in old]:
            sub_node, sub_meta = child(node, name)
            _diff(
                sub_node,
                old.get(name, MISSING),
                new.get(name, MISSING),
                path + ("f:" + name,),
                sub_meta,
                changed,
                removed,
            )
        return
    _diff_list(node, old, new, path, meta, changed, removed)


def _diff_list(
    node: Node, old: Any, new: Any, path: Path, meta: PatchMeta, changed: FieldSet, removed: FieldSet
) -> None:
    """A granular list: elements keyed by merge key (`k:`) are compared field by field; set
    elements (`v:`) and positional ones are added or removed whole."""
    old_items = dict(list_elements(node, meta, old))
    new_items = dict(list_elements(node, meta, new))
    for element in list(old_items) + [e for e in new_items if e not in old_items]:
        a, b = old_items.get(element, MISSING), new_items.get(element, MISSING)
        sub = path + (element,)
        if a is MISSING:
            changed.add(sub)
        elif b is MISSING:
            removed.add(sub)
        if element.startswith("k:"):
            _diff(node.items, a, b, sub, node.items_meta, changed, removed)


def under(path: Path, paths: Iterable[Path]) -> bool:
    """True when `path` or anything below it is in `paths`."""
    n = len(path)
    return any(p[:n] == path for p in paths)
