"""From the endpoints a Service should have to the EndpointSlices that hold them, with little churn.

    desired: {ports of the pods → [endpoints]}        existing: the slices we manage
                         │                                      │
                         └─────────────── plan ─────────────────┘
        per port set:  an existing slice keeps the endpoints it has that are still wanted
                       (changed ones updated in place), drops the others; an emptied slice
                       is deleted; the endpoints left go first into slices already being
                       updated that have room, then, if they all fit, into the fullest
                       slice that has room for them, else into new slices of at most
                       `max_per_slice` (100)
        port sets no longer wanted: their slices are deleted
        nothing wanted at all: one empty placeholder slice remains, so readers see the
                       Service has been looked at

Both the EndpointSlice controller and the mirroring controller plan this way; they differ
in what they want and in the labels they write.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field

from kubelite.api import errors
from kubelite.api.types import Object
from kubelite.client.resource import ResourceClient
from kubelite.client.store import Lister


@dataclass(slots=True)
class Plan:
    create: list[Object] = field(default_factory=list)
    update: list[Object] = field(default_factory=list)
    delete: list[Object] = field(default_factory=list)

    def empty(self) -> bool:
        return not (self.create or self.update or self.delete)


def ports_key(ports: list[Object] | None) -> str:
    return json.dumps(sorted(ports or [], key=lambda p: json.dumps(p, sort_keys=True)), sort_keys=True)


def endpoint_key(ep: Object) -> str:
    ref = ep.get("targetRef") or {}
    return ref.get("uid") or ",".join(sorted(ep.get("addresses") or []))


def is_placeholder(s: Object) -> bool:
    return not s.get("endpoints") and not s.get("ports")


@dataclass(slots=True)
class SliceTemplate:
    """What every slice of one Service carries: metadata (labels, owner, generateName) and type."""

    metadata: Object
    address_type: str

    def new(self, ports: list[Object] | None, endpoints: list[Object]) -> Object:
        s: Object = {
            "apiVersion": "discovery.k8s.io/v1",
            "kind": "EndpointSlice",
            "metadata": copy.deepcopy(self.metadata),
            "addressType": self.address_type,
            "endpoints": endpoints,
        }
        if ports is not None:
            s["ports"] = ports
        return s


def _needs_update(s: Object, template: SliceTemplate) -> bool:
    md = s["metadata"]
    want = template.metadata
    return (md.get("labels") or {}) != (want.get("labels") or {}) or (md.get("annotations") or {}) != (
        want.get("annotations") or {}
    )


def _with(s: Object, template: SliceTemplate, endpoints: list[Object]) -> Object:
    new = copy.deepcopy(s)
    new["endpoints"] = endpoints
    new["metadata"]["labels"] = dict(template.metadata.get("labels") or {})
    annotations = dict(template.metadata.get("annotations") or {})
    if annotations:
        new["metadata"]["annotations"] = annotations
    else:
        new["metadata"].pop("annotations", None)
    return new


def plan(
    existing: list[Object],
    desired: dict[str, tuple[list[Object] | None, list[Object]]],
    template: SliceTemplate,
    max_per_slice: int,
    *,
    placeholder: bool = True,
) -> Plan:
    """`desired`: ports_key → (ports, endpoints) for this address type; `existing`: our slices.
    `placeholder`: keep an empty slice when nothing is wanted (the mirroring controller: no)."""
    result = Plan()
    mine = [s for s in existing if s.get("addressType") == template.address_type]
    result.delete += [s for s in existing if s.get("addressType") != template.address_type]
    by_ports: dict[str, list[Object]] = {}
    placeholders = []
    for s in mine:
        if is_placeholder(s):
            placeholders.append(s)
        else:
            by_ports.setdefault(ports_key(s.get("ports")), []).append(s)
    for key, slices in by_ports.items():
        if key not in desired:
            result.delete += slices
    untouched = 0
    for key, (ports, endpoints) in desired.items():
        untouched += _plan_ports(result, by_ports.get(key, []), ports, endpoints, template, max_per_slice)
    if placeholder:
        _placeholder(result, placeholders, template, others=bool(result.create or result.update or untouched))
    else:
        result.delete += placeholders
    return result


def _plan_ports(
    result: Plan,
    slices: list[Object],
    ports: list[Object] | None,
    endpoints: list[Object],
    template: SliceTemplate,
    max_per_slice: int,
) -> int:
    """Plan one port set's slices; the number of existing slices left as they are."""
    wanted = {endpoint_key(ep): ep for ep in endpoints}
    updating: list[Object] = []
    untouched: list[Object] = []
    for s in slices:
        kept = [wanted.pop(endpoint_key(ep)) for ep in s.get("endpoints") or [] if endpoint_key(ep) in wanted]
        if not kept:
            result.delete.append(s)
        elif kept != (s.get("endpoints") or []) or _needs_update(s, template):
            updating.append(_with(s, template, kept))
        else:
            untouched.append(s)
    left = list(wanted.values())
    for s in updating:
        room = max_per_slice - len(s["endpoints"])
        if room > 0 and left:
            s["endpoints"] += left[:room]
            left = left[room:]
    # What is left fits one slice no write touched yet? Then into the fullest that fits it.
    fits = [s for s in untouched if left and len(s.get("endpoints") or []) + len(left) <= max_per_slice]
    if fits:
        fullest = max(fits, key=lambda s: len(s.get("endpoints") or []))
        untouched.remove(fullest)
        updating.append(_with(fullest, template, list(fullest.get("endpoints") or []) + left))
        left = []
    result.update += updating
    for start in range(0, len(left), max_per_slice):
        result.create.append(template.new(ports, left[start : start + max_per_slice]))
    return len(untouched)


def _placeholder(result: Plan, placeholders: list[Object], template: SliceTemplate, *, others: bool) -> None:
    """Keep exactly one empty slice when the Service would otherwise have none."""
    if others:
        result.delete += placeholders
        return
    if placeholders:
        result.delete += placeholders[1:]
        if _needs_update(placeholders[0], template):
            result.update.append(_with(placeholders[0], template, []))
        return
    result.create.append(template.new(None, []))


class SliceWriter:
    """Writes plans, and remembers them until the slice cache shows them.

    A slice created with generateName is only in the cache once its watch event arrives; a
    sync planned before that would create it again. So each write is remembered (name →
    resourceVersion written, "" for a deletion) per owner key until the cache has caught
    up, and `stale(key)` tells the sync to wait for the event (which enqueues the key again).
    """

    def __init__(self, slices: ResourceClient, lister: Lister) -> None:
        self.slices = slices
        self.lister = lister
        self.expected: dict[str, dict[str, str]] = {}

    def stale(self, key: str, namespace: str) -> bool:
        waiting = self.expected.get(key)
        if not waiting:
            return False
        for name, rv in list(waiting.items()):
            cached = self.lister.get(name, namespace)
            if rv == "" and cached is None:
                del waiting[name]
            elif rv and cached is not None and int(cached["metadata"]["resourceVersion"]) >= int(rv):
                del waiting[name]
        if not waiting:
            del self.expected[key]
        return bool(waiting)

    async def apply(self, key: str, p: Plan, namespace: str) -> None:
        waiting = self.expected.setdefault(key, {})
        try:
            for s in p.create:
                made = await self.slices.create(s, namespace=namespace)
                waiting[made["metadata"]["name"]] = made["metadata"]["resourceVersion"]
            for s in p.update:
                written = await self.slices.update(s, namespace=namespace)
                waiting[written["metadata"]["name"]] = written["metadata"]["resourceVersion"]
            for s in p.delete:
                try:
                    await self.slices.delete(s["metadata"]["name"], namespace=namespace)
                except errors.NotFound:
                    pass
                waiting[s["metadata"]["name"]] = ""
        except errors.Forbidden as err:
            causes = (err.details or {}).get("causes") or []
            if not any(c.get("reason") == "NamespaceTerminating" for c in causes):
                raise
        finally:
            if not waiting:
                self.expected.pop(key, None)
