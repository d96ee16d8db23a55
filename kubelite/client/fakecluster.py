"""An in-memory API server behind the client's interfaces, for controller tests in virtual time.

`FakeCluster` keeps objects per resource and answers the verbs a `ResourceClient` offers
(get, list, watch, create, update, patch, delete, delete_collection) with the semantics
controllers depend on, so informers, workqueues and reconcile loops run on it unchanged:

- every write takes the next cluster-wide revision as the object's resourceVersion;
  an update carrying a stale resourceVersion (or a patch pinning one) is a 409 Conflict;
- create fills uid, creationTimestamp and generateName's random suffix; `generation`
  starts at 1 and moves on spec changes for the workload kinds; objects whose resource
  has a `status` subresource keep their status on main-endpoint writes, and `/status`
  writes change only the status;
- delete honours preconditions and propagationPolicy (`orphan` / `foregroundDeletion`
  finalizers, as the API server records them); an object with finalizers, or a pod bound
  to a node, is only marked (deletionTimestamp) and goes when its last finalizer is
  removed or it is deleted again with grace 0; namespaces carry the `kubernetes`
  finalizer in spec.finalizers, released through `/finalize`, and refuse new objects
  while they terminate;
- watches replay the log from a resourceVersion, then stream changes; label and simple
  field selectors filter lists and watches.

Tests inspect `actions` (every call, in order), read objects with `get_object`, and make
calls fail with `fail(...)` (an admission refusal, an unreachable server). Time comes from
the injected clock; nothing here sleeps. Discovery answers the built-in catalogue plus
whatever `add_resource` registered.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import random
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import jsonpatch

from kubelite.api import errors
from kubelite.api.mergepatch import merge_patch
from kubelite.api.meta import format_wall
from kubelite.api.resources import default_catalog
from kubelite.api.selectors.fields import parse_field_selector
from kubelite.api.selectors.grammar import parse_label_selector
from kubelite.api.types import Object
from kubelite.client.discovery import DiscoveryResult, ServerResource
from kubelite.client.resource import APIResource, PatchType, ResourceClient, find_resource
from kubelite.client.watch import EventType, WatchEvent
from kubelite.util.clock import Clock, FakeClock

Objects = list[Object]  # `list[...]` inside FakeResourceClient would name its list method

# Kinds whose metadata.generation moves with their spec (the API server's strategies).
GENERATION_KINDS = frozenset(
    {
        ("apps", "Deployment"),
        ("apps", "ReplicaSet"),
        ("apps", "StatefulSet"),
        ("apps", "DaemonSet"),
        ("", "ReplicationController"),
        ("batch", "Job"),
        ("batch", "CronJob"),
        ("policy", "PodDisruptionBudget"),
    }
)
# List fields a strategic merge patch merges by key instead of replacing.
_MERGE_KEYS = {"ownerReferences": "uid", "conditions": "type", "containers": "name", "env": "name"}
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
ORPHAN, FOREGROUND = "orphan", "foregroundDeletion"
# Metadata a `/status` write may not change, per kind.
_STATUS_KEEPS_METADATA = {
    ("apps", "Deployment"): ("labels",),
    ("apps", "ReplicaSet"): ("labels",),
    ("apps", "StatefulSet"): ("labels",),
    ("apps", "DaemonSet"): ("labels",),
    ("", "Pod"): ("ownerReferences",),
}
# Metadata only the server sets: writes cannot change it.
_SERVER_METADATA = (
    "uid",
    "creationTimestamp",
    "namespace",
    "name",
    "deletionTimestamp",
    "deletionGracePeriodSeconds",
)


@dataclass(slots=True, frozen=True)
class Action:
    verb: str
    plural: str
    namespace: str
    name: str
    subresource: str = ""
    body: Any = None


@dataclass(slots=True)
class _Failure:
    verb: str
    plural: str
    error: Exception
    times: int | None
    when: Callable[[Action], bool]


@dataclass(slots=True)
class _Store:
    resource: APIResource
    status_subresource: bool
    objects: dict[tuple[str, str], Object] = field(default_factory=dict)
    log: list[tuple[int, EventType, Object]] = field(default_factory=list)
    watchers: list[_Watcher] = field(default_factory=list)


@dataclass(slots=True)
class _Watcher:
    namespace: str | None
    matches: Callable[[Object], bool]
    queue: asyncio.Queue[WatchEvent | None] = field(default_factory=asyncio.Queue)


class FakeCluster:
    def __init__(self, clock: Clock | None = None, *, seed: int = 0) -> None:
        self.clock = clock or FakeClock()
        self.revision = 0
        self.actions: list[Action] = []
        self._rng = random.Random(seed)
        self._stores: dict[tuple[str, str], _Store] = {}
        self._failures: list[_Failure] = []
        self._catalog = default_catalog()
        self._extra: list[tuple[APIResource, tuple[str, ...]]] = []
        self._held: list[tuple[_Watcher, WatchEvent]] | None = None

    def client(self, namespace: str = "default") -> FakeClient:
        return FakeClient(self, namespace)

    # ---- test controls ----

    def fail(
        self,
        verb: str,
        plural: str,
        error: Exception,
        *,
        times: int | None = None,
        when: Callable[[Action], bool] | None = None,
    ) -> None:
        """Make `verb` on `plural` ("*" for any) raise `error` (`times` times, or always)."""
        self._failures.append(_Failure(verb, plural, error, times, when or (lambda a: True)))

    def clear_failures(self) -> None:
        self._failures.clear()

    def add_resource(self, resource: APIResource, verbs: tuple[str, ...] = ("*",)) -> None:
        """Serve a resource the built-in catalogue lacks (a custom resource)."""
        self._extra.append((resource, verbs))

    def calls(self, verb: str | None = None, plural: str | None = None) -> list[Action]:
        return [
            a
            for a in self.actions
            if (verb is None or a.verb == verb) and (plural is None or a.plural == plural)
        ]

    def get_object(self, plural: str, name: str, namespace: str = "", *, group: str = "") -> Object | None:
        store = self._store(find_resource(plural, group=group))
        obj = store.objects.get((namespace if store.resource.namespaced else "", name))
        return copy.deepcopy(obj) if obj is not None else None

    def objects(self, plural: str, namespace: str | None = None, *, group: str = "") -> list[Object]:
        store = self._store(find_resource(plural, group=group))
        return [
            copy.deepcopy(o)
            for (ns, _), o in sorted(store.objects.items())
            if namespace is None or ns == namespace
        ]

    async def discover(self) -> DiscoveryResult:
        """Every served resource with its verbs: the first-listed version of each built-in
        one, then the added ones (what `kubelite.client.discovery.discover` reads)."""
        seen: set[tuple[str, str]] = set()
        out = DiscoveryResult()
        for rt in self._catalog:
            if (rt.group, rt.plural) in seen:
                continue
            seen.add((rt.group, rt.plural))
            out.resources.append(ServerResource(APIResource.from_type(rt), frozenset(rt.verbs)))
        out.resources += [ServerResource(r, frozenset(v)) for r, v in self._extra]
        return out

    def hold_watches(self) -> None:
        """Stop delivering watch events (a lagging cache) until `release_watches()`."""
        if self._held is None:
            self._held = []

    def release_watches(self) -> None:
        held, self._held = self._held or [], None
        for watcher, event in held:
            watcher.queue.put_nowait(event)

    def pending_events(self) -> int:
        """Watch events queued but not yet read by their watchers."""
        return sum(w.queue.qsize() for store in self._stores.values() for w in store.watchers)

    # ---- internals shared by the resource clients ----

    def _store(self, resource: APIResource) -> _Store:
        key = (resource.group, resource.plural)
        store = self._stores.get(key)
        if store is None:
            rt = self._catalog.get(resource.group, resource.version, resource.plural)
            store = _Store(resource, rt is not None and rt.has_subresource("status"))
            self._stores[key] = store
        return store

    def _record(self, action: Action) -> None:
        self.actions.append(action)
        for f in list(self._failures):
            if f.verb in ("*", action.verb) and f.plural in ("*", action.plural) and f.when(action):
                if f.times is not None:
                    f.times -= 1
                    if f.times <= 0:
                        self._failures.remove(f)
                raise copy.copy(f.error).with_traceback(None)

    def _next_revision(self) -> int:
        self.revision += 1
        return self.revision

    def _emit(self, store: _Store, kind: EventType, obj: Object) -> None:
        rev = int(obj["metadata"]["resourceVersion"])
        snapshot = copy.deepcopy(obj)
        store.log.append((rev, kind, snapshot))
        for w in store.watchers:
            if _visible(w, snapshot):
                event = WatchEvent(kind, copy.deepcopy(snapshot))
                if self._held is not None:
                    self._held.append((w, event))
                else:
                    w.queue.put_nowait(event)

    def _uid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _suffix(self) -> str:
        return "".join(self._rng.choice(_NAME_ALPHABET) for _ in range(5))

    def now(self) -> str:
        return format_wall(self.clock.wall())

    def _namespace_terminating(self, namespace: str) -> bool:
        ns = self._store(find_resource("namespaces")).objects.get(("", namespace))
        return ns is not None and bool(ns["metadata"].get("deletionTimestamp"))


def _visible(w: _Watcher, obj: Object) -> bool:
    if w.namespace and obj["metadata"].get("namespace") != w.namespace:
        return False
    return w.matches(obj)


def _fields_of(obj: Object) -> dict[str, str]:
    md, spec, status = obj.get("metadata") or {}, obj.get("spec") or {}, obj.get("status") or {}
    fields = {"metadata.name": md.get("name", ""), "metadata.namespace": md.get("namespace", "")}
    if isinstance(spec, dict) and "nodeName" in spec or obj.get("kind") == "Pod":
        fields["spec.nodeName"] = spec.get("nodeName", "")
    if isinstance(status, dict):
        fields["status.phase"] = status.get("phase", "")
    return fields


def _matcher(label_selector: Any, field_selector: str | None) -> Callable[[Object], bool]:
    if isinstance(label_selector, dict):
        label_selector = ",".join(f"{k}={v}" for k, v in label_selector.items())
    labels = parse_label_selector(label_selector) if label_selector else None
    fields = parse_field_selector(field_selector) if field_selector else None

    def matches(obj: Object) -> bool:
        if labels is not None and not labels.matches(obj["metadata"].get("labels") or {}):
            return False
        return fields is None or fields.matches(_fields_of(obj))

    return matches


def strategic_merge(target: Any, patch: Any) -> Any:
    """A strategic merge patch for the lists controllers patch (ownerReferences by uid,
    conditions by type, containers and env by name, each honouring `$patch: delete`);
    everything else merges as a JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = copy.deepcopy(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, list) and k in _MERGE_KEYS:
            out[k] = _merge_keyed_list(out.get(k) or [], v, _MERGE_KEYS[k])
        else:
            out[k] = strategic_merge(out.get(k), v)
    return out


def _merge_keyed_list(current: list[Object], patch: list[Object], key: str) -> list[Object]:
    items = [copy.deepcopy(i) for i in current]
    for p in patch:
        index = next((n for n, i in enumerate(items) if i.get(key) == p.get(key)), None)
        if p.get("$patch") == "delete":
            if index is not None:
                items.pop(index)
        elif index is None:
            items.append(copy.deepcopy(p))
        else:
            items[index] = strategic_merge(items[index], p)
    return items


class FakeClient:
    """What a component gets instead of a `Client`: `resource(...)` answers from the cluster."""

    def __init__(self, cluster: FakeCluster, namespace: str = "default") -> None:
        self.cluster = cluster
        self.namespace = namespace

    def resource(self, plural: str, *, group: str = "", version: str | None = None) -> ResourceClient:
        return FakeResourceClient(self, find_resource(plural, group=group, version=version))

    def for_resource(self, resource: APIResource) -> ResourceClient:
        return FakeResourceClient(self, resource)

    def derive(self, *, user_agent: str, qps: float, burst: int) -> FakeClient:
        """Another client of the same cluster (rate limits do not apply in virtual time)."""
        return FakeClient(self.cluster, self.namespace)


class FakeResourceClient(ResourceClient):
    def __init__(self, client: FakeClient, resource: APIResource) -> None:
        self.client = client  # type: ignore[assignment]
        self.resource = resource
        self.cluster = client.cluster
        self.store = self.cluster._store(resource)

    # ---- helpers ----

    def _key(self, name: str, namespace: str | None) -> tuple[str, str]:
        return (self._ns(namespace) or "", name)

    async def _act(
        self, verb: str, namespace: str | None, name: str, sub: str | None = None, body: Any = None
    ) -> None:
        """Record the call (maybe failing it), and yield to the event loop once, as a
        request over the network would: a loop of calls can never starve other tasks."""
        await asyncio.sleep(0)
        self.cluster._record(
            Action(
                verb, self.resource.plural, self._ns(namespace) or "", name, sub or "", copy.deepcopy(body)
            )
        )

    def _current(self, name: str, namespace: str | None) -> Object:
        obj = self.store.objects.get(self._key(name, namespace))
        if obj is None:
            raise errors.not_found(self.resource.plural, self.resource.group, name)
        return obj

    def _write(self, obj: Object, kind: EventType) -> Object:
        md = obj["metadata"]
        md["resourceVersion"] = str(self.cluster._next_revision())
        key = (md.get("namespace", "") if self.resource.namespaced else "", md["name"])
        if kind is EventType.DELETED:
            self.store.objects.pop(key, None)
        else:
            self.store.objects[key] = obj
        self.cluster._emit(self.store, kind, obj)
        return copy.deepcopy(obj)

    def _has_generation(self) -> bool:
        return (self.resource.group, self.resource.kind) in GENERATION_KINDS

    # ---- reads ----

    async def get(self, name: str, *, namespace: str | None = None, subresource: str | None = None) -> Object:
        await self._act("get", namespace, name, subresource)
        return copy.deepcopy(self._current(name, namespace))

    async def list(
        self,
        *,
        namespace: str | None = None,
        label_selector: str | dict[str, str] | None = None,
        field_selector: str | None = None,
        **_: Any,
    ) -> Object:
        await self._act("list", namespace, "")
        matches = _matcher(label_selector, field_selector)
        items = [
            copy.deepcopy(o)
            for (ns, _), o in sorted(self.store.objects.items())
            if (not namespace or ns == namespace) and matches(o)
        ]
        return {
            "kind": self.resource.kind + "List",
            "apiVersion": self.resource.api_version,
            "metadata": {"resourceVersion": str(self.cluster.revision)},
            "items": items,
        }

    async def list_all(self, *, page_size: int = 500, **kwargs: Any) -> tuple[Objects, str]:
        page = await self.list(**kwargs)
        return page["items"], page["metadata"]["resourceVersion"]

    @contextlib.asynccontextmanager
    async def _watch(
        self, namespace: str | None, resource_version: str | None, matches: Callable[[Object], bool]
    ) -> AsyncIterator[AsyncIterator[WatchEvent]]:
        await self._act("watch", namespace, "")
        watcher = _Watcher(namespace if self.resource.namespaced else None, matches)
        since = int(resource_version or self.cluster.revision)
        for rev, kind, obj in self.store.log:
            if rev > since and _visible(watcher, obj):
                watcher.queue.put_nowait(WatchEvent(kind, copy.deepcopy(obj)))
        self.store.watchers.append(watcher)

        async def events() -> AsyncIterator[WatchEvent]:
            while (event := await watcher.queue.get()) is not None:
                yield event

        try:
            yield events()
        finally:
            self.store.watchers.remove(watcher)

    def watch(
        self,
        *,
        namespace: str | None = None,
        resource_version: str | None = None,
        label_selector: str | dict[str, str] | None = None,
        field_selector: str | None = None,
        **_: Any,
    ) -> contextlib.AbstractAsyncContextManager[AsyncIterator[WatchEvent]]:
        return self._watch(namespace, resource_version, _matcher(label_selector, field_selector))

    # ---- writes ----

    async def create(
        self,
        obj: Object,
        *,
        namespace: str | None = None,
        subresource: str | None = None,
        name: str | None = None,
        **_: Any,
    ) -> Object:
        obj = copy.deepcopy(obj)
        md = obj.setdefault("metadata", {})
        ns = self._ns(namespace, obj) or ""
        if not md.get("name") and md.get("generateName"):
            md["name"] = md["generateName"] + self.cluster._suffix()
        await self._act("create", ns, md.get("name", ""), subresource, obj)
        if subresource:
            raise errors.MethodNotAllowed(f"the fake cluster does not serve {subresource}")
        if ns and self.cluster._namespace_terminating(ns):
            raise errors.Forbidden(
                f'{self.resource.plural} "{md.get("name", "")}" is forbidden: unable to create new content '
                f"in namespace {ns} because it is being terminated",
                details={"causes": [{"reason": "NamespaceTerminating", "field": "metadata.namespace"}]},
            )
        if (ns, md["name"]) in self.store.objects:
            raise errors.already_exists(self.resource.plural, self.resource.group, md["name"])
        if self.resource.namespaced:
            md["namespace"] = ns
        md["uid"] = self.cluster._uid()
        md["creationTimestamp"] = self.cluster.now()
        md.pop("deletionTimestamp", None)
        obj.setdefault("apiVersion", self.resource.api_version)
        obj.setdefault("kind", self.resource.kind)
        if self._has_generation():
            md["generation"] = 1
        self._prepare_create(obj)
        return self._write(obj, EventType.ADDED)

    def _prepare_create(self, obj: Object) -> None:
        kind = self.resource.kind
        if self.resource.group == "" and kind == "Namespace":
            obj.setdefault("spec", {})["finalizers"] = ["kubernetes"]
            obj["status"] = {"phase": "Active"}
        elif self.resource.group == "" and kind == "Pod":
            obj["status"] = {"phase": "Pending", **(obj.get("status") or {})}
        elif self.store.status_subresource and kind != "Node":
            obj.pop("status", None)

    async def update(
        self, obj: Object, *, namespace: str | None = None, subresource: str | None = None, **_: Any
    ) -> Object:
        name = obj["metadata"]["name"]
        await self._act("update", namespace or obj["metadata"].get("namespace"), name, subresource, obj)
        cur = self._current(name, namespace or obj["metadata"].get("namespace"))
        rv = obj["metadata"].get("resourceVersion")
        if rv and rv != cur["metadata"]["resourceVersion"]:
            raise errors.conflict(
                self.resource.plural,
                self.resource.group,
                name,
                "the object has been modified; please apply your changes to the latest version and try again",
            )
        return self._replace(cur, copy.deepcopy(obj), subresource)

    def _replace(self, cur: Object, new: Object, subresource: str | None) -> Object:
        md, cur_md = new.setdefault("metadata", {}), cur["metadata"]
        for k in _SERVER_METADATA:
            if k in cur_md:
                md[k] = cur_md[k]
            else:
                md.pop(k, None)
        new.setdefault("apiVersion", cur.get("apiVersion"))
        new.setdefault("kind", cur.get("kind"))
        if subresource == "status":
            new = self._status_write(cur, new)
        elif subresource == "finalize":
            fins = (new.get("spec") or {}).get("finalizers")
            new = copy.deepcopy(cur)
            new.setdefault("spec", {})["finalizers"] = list(fins or [])
            if not fins:
                new["spec"].pop("finalizers")
        else:
            self._main_endpoint_rules(cur, new)
        if self._releasable(new):
            return self._write(new, EventType.DELETED)
        if _same(new, cur):
            return copy.deepcopy(cur)  # a write that changes nothing is not written (no event)
        return self._write(new, EventType.MODIFIED)

    def _status_write(self, cur: Object, new: Object) -> Object:
        """`/status`: the status and most metadata change, the rest stays (the workload
        kinds keep their labels, pods their ownerReferences), as the API server's
        status strategies have it."""
        out = {**copy.deepcopy(cur), "status": new.get("status"), "metadata": new["metadata"]}
        if out["status"] is None:
            out.pop("status")
        keep = _STATUS_KEEPS_METADATA.get((self.resource.group, self.resource.kind), ())
        for name in keep:
            if name in cur["metadata"]:
                out["metadata"][name] = copy.deepcopy(cur["metadata"][name])
            else:
                out["metadata"].pop(name, None)
        if "generation" in cur["metadata"]:
            out["metadata"]["generation"] = cur["metadata"]["generation"]
        return out

    def _main_endpoint_rules(self, cur: Object, new: Object) -> None:
        """What a write through the main endpoint may not change, and generation."""
        if self.store.status_subresource:
            if "status" in cur:
                new["status"] = copy.deepcopy(cur["status"])
            else:
                new.pop("status", None)
        if self.resource.kind == "Namespace":
            fins = (cur.get("spec") or {}).get("finalizers")
            spec = new.setdefault("spec", {})
            if fins is None:
                spec.pop("finalizers", None)
            else:
                spec["finalizers"] = copy.deepcopy(fins)
        if self._has_generation():
            gen = cur["metadata"].get("generation", 1)
            new["metadata"]["generation"] = gen + 1 if new.get("spec") != cur.get("spec") else gen

    def _releasable(self, obj: Object) -> bool:
        """A terminating object whose last finalizer just went away is deleted."""
        md = obj["metadata"]
        if not md.get("deletionTimestamp") or md.get("finalizers"):
            return False
        if self.resource.kind == "Namespace" and (obj.get("spec") or {}).get("finalizers"):
            return False
        return not (self.resource.kind == "Pod" and (md.get("deletionGracePeriodSeconds") or 0) > 0)

    async def patch(
        self,
        name: str,
        patch: Any,
        *,
        patch_type: PatchType = PatchType.MERGE,
        namespace: str | None = None,
        subresource: str | None = None,
        **_: Any,
    ) -> Object:
        await self._act("patch", namespace, name, subresource, patch)
        cur = self._current(name, namespace)
        if patch_type is PatchType.JSON:
            patched = jsonpatch.apply_patch(copy.deepcopy(cur), patch)
        elif patch_type is PatchType.STRATEGIC:
            patched = strategic_merge(cur, patch)
        else:
            patched = merge_patch(copy.deepcopy(cur), patch)
        pinned = (patch.get("metadata") or {}) if isinstance(patch, dict) else {}
        if pinned.get("uid") and pinned["uid"] != cur["metadata"].get("uid"):
            # metadata.uid is immutable: the API server's validation refuses the change.
            raise errors.invalid_object(
                self.resource.kind,
                self.resource.group,
                name,
                [errors.invalid("metadata.uid", pinned["uid"], "field is immutable")],
            )
        if pinned.get("resourceVersion") and pinned["resourceVersion"] != cur["metadata"]["resourceVersion"]:
            raise errors.conflict(
                self.resource.plural, self.resource.group, name, "the object has been modified"
            )
        return self._replace(cur, patched, subresource)

    async def delete(
        self,
        name: str,
        *,
        namespace: str | None = None,
        grace_period_seconds: int | None = None,
        propagation_policy: str | None = None,
        preconditions: dict[str, str] | None = None,
        **_: Any,
    ) -> Object:
        await self._act("delete", namespace, name, body={"propagationPolicy": propagation_policy})
        cur = self._current(name, namespace)
        md = cur["metadata"]
        pre = preconditions or {}
        if pre.get("uid") and pre["uid"] != md.get("uid"):
            raise errors.conflict(
                self.resource.plural,
                self.resource.group,
                name,
                f"Precondition failed: UID in precondition: {pre['uid']}, "
                f"UID in object meta: {md.get('uid')}",
            )
        if pre.get("resourceVersion") and pre["resourceVersion"] != md["resourceVersion"]:
            raise errors.conflict(self.resource.plural, self.resource.group, name, "Precondition failed")
        new = copy.deepcopy(cur)
        changed = _record_propagation(new["metadata"], propagation_policy)
        grace = self._grace(new, grace_period_seconds)
        namespace_fins = self.resource.kind == "Namespace" and (new.get("spec") or {}).get("finalizers")
        if not (new["metadata"].get("finalizers") or namespace_fins or grace > 0):
            return self._write(new, EventType.DELETED)
        nmd = new["metadata"]
        if not nmd.get("deletionTimestamp") or (nmd.get("deletionGracePeriodSeconds") or 0) > grace:
            nmd["deletionTimestamp"] = format_wall(self.cluster.clock.wall() + grace)
            nmd["deletionGracePeriodSeconds"] = grace
            if self._has_generation() and not md.get("deletionTimestamp"):
                nmd["generation"] = nmd.get("generation", 1) + 1
            if self.resource.kind == "Namespace":
                new.setdefault("status", {})["phase"] = "Terminating"
            changed = True
        if not changed:
            return copy.deepcopy(cur)
        if self._releasable(new):
            return self._write(new, EventType.DELETED)
        return self._write(new, EventType.MODIFIED)

    def _grace(self, obj: Object, requested: int | None) -> int:
        if self.resource.kind != "Pod":
            return 0
        spec, status = obj.get("spec") or {}, obj.get("status") or {}
        if not spec.get("nodeName") or status.get("phase") in ("Succeeded", "Failed"):
            return 0
        grace = requested if requested is not None else spec.get("terminationGracePeriodSeconds", 30)
        return max(0, int(grace))

    async def delete_collection(
        self,
        *,
        namespace: str | None = None,
        label_selector: str | dict[str, str] | None = None,
        field_selector: str | None = None,
        propagation_policy: str | None = None,
    ) -> Object:
        await self._act("deletecollection", namespace, "")
        matches = _matcher(label_selector, field_selector)
        names = [
            (ns, n)
            for (ns, n), o in sorted(self.store.objects.items())
            if (not namespace or ns == namespace) and matches(o)
        ]
        for ns, n in names:
            with contextlib.suppress(errors.NotFound):
                await self.delete(n, namespace=ns or None, propagation_policy=propagation_policy)
        return {"kind": "Status", "apiVersion": "v1", "status": "Success"}


def _same(a: Object, b: Object) -> bool:
    def strip(o: Object) -> Object:
        return {**o, "metadata": {k: v for k, v in o["metadata"].items() if k != "resourceVersion"}}

    return strip(a) == strip(b)


def _record_propagation(md: Object, policy: str | None) -> bool:
    if not policy:
        return False
    before = list(md.get("finalizers") or [])
    after = [f for f in before if f not in (ORPHAN, FOREGROUND)]
    if policy == "Orphan":
        after.append(ORPHAN)
    elif policy == "Foreground":
        after.append(FOREGROUND)
    if after == before:
        return False
    if after:
        md["finalizers"] = after
    else:
        md.pop("finalizers", None)
    return True
