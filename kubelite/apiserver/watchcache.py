"""The watch cache: every stored object in memory, fed by one watch on the store.

At start the cache lists every resource prefix at one revision R and then watches the
whole `/registry/` tree from R+1. Each store event updates the object map of the
resource it belongs to, is appended to that resource's event window and is handed to
the watchers of that resource. Lists, gets and watches are served from here, never from
the store, except pages of a paged list whose snapshot has since changed.

Guarantees:

* `revision` is the newest store revision applied; `wait_for(rev)` returns once the
  cache has applied every event up to `rev`, which is how a read with no
  resourceVersion becomes a consistent read (ask the store for its current revision,
  wait for the cache to reach it).
* A resource's window holds its recent events; `oldest` is the revision after which the
  window is complete. A watch from an RV older than that is answered 410 Gone.
* Registering a watcher and copying the window happen with no await between them, so a
  watcher sees every event after its start revision exactly once.
* Objects held here are shared by every reader: never mutate them; copy first.
"""

from __future__ import annotations

import asyncio
import collections
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from sortedcontainers import SortedDict

from kubelite.storage.interface import (
    CompactedError,
    Event,
    EventType,
    KeyValue,
    StorageError,
    Store,
    UnavailableError,
)

log = logging.getLogger("kubelite.apiserver.watchcache")

DEFAULT_WINDOW = 10_000


def decode(kv: KeyValue) -> dict[str, Any]:
    """A stored value as an API object, with resourceVersion from the store revision."""
    obj: dict[str, Any] = orjson.loads(kv.value)
    md = obj.get("metadata")
    if md is None:
        md = obj["metadata"] = {}
    md["resourceVersion"] = str(kv.mod_revision)
    return obj


def prefix_of(key: str) -> str:
    """The resource prefix of a storage key: `/registry/<resource>` for built-in resources,
    `/registry/<group>/<resource>` for custom ones (their group has a dot; no built-in
    resource name does)."""
    cut = key.find("/", 10)
    if cut < 0:
        return key
    if "." in key[10:cut]:
        nxt = key.find("/", cut + 1)
        return key[:nxt] if nxt > 0 else key
    return key[:cut]


@dataclass(slots=True)
class CachedObject:
    obj: dict[str, Any]
    revision: int
    _json: bytes | None = None

    def json(self) -> bytes:
        """The object's JSON, encoded once and shared by every response that sends it."""
        if self._json is None:
            self._json = orjson.dumps(self.obj)
        return self._json


@dataclass(slots=True)
class CacheEvent:
    type: str  # ADDED | MODIFIED | DELETED (from the resource's view)
    key: str
    object: CachedObject
    prev: CachedObject | None
    revision: int


class Watcher:
    """One watch stream's buffer. The dispatcher pushes; the HTTP handler drains."""

    __slots__ = ("matches", "queue", "closed", "_wakeup", "overflow_limit")

    def __init__(self, matches: Callable[[dict[str, Any]], bool], overflow_limit: int = 100_000) -> None:
        self.matches = matches
        self.queue: collections.deque[tuple[str, CachedObject]] = collections.deque()
        self.closed = False
        self._wakeup = asyncio.Event()
        self.overflow_limit = overflow_limit

    def offer(self, ev: CacheEvent) -> None:
        if self.closed:
            return
        new_ok = ev.type != "DELETED" and self.matches(ev.object.obj)
        old_ok = ev.prev is not None and self.matches(ev.prev.obj)
        if ev.type == "DELETED":
            if old_ok or (ev.prev is None and self.matches(ev.object.obj)):
                self._push("DELETED", ev.object)
        elif new_ok and old_ok:
            self._push("MODIFIED", ev.object)
        elif new_ok:
            self._push("ADDED", ev.object)
        elif old_ok:
            # The object left the selector: to this watcher it is gone (with its new state).
            self._push("DELETED", ev.object)

    def _push(self, etype: str, obj: CachedObject) -> None:
        self.queue.append((etype, obj))
        if len(self.queue) > self.overflow_limit:
            # A watcher this far behind is dropped, as Kubernetes drops slow watchers;
            # the client re-watches from its last resourceVersion.
            self.closed = True
        self._wakeup.set()

    def close(self) -> None:
        self.closed = True
        self._wakeup.set()

    async def wait(self, timeout: float | None) -> None:
        if self.queue or self.closed:
            return
        self._wakeup.clear()
        try:
            await asyncio.wait_for(self._wakeup.wait(), timeout)
        except TimeoutError:
            pass

    def drain(self) -> list[tuple[str, CachedObject]]:
        items = list(self.queue)
        self.queue.clear()
        return items


@dataclass
class ResourceCache:
    """Objects and recent events of one storage prefix (one resource)."""

    prefix: str
    window: int = DEFAULT_WINDOW
    objects: SortedDict = field(default_factory=SortedDict)
    events: collections.deque[Any] = field(default_factory=collections.deque)
    oldest: int = 0  # the window holds every event with revision > oldest
    last_change: int = 0  # newest revision that changed this resource
    watchers: set[Watcher] = field(default_factory=set)
    # While a resource added at run time is being listed: the keys events have touched.
    loading: set[str] | None = None

    def apply(self, ev: Event) -> None:
        key = ev.kv.key
        if self.loading is not None:
            self.loading.add(key)
        prev = self.objects.get(key)
        if ev.type is EventType.DELETE:
            if prev is None:
                return
            del self.objects[key]
            gone = decode(ev.kv)
            cev = CacheEvent("DELETED", key, CachedObject(gone, ev.revision), prev, ev.revision)
        else:
            cur = CachedObject(decode(ev.kv), ev.revision)
            self.objects[key] = cur
            cev = CacheEvent("MODIFIED" if prev is not None else "ADDED", key, cur, prev, ev.revision)
        self.last_change = ev.revision
        self.events.append(cev)
        if len(self.events) > self.window:
            self.oldest = self.events.popleft().revision
        for w in list(self.watchers):
            if w.closed:
                self.watchers.discard(w)
            else:
                w.offer(cev)

    def items(self, prefix: str = "", start: str = "") -> Iterator[tuple[str, CachedObject]]:
        """(key, object) in key order under `prefix` (a key prefix), from `start` inclusive."""
        lo = max(prefix, start) if start else prefix
        if not lo:
            yield from self.objects.items()
            return
        hi = prefix + "\U0010ffff" if prefix else None
        for key in self.objects.irange(minimum=lo, maximum=hi):
            if prefix and not key.startswith(prefix):
                break
            yield key, self.objects[key]

    def items_at(
        self, revision: int, prefix: str = "", start: str = ""
    ) -> Iterator[tuple[str, CachedObject]]:
        """Like `items`, but as the resource was at `revision` (caller checked `revision >=
        oldest`): the current objects with the window's later changes undone. The first
        event after `revision` for a key holds, as its `prev`, what the key was then."""
        then: dict[str, CachedObject | None] = {}
        for ev in self.events_after(revision):
            if ev.key not in then and ev.key.startswith(prefix) and (not start or ev.key >= start):
                then[ev.key] = ev.prev
        changed = sorted(then)
        current = self.items(prefix, start)
        i = 0
        for key, co in current:
            while i < len(changed) and changed[i] < key:
                if (old := then[changed[i]]) is not None:
                    yield changed[i], old
                i += 1
            if i < len(changed) and changed[i] == key:
                if (old := then[key]) is not None:
                    yield key, old
                i += 1
            else:
                yield key, co
        for key in changed[i:]:
            if (old := then[key]) is not None:
                yield key, old

    def count_from(self, prefix: str, start: str) -> int:
        lo = max(prefix, start) if start else prefix
        hi = prefix + "\U0010ffff" if prefix else None
        i = self.objects.bisect_left(lo) if lo else 0
        j = self.objects.bisect_right(hi) if hi else len(self.objects)
        return max(0, j - i)

    def events_after(self, revision: int) -> list[CacheEvent]:
        """Window events with revision > `revision` (caller checked `revision >= oldest`)."""
        if not self.events or self.events[-1].revision <= revision:
            return []
        # Binary search over the deque by revision.
        lo, hi = 0, len(self.events)
        while lo < hi:
            mid = (lo + hi) // 2
            if self.events[mid].revision <= revision:
                lo = mid + 1
            else:
                hi = mid
        return [self.events[i] for i in range(lo, len(self.events))]


class WatchCache:
    """All resource caches, fed by one store watch. Start with `start()`; `stop()` ends it."""

    def __init__(self, store: Store, prefixes: list[str], *, window: int = DEFAULT_WINDOW) -> None:
        self.store = store
        self._window = window
        self.resources: dict[str, ResourceCache] = {p: ResourceCache(p, window) for p in prefixes}
        self.revision = 0
        self._waiters: list[tuple[int, asyncio.Future[None]]] = []
        self._task: asyncio.Task[None] | None = None
        self.ready = asyncio.Event()
        self.failed: BaseException | None = None

    def resource(self, prefix: str) -> ResourceCache:
        rc = self.resources.get(prefix)
        if rc is None:  # a prefix nobody added: an empty resource from now on
            rc = self.resources[prefix] = ResourceCache(prefix, self._window)
            rc.oldest = self.revision
        return rc

    async def add_resource(self, prefix: str) -> ResourceCache:
        """Start caching a prefix at run time (a CRD's resource): its objects as the store
        has them, then every event. Events that arrive while the store is listed win over
        the listed values of their keys."""
        rc = self.resources.get(prefix)
        if rc is not None:
            return rc
        rc = self.resources[prefix] = ResourceCache(prefix, self._window)
        rev = self.revision
        rc.oldest = rev
        rc.loading = set()
        try:
            start = ""
            while True:
                res = await self.store.list(prefix + "/", revision=rev, limit=5000, start_key=start)
                for kv in res.kvs:
                    if kv.key not in rc.loading and kv.key not in rc.objects:
                        rc.objects[kv.key] = CachedObject(decode(kv), kv.mod_revision)
                        rc.last_change = max(rc.last_change, kv.mod_revision)
                if not res.more or not res.kvs:
                    break
                start = res.kvs[-1].key + "\x00"
        finally:
            rc.loading = None
        return rc

    async def start(self) -> None:
        rev = await self.store.current_revision()
        for rc in self.resources.values():
            await self._load(rc, rev)
        self.revision = rev
        self._task = asyncio.create_task(self._run(), name="watchcache")
        self.ready.set()

    async def _load(self, rc: ResourceCache, rev: int) -> None:
        start = ""
        while True:
            res = await self.store.list(rc.prefix + "/", revision=rev, limit=5000, start_key=start)
            for kv in res.kvs:
                rc.objects[kv.key] = CachedObject(decode(kv), kv.mod_revision)
                rc.last_change = max(rc.last_change, kv.mod_revision)
            if not res.more or not res.kvs:
                break
            start = res.kvs[-1].key + "\x00"
        rc.oldest = rev

    async def _run(self) -> None:
        """Follow the store forever: re-watch after a lost connection, relist after compaction."""
        backoff = 0.1
        while True:
            try:
                watch = getattr(self.store, "watch_threaded", self.store.watch)
                async for ev in watch("/registry/", start_revision=self.revision + 1):
                    self._apply(ev)
                    backoff = 0.1
                raise UnavailableError("store watch ended")
            except asyncio.CancelledError:
                raise
            except UnavailableError:
                log.warning("store watch lost; watching again", extra={"revision": self.revision})
            except CompactedError:
                log.warning("store watch fell behind compaction; relisting")
                try:
                    await self._relist()
                except StorageError:
                    log.warning("relist failed; retrying", exc_info=True)
            except Exception as err:  # a bug: readers must not wait forever
                log.error("store watch failed", exc_info=True)
                self.failed = err
                for _, fut in self._waiters:
                    if not fut.done():
                        fut.set_exception(err)
                self._waiters.clear()
                return
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 5.0)

    async def _relist(self) -> None:
        """Replace every resource's state with a fresh list; watchers must start over."""
        rev = await self.store.current_revision()
        for rc in self.resources.values():
            for w in rc.watchers:
                w.close()
            rc.watchers.clear()
            rc.objects.clear()
            rc.events.clear()
            await self._load(rc, rev)
        self.revision = rev
        self._wake(rev)

    def _apply(self, ev: Event) -> None:
        rc = self.resources.get(prefix_of(ev.kv.key))
        if rc is not None:
            rc.apply(ev)
        self.revision = ev.revision
        if self._waiters:
            self._wake(ev.revision)

    def _wake(self, revision: int) -> None:
        keep = []
        for rev, fut in self._waiters:
            if rev <= revision:
                if not fut.done():
                    fut.set_result(None)
            else:
                keep.append((rev, fut))
        self._waiters = keep

    async def wait_for(self, revision: int, timeout: float = 10.0) -> None:
        """Return once every event up to `revision` has been applied."""
        if self.failed is not None:
            raise self.failed
        if revision <= self.revision:
            return
        fut: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append((revision, fut))
        await asyncio.wait_for(fut, timeout)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except (asyncio.CancelledError, Exception):
                pass
        for rc in self.resources.values():
            for w in rc.watchers:
                w.close()
