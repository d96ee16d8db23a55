"""Server-side apply: `PATCH` with `application/apply-patch+yaml`.

The body is a manager's whole intent for the object (its "configuration"). Applying it:

    1. the manager's new set = every field the configuration names (fieldpath.leaves)
    2. merged = live object with the configuration merged in: structs and maps by field,
       associative lists by their keys, sets by value, everything else replaced
    3. conflicts = fields whose value the merge changes and that another manager owns;
       without force=true they fail the request (409, one cause per field); with it the
       other managers lose those fields
    4. fields the manager applied last time but not now are removed from the object,
       unless another manager still owns them
    5. the manager's Apply entry becomes the new set

A missing object is created from the configuration (201). An object that has never been
written with managedFields gets a `before-first-apply` owner for everything it holds, so
the first apply over a hand-made object reports conflicts as Kubernetes does.
"""

from __future__ import annotations

import copy
from typing import Any

from kubelite.api import errors, fieldpath, meta
from kubelite.api.fieldpath import FieldSet, Path
from kubelite.api.resources import ResourceType
from kubelite.api.schema import NO_PATCH_META, Node, PatchMeta
from kubelite.apiserver import managedfields as mf


def check_request(config: Any, manager: str) -> dict[str, Any]:
    if not manager:
        raise errors.Invalid(
            'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: '
            "is required for apply patch",
            details={
                "group": "meta.k8s.io",
                "kind": "PatchOptions",
                "causes": [
                    {
                        "reason": "FieldValueRequired",
                        "field": "fieldManager",
                        "message": "Required value: is required for apply patch",
                    }
                ],
            },
        )
    if not isinstance(config, dict):
        raise errors.BadRequest("error decoding YAML: an apply patch must be an object")
    if not isinstance(config.get("metadata", {}), dict):
        raise errors.BadRequest("metadata must be an object")
    config.setdefault("metadata", {})
    return config


def apply(
    rt: ResourceType,
    live: dict[str, Any] | None,
    config: dict[str, Any],
    *,
    manager: str,
    force: bool,
    subresource: str = "",
) -> dict[str, Any]:
    """The object after `manager` applies `config` to `live` (None: the object is new)."""
    node = mf.kind_node(rt)
    entries = mf.decode(live)
    if live is not None and not entries:
        owned = fieldpath.leaves(node, mf.tracked(rt, live, ""), markers=True)
        entries = [mf.Entry(mf.BEFORE_FIRST_APPLY, mf.UPDATE, rt.api_version, meta.now_rfc3339(), "", owned)]
    new_set = fieldpath.leaves(node, mf.tracked(rt, config, subresource))
    base = mf.strip_managed_fields(live) if live is not None else {}
    merged: dict[str, Any] = merge(node, NO_PATCH_META, base, _without_managed_fields(config))
    changed, _ = fieldpath.diff(node, mf.tracked(rt, base, subresource), mf.tracked(rt, merged, subresource))
    me = mf.Entry(manager, mf.APPLY, rt.api_version, meta.now_rfc3339(), subresource, set())
    mine = next((e for e in entries if e.identity == me.identity), None)
    others = [e for e in entries if e is not mine]
    contested = changed & new_set
    conflicts = [(e, p) for e in others for p in sorted(contested & e.fields)]
    if conflicts and not force:
        raise conflict_error(rt, meta.name_of(merged), conflicts)
    for e in others:
        e.fields -= contested
    previous = mine.fields if mine is not None else set()
    for path in sorted(previous - new_set, key=len):
        # Kept while anyone, the applier included, still owns it or something below it.
        if not fieldpath.under(path, new_set) and not any(fieldpath.under(path, e.fields) for e in others):
            remove_path(node, merged, path)
    if mine is None:
        entries.append(me)
        mine = me
    mine.fields, mine.time, mine.api_version = new_set, me.time, rt.api_version
    mf.store(merged, entries)
    return merged


def _without_managed_fields(config: dict[str, Any]) -> dict[str, Any]:
    return mf.strip_managed_fields(config) if "managedFields" in config.get("metadata", {}) else config


# ---- merging --------------------------------------------------------------------------------


def merge(node: Node | None, meta_: PatchMeta, live: Any, config: Any) -> Any:
    how = fieldpath.granular(node, meta_, config)
    if how == "struct" and isinstance(live, dict):
        assert node is not None
        out = dict(live)
        for name, value in config.items():
            if value is None:
                out.pop(name, None)
            elif name in live:
                sub_node, sub_meta = fieldpath.child(node, name)
                out[name] = merge(sub_node, sub_meta, live[name], value)
            else:
                out[name] = copy.deepcopy(value)
        return out
    if how == "list" and isinstance(live, list) and not fieldpath.is_atomic_list(meta_):
        assert node is not None
        return _merge_list(node, meta_, live, config)
    return copy.deepcopy(config)


def _merge_list(node: Node, meta_: PatchMeta, live: list[Any], config: list[Any]) -> list[Any]:
    live_elements = fieldpath.list_elements(node, meta_, live)
    out = list(live)
    index = {element: i for i, (element, _) in enumerate(live_elements)}
    for element, item in fieldpath.list_elements(node, meta_, config):
        if element in index:
            i = index[element]
            if element.startswith("k:"):
                out[i] = merge(node.items, node.items_meta, out[i], item)
        else:
            index[element] = len(out)
            out.append(copy.deepcopy(item))
    return out


def remove_path(node: Node | None, obj: Any, path: Path) -> None:
    """Delete what `path` names from `obj`, and containers the deletion leaves empty."""
    if not path:
        return
    element, rest = path[0], path[1:]
    kind, _, name = element.partition(":")
    if kind == "f" and isinstance(obj, dict) and name in obj:
        sub_node, sub_meta = fieldpath.child(node, name) if node is not None else (None, NO_PATCH_META)
        if not rest:
            del obj[name]
            return
        target = obj[name]
        if isinstance(target, list) and sub_node is not None:
            _remove_in_list(sub_node, sub_meta, target, rest)
        else:
            remove_path(sub_node, target, rest)
        if target in ({}, []):
            del obj[name]


def _remove_in_list(node: Node, meta_: PatchMeta, items: list[Any], path: Path) -> None:
    for i, (element, item) in enumerate(fieldpath.list_elements(node, meta_, items)):
        if element != path[0]:
            continue
        if len(path) == 1:
            del items[i]
        else:
            remove_path(node.items, item, path[1:])
        return


# ---- conflicts ------------------------------------------------------------------------------


def conflict_error(rt: ResourceType, name: str, conflicts: list[tuple[mf.Entry, Path]]) -> errors.Conflict:
    causes = [
        {
            "reason": "FieldManagerConflict",
            "message": f"conflict with {e.describe()}",
            "field": fieldpath.path_string(p),
        }
        for e, p in conflicts
    ]
    if len(conflicts) == 1:
        e, p = conflicts[0]
        message = f"Apply failed with 1 conflict: conflict with {e.describe()}: {fieldpath.path_string(p)}"
    else:
        by_manager: dict[str, list[Path]] = {}
        for e, p in conflicts:
            by_manager.setdefault(e.describe(), []).append(p)
        lines = []
        for who in sorted(by_manager):
            lines.append(f"conflicts with {who}:")
            lines.extend(f"- {fieldpath.path_string(p)}" for p in by_manager[who])
        message = f"Apply failed with {len(conflicts)} conflicts: " + "\n".join(lines)
    details: dict[str, Any] = {"name": name, "kind": rt.plural, "causes": causes}
    if rt.group:
        details["group"] = rt.group
    return errors.Conflict(message, details=details)


def owned_paths(entries: list[mf.Entry]) -> FieldSet:
    out: FieldSet = set()
    for e in entries:
        out |= e.fields
    return out
