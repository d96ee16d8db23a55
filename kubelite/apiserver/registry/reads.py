"""Get, list and watch: answered from the watch cache.

A list is paged with continue tokens that carry the snapshot revision; a later page comes
from the cache: as it is while the resource has not changed since the snapshot, else as it
was then, rebuilt by undoing the window's later events (Kubernetes 1.33's list-from-cache
snapshots play this part); only a snapshot older than the window is read from the store at
that revision (410 Gone once compacted away). A watch is registered in one step
with the events it must send first: the current objects (no resourceVersion, `0`, or
`sendInitialEvents`), or the cache's window of events after the given revision (410 when
the revision is older than the window).
"""

from __future__ import annotations

import base64
import builtins
from collections.abc import Callable
from typing import Any

import orjson

from kubelite.api import errors, meta
from kubelite.api.resources import ResourceType
from kubelite.apiserver.registry.core import RegistryCore, parse_rv
from kubelite.apiserver.registry.options import ListOptions, ListPage
from kubelite.apiserver.watchcache import CachedObject, Watcher, decode
from kubelite.storage.interface import CompactedError


class Reads(RegistryCore):
    async def get(
        self, rt: ResourceType, namespace: str, name: str, resource_version: str = ""
    ) -> CachedObject:
        await self.at_least(resource_version)
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
            await self.at_least(opts.resource_version)
        prefix = rt.list_prefix(namespace)
        changed = bool(snapshot) and rc.last_change > snapshot
        if changed and snapshot < rc.oldest:
            return await self._list_from_store(rt, prefix, snapshot, start, opts)
        revision = snapshot or self.cache.revision
        matches = matcher(rt, opts)
        exact = _exact_key(rt, namespace, opts)
        if exact is not None and not changed:
            hit = rc.objects.get(exact)
            found = [hit] if hit is not None and matches(hit.obj) else []
            return ListPage(found, revision)
        items: builtins.list[CachedObject] = []
        limit = opts.limit
        token = ""
        for key, co in rc.items_at(snapshot, prefix, start) if changed else rc.items(prefix, start):
            if limit and len(items) >= limit:
                token = encode_continue(revision, key)
                break
            if matches(co.obj):
                items.append(co)
        remaining = None
        if token and not changed and opts.label_selector is None and opts.field_selector is None:
            remaining = rc.count_from(prefix, decode_continue(token)[1])
        return ListPage(items, revision, token, remaining)

    async def _list_from_store(
        self, rt: ResourceType, prefix: str, revision: int, start: str, opts: ListOptions
    ) -> ListPage:
        matches = matcher(rt, opts)
        items: builtins.list[CachedObject] = []
        token = ""
        key = start
        while True:
            try:
                res = await self.store.list(
                    prefix, revision=revision, start_key=key, limit=max(opts.limit, 100)
                )
            except CompactedError:
                raise errors.Gone(
                    "The provided continue parameter is too old to display a "
                    "consistent list result. Start a new list without it."
                ) from None
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

    def watch(
        self,
        rt: ResourceType,
        namespace: str,
        opts: ListOptions,
        *,
        send_initial: bool,
    ) -> tuple[Watcher, builtins.list[tuple[str, CachedObject]], int]:
        """A registered watcher plus the events it must send first, and the start revision.

        Call after `at_least`/`fresh` as the request requires: this method does no I/O so
        the snapshot, the replayed window and the registration are one atomic step.
        """
        rc = self.cache.resource(rt.key_prefix)
        matches = matcher(rt, opts)
        prefix = rt.list_prefix(namespace)
        initial: builtins.list[tuple[str, CachedObject]] = []
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
            start = parse_rv(rv)
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

            def ns_matches(
                obj: dict[str, Any], _m: Callable[[dict[str, Any]], bool] = matches, _ns: str = namespace
            ) -> bool:
                return meta.namespace_of(obj) == _ns and _m(obj)

        watcher = Watcher(ns_matches)
        rc.watchers.add(watcher)
        return watcher, initial, start

    def stop_watch(self, rt: ResourceType, watcher: Watcher) -> None:
        watcher.close()
        self.cache.resource(rt.key_prefix).watchers.discard(watcher)


# ---- continue tokens and selectors -------------------------------------------------------


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


def _exact_key(rt: ResourceType, namespace: str, opts: ListOptions) -> str | None:
    """The one key a `metadata.name=` field selector (plus a namespace) points at."""
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


def matcher(rt: ResourceType, opts: ListOptions) -> Callable[[dict[str, Any]], bool]:
    """A predicate for the label and field selectors of `opts`."""
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
