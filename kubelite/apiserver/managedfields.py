"""managedFields: which field manager set which fields of an object, and how.

Every write records ownership in `metadata.managedFields`, one entry per manager
identity (manager name, operation, subresource, and for Update the apiVersion):

- Update (create, PUT, JSON/merge/strategic patches, scale): the fields the request
  added or changed move to the writer's entry and leave everyone else's; removed fields
  leave every entry. Nothing changed means nothing recorded.
- Apply (server-side apply, `apiserver/apply.py`): the writer's Apply entry becomes
  exactly the set its configuration names; conflicts are checked there.

Entries that own nothing disappear. A client may send managedFields back unchanged
(kubectl edit and replace do); a different list replaces the stored one, `[{}]` clears it.
Fields the server owns (name, uid, resourceVersion, ...) and the part of the object the
endpoint does not write (status on the main endpoint, everything but status on /status)
are never tracked, as in Kubernetes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from kubelite.api import fieldpath, meta, schema
from kubelite.api.fieldpath import FieldSet
from kubelite.api.resources import ResourceType

UPDATE = "Update"
APPLY = "Apply"
BEFORE_FIRST_APPLY = "before-first-apply"

_UNTRACKED_METADATA = (
    "name",
    "namespace",
    "uid",
    "resourceVersion",
    "creationTimestamp",
    "selfLink",
    "generation",
    "managedFields",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
    "generateName",
)


@dataclass(slots=True)
class Entry:
    manager: str
    operation: str
    api_version: str
    time: str
    subresource: str
    fields: FieldSet

    @property
    def identity(self) -> tuple[str, str, str, str]:
        av = "" if self.operation == APPLY else self.api_version
        return (self.manager, self.operation, self.subresource, av)

    def describe(self) -> str:
        """How conflicts name the manager: `"kubectl-edit" using apps/v1`."""
        text = f'"{self.manager}"'
        if self.subresource:
            text += f' with subresource "{self.subresource}"'
        if self.operation == UPDATE:
            text += f" using {self.api_version}"
        return text


def decode(obj: dict[str, Any] | None) -> list[Entry]:
    if not obj:
        return []
    out = []
    for raw in obj.get("metadata", {}).get("managedFields") or []:
        if not isinstance(raw, dict) or not raw.get("manager"):
            continue
        out.append(
            Entry(
                raw["manager"],
                raw.get("operation", UPDATE),
                raw.get("apiVersion", ""),
                raw.get("time", ""),
                raw.get("subresource", ""),
                fieldpath.from_fields_v1(raw.get("fieldsV1")),
            )
        )
    return out


def encode(entries: list[Entry]) -> list[dict[str, Any]]:
    kept = [e for e in entries if e.fields]
    kept.sort(key=lambda e: (e.operation, e.time, e.manager, e.api_version, e.subresource))
    out = []
    for e in kept:
        raw: dict[str, Any] = {
            "manager": e.manager,
            "operation": e.operation,
            "apiVersion": e.api_version,
            "time": e.time,
            "fieldsType": "FieldsV1",
            "fieldsV1": fieldpath.to_fields_v1(e.fields),
        }
        if e.subresource:
            raw["subresource"] = e.subresource
        out.append(raw)
    return out


def store(obj: dict[str, Any], entries: list[Entry]) -> None:
    encoded = encode(entries)
    md = obj.setdefault("metadata", {})
    if encoded:
        md["managedFields"] = encoded
    else:
        md.pop("managedFields", None)


def kind_node(rt: ResourceType) -> schema.Node | None:
    return schema.kind_schema(rt.group, rt.version, rt.kind)


def tracked(rt: ResourceType, obj: dict[str, Any] | None, subresource: str) -> dict[str, Any]:
    """The part of an object whose ownership is recorded for writes through `subresource`."""
    if not obj:
        return {}
    if subresource == "status":
        return {"status": obj["status"]} if "status" in obj else {}
    out = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
    if rt.has_subresource("status"):
        out.pop("status", None)
    md = out.get("metadata")
    if isinstance(md, dict):
        md = {k: v for k, v in md.items() if k not in _UNTRACKED_METADATA}
        if md:
            out["metadata"] = md
        else:
            out.pop("metadata")
    return out


def _base_entries(new: dict[str, Any], old: dict[str, Any] | None) -> list[Entry]:
    """The entries an update starts from: the stored ones unless the client replaced them."""
    sent = new.get("metadata", {}).get("managedFields")
    stored = (old or {}).get("metadata", {}).get("managedFields")
    if sent is None or sent == [] or sent == stored:
        return decode(old)
    if sent == [{}]:
        return []
    return decode(new)


def record_update(
    rt: ResourceType, new: dict[str, Any], old: dict[str, Any] | None, manager: str, subresource: str = ""
) -> None:
    """Update `new`'s managedFields for a non-apply write by `manager` (old None: create)."""
    entries = _base_entries(new, old)
    node = kind_node(rt)
    changed, removed = fieldpath.diff(
        node, tracked(rt, old, subresource) if old else fieldpath.MISSING, tracked(rt, new, subresource)
    )
    changed.discard(())
    if changed or removed:
        me = Entry(manager or "unknown", UPDATE, rt.api_version, meta.now_rfc3339(), subresource, set())
        mine = next((e for e in entries if e.identity == me.identity), None)
        if mine is None:
            entries.append(me)
            mine = me
        for e in entries:
            if e is not mine:
                e.fields -= changed
                e.fields -= removed
        mine.fields = (mine.fields | changed) - removed
        mine.time = me.time
    store(new, entries)


def strip_managed_fields(obj: dict[str, Any]) -> dict[str, Any]:
    out = copy.copy(obj)
    md = dict(out.get("metadata") or {})
    md.pop("managedFields", None)
    out["metadata"] = md
    return out


def default_manager(user_agent: str) -> str:
    """Kubernetes names a writer that sends no fieldManager after its User-Agent's product."""
    return user_agent.split("/", 1)[0][:128] if user_agent else "unknown"
