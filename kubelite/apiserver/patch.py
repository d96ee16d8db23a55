"""PATCH bodies: JSON patch (RFC 6902), JSON merge patch (RFC 7386), strategic merge patch.

Strategic merge patch merges lists by the key Kubernetes declares for them
(`x-kubernetes-patch-merge-key`), read from the kind's schema, and honours the
`$patch`, `$retainKeys`, `$setElementOrder/` and `$deleteFromPrimitiveList/` directives.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import jsonpatch

from kubelite.api import errors
from kubelite.api.mergepatch import merge_patch
from kubelite.api.resources import ResourceType

JSON_PATCH = "application/json-patch+json"
MERGE_PATCH = "application/merge-patch+json"
STRATEGIC_MERGE_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
PATCH_TYPES = (JSON_PATCH, MERGE_PATCH, STRATEGIC_MERGE_PATCH)

# path (tuple of field names, list items skipped) -> (strategy, merge key)
PatchMetaLookup = Callable[[tuple[str, ...]], tuple[str, str]]


def pinned_resource_version(ptype: str, patch: Any) -> str:
    """A resourceVersion the patch sets turns it into a conditional update (409 if stale)."""
    if ptype in (MERGE_PATCH, STRATEGIC_MERGE_PATCH) and isinstance(patch, dict):
        md = patch.get("metadata")
        if isinstance(md, dict) and isinstance(rv := md.get("resourceVersion"), str):
            return rv
    return ""


def apply_patch(ptype: str, current: dict[str, Any], patch: Any, rt: ResourceType | None) -> Any:
    if ptype == JSON_PATCH:
        return apply_json_patch(current, patch)
    if ptype == MERGE_PATCH:
        if not isinstance(patch, dict):
            raise errors.BadRequest("a merge patch must be a JSON object")
        return merge_patch(current, patch)
    if ptype == STRATEGIC_MERGE_PATCH:
        if not isinstance(patch, dict):
            raise errors.BadRequest("a strategic merge patch must be a JSON object")
        if rt is None:
            return merge_patch(current, patch)
        return strategic_merge(current, patch, patch_meta_for(rt))
    raise errors.UnsupportedMediaType(f"unsupported patch type {ptype}")


def apply_json_patch(current: dict[str, Any], ops: Any) -> Any:
    if not isinstance(ops, list):
        raise errors.BadRequest("a JSON patch must be a list of operations")
    try:
        return jsonpatch.JsonPatch(ops).apply(current)
    except jsonpatch.JsonPatchTestFailed:
        failed = next(
            (
                op.get("path", "")
                for op in ops
                if isinstance(op, dict) and op.get("op") == "test" and not _test_passes(current, op)
            ),
            "",
        )
        raise errors.Invalid(
            "the server rejected our request due to an error in our request",
            details={
                "causes": [
                    {
                        "reason": "UnexpectedServerResponse",
                        "message": f"testing value {failed} failed: test failed",
                    }
                ]
            },
        ) from None
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError, KeyError) as err:
        raise errors.Invalid(
            f"the server rejected our request due to an error in our request: {err}", details={}
        ) from None


def _test_passes(doc: Any, op: dict[str, Any]) -> bool:
    try:
        jsonpatch.JsonPatch([op]).apply(doc)
        return True
    except (jsonpatch.JsonPatchException, jsonpatch.JsonPointerException, TypeError, KeyError):
        return False


# ---- strategic merge -------------------------------------------------------------------


def patch_meta_for(rt: ResourceType) -> PatchMetaLookup:
    try:
        from kubelite.api import schema
    except ImportError:  # pragma: no cover - schema module ships with the package
        return _no_meta
    lookup = getattr(schema, "patch_strategy", None)
    if lookup is None:
        return _no_meta

    def meta(path: tuple[str, ...]) -> tuple[str, str]:
        strategy, key = lookup(rt.group, rt.version, rt.kind, path)
        return str(strategy), str(key)

    return meta


def _no_meta(path: tuple[str, ...]) -> tuple[str, str]:
    return ("", "")


def strategic_merge(
    current: Any, patch: dict[str, Any], meta: PatchMetaLookup, path: tuple[str, ...] = ()
) -> Any:
    if not isinstance(current, dict):
        current = {}
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if directive == "delete":
        return None
    out = dict(current)
    retain = patch.get("$retainKeys")
    for k, v in patch.items():
        if k.startswith("$setElementOrder/") or k in ("$patch", "$retainKeys"):
            continue
        if k.startswith("$deleteFromPrimitiveList/"):
            field = k.split("/", 1)[1]
            if isinstance(out.get(field), list) and isinstance(v, list):
                out[field] = [x for x in out[field] if x not in v]
            continue
        _merge_field(out, k, v, patch, meta, path + (k,))
    if isinstance(retain, list):
        out = {k: v for k, v in out.items() if k in retain}
    return out


def _merge_field(
    out: dict[str, Any], k: str, v: Any, patch: dict[str, Any], meta: PatchMetaLookup, sub: tuple[str, ...]
) -> None:
    """Merge the patch's value `v` of field `k` into `out`: null deletes, maps merge
    recursively, lists merge by their strategy (then take `$setElementOrder`), values replace."""
    if v is None:
        out.pop(k, None)
    elif isinstance(v, dict):
        merged = strategic_merge(out.get(k), v, meta, sub)
        if merged is None:
            out.pop(k, None)
        else:
            out[k] = merged
    elif isinstance(v, list):
        original = out.get(k)
        merged = _merge_list(original, v, meta, sub)
        strategy, key = meta(sub)
        if "merge" in strategy.split(","):
            order = patch.get(f"$setElementOrder/{k}")
            order = order if isinstance(order, list) else v
            merged = _element_order(merged, order, original if isinstance(original, list) else [], key)
        out[k] = merged
    else:
        out[k] = copy.deepcopy(v)


def _merge_list(current: Any, patch: list[Any], meta: PatchMetaLookup, path: tuple[str, ...]) -> list[Any]:
    strategy, key = meta(path)
    if "merge" not in strategy.split(","):
        # Atomic list: replaced whole (directives inside are dropped).
        if any(isinstance(x, dict) and x.get("$patch") == "replace" for x in patch):
            return [x for x in patch if not (isinstance(x, dict) and "$patch" in x)]
        return copy.deepcopy(patch)
    cur = list(current) if isinstance(current, list) else []
    if any(isinstance(x, dict) and x.get("$patch") == "replace" for x in patch):
        return [copy.deepcopy(x) for x in patch if not (isinstance(x, dict) and "$patch" in x)]
    if not key:  # list of primitives merged as a set union, live order first
        out = list(cur)
        for x in patch:
            if x not in out:
                out.append(copy.deepcopy(x))
        return out
    out = [copy.deepcopy(x) for x in cur]
    index = {x.get(key): i for i, x in enumerate(out) if isinstance(x, dict)}
    deleted: set[Any] = set()
    for item in patch:
        if not isinstance(item, dict):
            continue
        k = item.get(key)
        if item.get("$patch") == "delete":
            deleted.add(k)
            continue
        if k in index:
            merged = strategic_merge(out[index[k]], item, meta, path)
            out[index[k]] = merged
        else:
            clean = strategic_merge({}, item, meta, path)
            index[k] = len(out)
            out.append(clean)
    return [x for x in out if not (isinstance(x, dict) and x.get(key) in deleted)]


def _element_order(merged: list[Any], order: list[Any], original: list[Any], key: str) -> list[Any]:
    """The order Kubernetes gives a merged list: the items the patch names (or its
    `$setElementOrder` names) in the patch's order, the live object's other items in their
    live order, the two interleaved by their live positions where both have one; an item
    that is new to the list goes before a live-only item it cannot be compared with."""

    def ident(x: Any) -> Any:
        if key:
            return repr(x.get(key)) if isinstance(x, dict) else None
        return repr(x)

    order_pos: dict[Any, int] = {}
    for i, x in enumerate(order):
        if not (key and isinstance(x, dict) and "$patch" in x):
            order_pos.setdefault(ident(x), i)
    live_pos: dict[Any, int] = {}
    for i, x in enumerate(original):
        live_pos.setdefault(ident(x), i)
    named = sorted((x for x in merged if ident(x) in order_pos), key=lambda x: order_pos[ident(x)])
    live_only = sorted(
        (x for x in merged if ident(x) not in order_pos), key=lambda x: live_pos.get(ident(x), -1)
    )
    out: list[Any] = []
    i = j = 0
    while i < len(live_only) and j < len(named):
        li, ni = live_pos.get(ident(live_only[i]), -1), live_pos.get(ident(named[j]), -1)
        if li >= 0 and ni >= 0 and li < ni:
            out.append(live_only[i])
            i += 1
        else:
            out.append(named[j])
            j += 1
    return out + live_only[i:] + named[j:]
