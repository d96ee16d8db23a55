"""The generic registry: create, read, update, delete and watch any resource type.

Every kind goes through the same steps; per-kind differences are data
(`strategy.py`), admission hooks (`admission.py`) and the validation and defaulting
functions of `kubelite.api`:

    create:  namespace checks -> generateName -> prepare_for_create -> defaults
             -> admission -> validation -> store.create
    update:  read fresh -> precondition (resourceVersion) -> prepare_for_update
             -> defaults -> admission -> validation -> store.update (compare-and-swap)
    delete:  preconditions -> graceful (deletionTimestamp) or final (store.delete)

Reads come from the watch cache. A read with no resourceVersion is consistent: the
registry asks the store for its current revision and waits for the cache to reach it.
Writes use compare-and-swap on the revision the object was read at and retry on a
lost race, except when the caller pinned a resourceVersion (then it is a 409).
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable

import orjson

from kubelite.api import errors, meta
from kubelite.api.resources import ResourceCatalog, ResourceType
from kubelite.apiserver import managedfields, strategy
from kubelite.apiserver.watchcache import CachedObject, WatchCache, Watcher, decode
from kubelite.storage.interface import (
    CompactedError, KeyExistsError, KeyNotFoundError, RevisionMismatchError, Store,
)

log = logging.getLogger("kubelite.apiserver.registry")

# Kinds whose DELETE answers with the deleted object rather than a Status (as Kubernetes).
RETURNS_DELETED_OBJECT = frozenset({
    ("", "pods"), ("", "services"), ("", "serviceaccounts"), ("", "persistentvolumes"),
    ("", "persistentvolumeclaims"), ("", "podtemplates"), ("", "resourcequotas"),
})
_MAX_UPDATE_RETRIES = 16


@dataclass(slots=True)
class RequestContext:
    user: str = ""
    groups: tuple[str, ...] = ()
    dry_run: bool = False
    field_manager: str = ""
    warnings: list[str] = field(default_factory=list)
    field_validation: str = "Warn"  # Strict | Warn | Ignore
    operation: str = "Update"       # "Apply" when managedFields were computed by apply.py


@dataclass(slots=True)
class ListOptions:
    label_selector: Any = None      # kubelite.api.selectors.LabelSelector | None
    field_selector: Any = None      # kubelite.api.selectors.FieldSelector | None
    limit: int = 0
    continue_token: str = ""
    resource_version: str = ""
    resource_version_match: str = ""


@dataclass(slots=True)
class ListPage:
    items: list[CachedObject]
    resource_version: int
    continue_token: str = ""
    remaining: int | None = None


@dataclass(slots=True)
class DeleteOptions:
    grace_period_seconds: int | None = None
    propagation_policy: str | None = None
    preconditions: dict[str, Any] | None = None
    dry_run: bool = False


Hook = Callable[..., Awaitable[None]]


class Admission:
    """Per-kind hooks run inside the write path (mutating, then validating).

    `on_create(rt, obj, ctx)` and `on_update(rt, new, old, ctx)` may change the object or
    raise an APIError; `on_delete(rt, obj)` runs after an object is gone from storage.
    """

    async def on_create(self, rt: ResourceType, obj: dict[str, Any], ctx: RequestContext) -> None:
        return None

    async def on_update(self, rt: ResourceType, new: dict[str, Any], old: dict[str, Any],
                        ctx: RequestContext) -> None:
        return None

    async def on_create_failed(self, rt: ResourceType, obj: dict[str, Any]) -> None:
        return None

    async def on_delete(self, rt: ResourceType, obj: dict[str, Any]) -> None:
        return None


def encode_for_store(obj: dict[str, Any]) -> bytes:
    """Objects are stored without resourceVersion: the store revision is the truth."""
    md = obj["metadata"]
    rv = md.pop("resourceVersion", None)
    try:
        return orjson.dumps(obj)
    finally:
        if rv is not None:
            md["resourceVersion"] = rv


def encode_continue(revision: int, start_key: str) -> str:
    raw = orjson.dumps({"v": "meta.k8s.io/v1", "rv": revision, "start": start_key})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_continue(token: str) -> tuple[int, str]:
    try:
        padded = token + "=" * (-len(token) % 4)
        data = orjson.loads(base64.urlsafe_b64decode(padded))
        return int(data["rv"]), str(data["start"])
    except Exception:
        raise errors.BadRequest(f"continue key is not valid: {token}") from None


class Registry:
    def __init__(self, store: Store, cache: WatchCache, catalog: ResourceCatalog,
                 admission: list[Admission] | None = None,
                 defaults: Callable[[ResourceType, dict[str, Any]], None] | None = None,
                 validate: Callable[..., list[errors.FieldError]] | None = None) -> None:
        self.store = store
        self.cache = cache
        self.catalog = catalog
        self.admission = admission or []
        self._defaults = defaults
        self._validate = validate

    # ---- reads -------------------------------------------------------------------------

    async def fresh(self) -> None:
        """Bring the cache up to the store's current revision (a consistent read)."""
        rev = await self.store.current_revision()
        await self.cache.wait_for(rev)

    async def _at_least(self, resource_version: str) -> None:
        if resource_version == "0":
            return
        if not resource_version:
            await self.fresh()
            return
        rv = _parse_rv(resource_version)
        if rv > self.cache.revision:
            current = await self.store.current_revision()
            if rv > current:
                raise errors.Timeout(f"Too large resource version: {rv}, current: {current}",
                                     details={"causes": [{"reason": "ResourceVersionTooLarge",
                                                          "message": "Too large resource version"}],
                                              "retryAfterSeconds": 1})
            await self.cache.wait_for(rv)

    def peek(self, rt: ResourceType, namespace: str, name: str) -> CachedObject | None:
        return self.cache.resource(rt.key_prefix).objects.get(rt.key(namespace, name))

    async def get(self, rt: ResourceType, namespace: str, name: str,
                  resource_version: str = "") -> CachedObject:
        await self._at_least(resource_version)
        cur = self.peek(rt, namespace, name)
        if cur is None:
            raise errors.not_found(rt.plural, rt.group, name)
        return cur

    async def list(self, rt: ResourceType, namespace: str, opts: ListOptions) -> ListPage:
        rc = self.cache.resource(rt.key_prefix)
        start = ""
        snapshot = 0
        if opts.continue_token:
            snapshot, start = decode_continue(opts.continue_token)
        else:
            await self._at_least(opts.resource_version)
        prefix = rt.list_prefix(namespace)
        if snapshot and rc.last_change > snapshot:
            return await self._list_from_store(rt, prefix, snapshot, start, opts)
        revision = snapshot or self.cache.revision
        matches = _matcher(rt, opts)
        exact = _exact_key(rt, namespace, opts)
        if exact is not None:
            hit = rc.objects.get(exact)
            items = [hit] if hit is not None and matches(hit.obj) else []
            return ListPage(items, revision)
        items: list[CachedObject] = []
        limit = opts.limit
        token = ""
        for key, co in rc.items(prefix, start):
            if limit and len(items) >= limit:
                token = encode_continue(revision, key)
                break
            if matches(co.obj):
                items.append(co)
        remaining = None
        if token and opts.label_selector is None and opts.field_selector is None:
            remaining = rc.count_from(prefix, _decode_start(token))
        return ListPage(items, revision, token, remaining)

    async def _list_from_store(self, rt: ResourceType, prefix: str, revision: int, start: str,
                               opts: ListOptions) -> ListPage:
        matches = _matcher(rt, opts)
        items: list[CachedObject] = []
        token = ""
        key = start
        while True:
            try:
                res = await self.store.list(prefix, revision=revision, start_key=key,
                                            limit=max(opts.limit, 100))
            except CompactedError:
                raise errors.Gone("The provided continue parameter is too old to display a "
                                  "consistent list result. Start a new list without it.") from None
            for kv in res.kvs:
                if opts.limit and len(items) >= opts.limit:
                    token = encode_continue(revision, kv.key)
                    break
                obj = decode(kv)
                if matches(obj):
                    items.append(CachedObject(obj, kv.mod_revision))
            if token or not res.more or not res.kvs:
                break
            key = res.kvs[-1].key + "\x00"
        return ListPage(items, revision, token)

    def watch(self, rt: ResourceType, namespace: str, opts: ListOptions,
              *, send_initial: bool) -> tuple[Watcher, list[tuple[str, CachedObject]], int]:
        """A registered watcher plus the events it must send first, and the start revision.

        Call after `_at_least`/`fresh` as the request requires: this method does no I/O so
        the snapshot, the replayed window and the registration are one atomic step.
        """
        rc = self.cache.resource(rt.key_prefix)
        matches = _matcher(rt, opts)
        prefix = rt.list_prefix(namespace)
        initial: list[tuple[str, CachedObject]] = []
        rv = opts.resource_version
        if send_initial or rv in ("", "0"):
            start = self.cache.revision
            exact = _exact_key(rt, namespace, opts)
            if exact is not None:
                hit = rc.objects.get(exact)
                if hit is not None and matches(hit.obj):
                    initial.append(("ADDED", hit))
            else:
                initial = [("ADDED", co) for _, co in rc.items(prefix) if matches(co.obj)]
        else:
            start = _parse_rv(rv)
            if start < rc.oldest:
                raise errors.too_old(start, rc.oldest + 1)
            for ev in rc.events_after(start):
                if not ev.key.startswith(prefix):
                    continue
                probe = Watcher(matches)
                probe.offer(ev)
                initial.extend(probe.queue)
        ns_matches = matches
        if namespace and rt.namespaced:
            def ns_matches(obj: dict[str, Any], _m=matches, _ns=namespace) -> bool:
                return meta.namespace_of(obj) == _ns and _m(obj)
        watcher = Watcher(ns_matches)
        rc.watchers.add(watcher)
        return watcher, initial, start

    def stop_watch(self, rt: ResourceType, watcher: Watcher) -> None:
        watcher.close()
        self.cache.resource(rt.key_prefix).watchers.discard(watcher)

    # ---- create ------------------------------------------------------------------------

    async def check_namespace(self, rt: ResourceType, namespace: str, name: str = "") -> None:
        if not rt.namespaced:
            return
        ns_rt = self.catalog.get("", "v1", "namespaces")
        assert ns_rt is not None
        cur = self.peek(ns_rt, "", namespace)
        if cur is None:
            await self.fresh()
            cur = self.peek(ns_rt, "", namespace)
        if cur is None:
            raise errors.not_found("namespaces", "", namespace)
        if cur.obj["metadata"].get("deletionTimestamp"):
            raise errors.Forbidden(
                f'{rt.plural} "{name}" is forbidden: unable to create new '
                f"content in namespace {namespace} because it is being terminated",
                details={"kind": rt.plural, "group": rt.group, "causes": [{
                    "reason": "NamespaceTerminating", "field": "metadata.namespace",
                    "message": f"namespace {namespace} is being terminated"}]})

    async def create(self, rt: ResourceType, namespace: str, obj: dict[str, Any],
                     ctx: RequestContext) -> dict[str, Any]:
        md = meta.metadata(obj)
        if rt.namespaced:
            md["namespace"] = namespace
        else:
            md.pop("namespace", None)
        await self.check_namespace(rt, namespace, md.get("name") or md.get("generateName") or "")
        generate = not md.get("name") and md.get("generateName")
        for attempt in range(8 if generate else 1):
            candidate = copy.deepcopy(obj) if generate else obj
            cmd = candidate["metadata"]
            if generate:
                cmd["name"] = meta.generated_name(cmd["generateName"])
            try:
                return await self._create_once(rt, candidate, ctx)
            except errors.AlreadyExists:
                if not generate or attempt == 7:
                    raise
        raise AssertionError("unreachable")

    async def _create_once(self, rt: ResourceType, obj: dict[str, Any],
                           ctx: RequestContext) -> dict[str, Any]:
        md = obj["metadata"]
        for k in ("resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"):
            md.pop(k, None)
        md["uid"] = meta.new_uid()
        md["creationTimestamp"] = meta.now_rfc3339()
        strategy.prepare_for_create(rt, obj)
        if self._defaults:
            self._defaults(rt, obj)
        if ctx.operation != managedfields.APPLY:
            managedfields.record_update(rt, obj, None, ctx.field_manager)
        self._check(rt, obj, None)
        for a in self.admission:
            await a.on_create(rt, obj, ctx)
        self._check(rt, obj, None)
        name = md.get("name", "")
        if ctx.dry_run:
            if self.peek(rt, md.get("namespace", ""), name) is not None:
                raise errors.already_exists(rt.plural, rt.group, name)
            return obj
        try:
            kv = await self.store.create(rt.key(md.get("namespace", ""), name), encode_for_store(obj))
        except KeyExistsError:
            for a in self.admission:
                await a.on_create_failed(rt, obj)
            raise errors.already_exists(rt.plural, rt.group, name) from None
        except BaseException:
            for a in self.admission:
                await a.on_create_failed(rt, obj)
            raise
        md["resourceVersion"] = str(kv.mod_revision)
        return obj

    def _check(self, rt: ResourceType, obj: dict[str, Any], old: dict[str, Any] | None) -> None:
        if self._validate is None:
            return
        errs = self._validate(rt, obj, old)
        if errs:
            raise errors.invalid_object(rt.kind, rt.group, meta.name_of(obj), errs)

    # ---- update ------------------------------------------------------------------------

    async def update(self, rt: ResourceType, namespace: str, name: str,
                     mutate: Callable[[dict[str, Any]], dict[str, Any]], ctx: RequestContext, *,
                     subresource: str = "", pinned_rv: str = "") -> dict[str, Any]:
        """Read-modify-write: `mutate(copy_of_current) -> new object`.

        A `pinned_rv` (the client's metadata.resourceVersion) must equal the current one,
        else 409. Without it, a lost compare-and-swap race is retried from a fresh read.
        """
        await self.fresh()
        for _ in range(_MAX_UPDATE_RETRIES):
            cur = self.peek(rt, namespace, name)
            if cur is None:
                raise errors.not_found(rt.plural, rt.group, name)
            if pinned_rv and pinned_rv != str(cur.revision):
                raise errors.conflict(rt.plural, rt.group, name)
            old = cur.obj
            new = mutate(orjson.loads(cur.json()))
            new = await self._prepare_update(rt, new, old, ctx, subresource)
            if _same(new, old):
                return orjson.loads(cur.json())
            if ctx.dry_run:
                return new
            try:
                kv = await self._write_update(rt, namespace, name, new, cur.revision)
            except RevisionMismatchError as err:
                if pinned_rv:
                    raise errors.conflict(rt.plural, rt.group, name) from None
                if err.current is not None:
                    await self.cache.wait_for(err.current.mod_revision)
                continue
            if kv is None:  # deleted because the last finalizer went away
                return new
            new["metadata"]["resourceVersion"] = str(kv.mod_revision)
            return new
        raise errors.conflict(rt.plural, rt.group, name, "too many concurrent updates")

    async def _prepare_update(self, rt: ResourceType, new: dict[str, Any], old: dict[str, Any],
                              ctx: RequestContext, subresource: str) -> dict[str, Any]:
        md = meta.metadata(new)
        old_md = old["metadata"]
        if md.get("name") != old_md["name"]:
            raise errors.BadRequest(
                f"the name of the object ({md.get('name')}) does not match the name on the URL "
                f"({old_md['name']})")
        if subresource == "status":
            strategy.prepare_for_status_update(rt, new, old)
            md = new["metadata"]
        elif subresource == "finalize":
            strategy.prepare_for_finalize(rt, new, old)
            md = new["metadata"]
        else:
            strategy.prepare_for_update(rt, new, old)
        # Fields the server owns.
        for k in ("uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"):
            if k in old_md:
                md[k] = old_md[k]
            else:
                md.pop(k, None)
        if rt.namespaced:
            md["namespace"] = old_md.get("namespace", "")
        md.pop("selfLink", None)
        if self._defaults:
            self._defaults(rt, new)
        if ctx.operation != managedfields.APPLY:
            managedfields.record_update(rt, new, old, ctx.field_manager, subresource)
        self._check(rt, new, old)
        for a in self.admission:
            await a.on_update(rt, new, old, ctx)
        return new

    async def _write_update(self, rt: ResourceType, namespace: str, name: str,
                            new: dict[str, Any], expected: int):
        key = rt.key(namespace, name)
        md = new["metadata"]
        if md.get("deletionTimestamp") and not md.get("finalizers") and \
                not md.get("deletionGracePeriodSeconds") and not _namespace_finalizers(rt, new):
            try:
                await self.store.delete(key, expected_revision=expected)
            except KeyNotFoundError:
                raise errors.not_found(rt.plural, rt.group, name) from None
            for a in self.admission:
                await a.on_delete(rt, new)
            return None
        try:
            return await self.store.update(key, encode_for_store(new), expected_revision=expected)
        except KeyNotFoundError:
            raise errors.not_found(rt.plural, rt.group, name) from None

    # ---- delete ------------------------------------------------------------------------

    async def delete(self, rt: ResourceType, namespace: str, name: str, opts: DeleteOptions,
                     ctx: RequestContext) -> tuple[dict[str, Any], bool]:
        """Delete or mark for deletion. Returns (object, gone_now)."""
        await self.fresh()
        for _ in range(_MAX_UPDATE_RETRIES):
            cur = self.peek(rt, namespace, name)
            if cur is None:
                raise errors.not_found(rt.plural, rt.group, name)
            _check_preconditions(rt, cur, opts)
            obj = orjson.loads(cur.json())
            md = obj["metadata"]
            grace = _grace_period(rt, obj, opts)
            gc_changed = _garbage_collection_finalizers(obj, opts.propagation_policy)
            pending = bool(md.get("finalizers")) or _namespace_finalizers(rt, obj) or grace > 0
            if pending:
                if not _mark_deleting(rt, obj, grace) and not gc_changed:
                    return obj, False
                if ctx.dry_run:
                    return obj, False
                try:
                    kv = await self.store.update(rt.key(namespace, name), encode_for_store(obj),
                                                 expected_revision=cur.revision)
                except RevisionMismatchError:
                    continue
                except KeyNotFoundError:
                    raise errors.not_found(rt.plural, rt.group, name) from None
                md["resourceVersion"] = str(kv.mod_revision)
                return obj, False
            if ctx.dry_run:
                return obj, True
            try:
                kv = await self.store.delete(rt.key(namespace, name), expected_revision=cur.revision)
            except RevisionMismatchError:
                continue
            except KeyNotFoundError:
                raise errors.not_found(rt.plural, rt.group, name) from None
            for a in self.admission:
                await a.on_delete(rt, obj)
            md["resourceVersion"] = str(kv.mod_revision)
            return obj, True
        raise errors.conflict(rt.plural, rt.group, name, "too many concurrent updates")


# ---- helpers ---------------------------------------------------------------------------

def _parse_rv(value: str) -> int:
    try:
        return meta.parse_resource_version(value)
    except ValueError:
        raise errors.BadRequest(f"invalid resource version: {value}") from None


def _decode_start(token: str) -> str:
    return decode_continue(token)[1]


def _same(new: dict[str, Any], old: dict[str, Any]) -> bool:
    """True when an update would change nothing (so nothing is written, as Kubernetes)."""
    a, b = new.get("metadata", {}), old.get("metadata", {})
    rv_a, rv_b = a.pop("resourceVersion", None), b.get("resourceVersion")
    try:
        a["resourceVersion"] = rv_b
        return new == old
    finally:
        if rv_a is None:
            a.pop("resourceVersion", None)
        else:
            a["resourceVersion"] = rv_a


def _namespace_finalizers(rt: ResourceType, obj: dict[str, Any]) -> bool:
    return rt.group == "" and rt.kind == "Namespace" and bool((obj.get("spec") or {}).get("finalizers"))


def _check_preconditions(rt: ResourceType, cur: CachedObject, opts: DeleteOptions) -> None:
    pre = opts.preconditions or {}
    md = cur.obj["metadata"]
    uid, rv = pre.get("uid"), pre.get("resourceVersion")
    if uid and uid != md.get("uid"):
        raise errors.conflict(rt.plural, rt.group, md["name"],
                              f"Precondition failed: UID in precondition: {uid}, "
                              f"UID in object meta: {md.get('uid')}")
    if rv and rv != str(cur.revision):
        raise errors.conflict(rt.plural, rt.group, md["name"],
                              f"Precondition failed: ResourceVersion in precondition: {rv}, "
                              f"ResourceVersion in object meta: {cur.revision}")


def _grace_period(rt: ResourceType, obj: dict[str, Any], opts: DeleteOptions) -> int:
    """Seconds of graceful deletion: only pods running on a node get any."""
    if not (rt.group == "" and rt.kind == "Pod"):
        return 0
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if not spec.get("nodeName") or status.get("phase") in ("Succeeded", "Failed"):
        return 0
    if opts.grace_period_seconds is not None:
        grace = opts.grace_period_seconds
    else:
        grace = spec.get("terminationGracePeriodSeconds", 30)
    return max(0, int(grace))


_ORPHAN, _FOREGROUND = "orphan", "foregroundDeletion"


def _garbage_collection_finalizers(obj: dict[str, Any], policy: str | None) -> bool:
    """Record the propagation policy as Kubernetes does, in the garbage collector's finalizers:
    Orphan adds `orphan`, Foreground adds `foregroundDeletion`, Background drops both.
    True when the finalizers changed. (The garbage collector removes them; see
    docs/compatibility.md until kubelite has one.)"""
    if not policy:
        return False
    md = obj["metadata"]
    before = list(md.get("finalizers") or [])
    after = [f for f in before if f not in (_ORPHAN, _FOREGROUND)]
    if policy == "Orphan":
        after.append(_ORPHAN)
    elif policy == "Foreground":
        after.append(_FOREGROUND)
    if after == before:
        return False
    if after:
        md["finalizers"] = after
    else:
        md.pop("finalizers", None)
    return True


def _mark_deleting(rt: ResourceType, obj: dict[str, Any], grace: int) -> bool:
    """Set deletionTimestamp (or shorten a pending grace). False when nothing changes."""
    md = obj["metadata"]
    now = meta.now()
    if md.get("deletionTimestamp"):
        current = md.get("deletionGracePeriodSeconds") or 0
        if grace >= current:
            return False
        md["deletionGracePeriodSeconds"] = grace
        md["deletionTimestamp"] = meta.format_time(now + dt.timedelta(seconds=grace))
        return True
    md["deletionTimestamp"] = meta.format_time(now + dt.timedelta(seconds=grace))
    md["deletionGracePeriodSeconds"] = grace
    if strategy.has_generation(rt):
        md["generation"] = md.get("generation", 1) + 1
    if rt.group == "" and rt.kind == "Namespace":
        obj.setdefault("status", {})["phase"] = "Terminating"
    return True


def _exact_key(rt: ResourceType, namespace: str, opts: ListOptions) -> str | None:
    fs = opts.field_selector
    if fs is None:
        return None
    name = fs.exact_value("metadata.name")
    if name is None:
        return None
    if rt.namespaced:
        ns = namespace or fs.exact_value("metadata.namespace")
        if not ns:
            return None
        return rt.key(ns, name)
    return rt.key("", name)


def _matcher(rt: ResourceType, opts: ListOptions) -> Callable[[dict[str, Any]], bool]:
    ls, fs = opts.label_selector, opts.field_selector
    if ls is not None and getattr(ls, "empty", False):
        ls = None
    if fs is not None and not getattr(fs, "requirements", True):
        fs = None
    if ls is None and fs is None:
        return _always
    from kubelite.api.selectors import object_fields

    def matches(obj: dict[str, Any]) -> bool:
        if ls is not None and not ls.matches(meta.labels_of(obj)):
            return False
        if fs is not None and not fs.matches(object_fields(rt, obj)):
            return False
        return True
    return matches


def _always(obj: dict[str, Any]) -> bool:
    return True
