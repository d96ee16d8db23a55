"""Shared informers: one list+watch per resource, a cache, and handlers told of changes.

A `SharedInformer` runs a `Reflector` into an `Indexer` and tells every registered handler
what changed: `on_add`, `on_update(old, new)`, `on_delete`. Handlers run on the event loop,
synchronously and in order; they must only compute keys and enqueue them (a workqueue),
never call the API or sleep, because every other handler of the process waits for them.

Departure from client-go, on purpose: there is no DeltaFIFO or per-listener goroutine
buffer. In one asyncio loop the reflector can apply each event to the cache and notify the
handlers directly; the order guarantees (cache updated before handlers run; events in
resourceVersion order) are the same. After a re-list, objects that vanished are reported
with `on_delete` of their last known state (client-go's DeletedFinalStateUnknown).

Periodic resync: a handler registered with `resync_period` gets `on_update(obj, obj)` for
every cached object that often, so level-based controllers revisit everything even when
nothing changed. A handler added after the informer synced first receives `on_add` for every
object already cached.

`SharedInformerFactory` hands out one informer per resource (and selector), so every
controller of a process shares one watch and one cache.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from kubelite.api.types import Object
from kubelite.client.reflector import Reflector
from kubelite.client.resource import ResourceClient
from kubelite.client.store import NAMESPACE_INDEX, Indexer, IndexFunc, Lister, by_namespace, object_key
from kubelite.client.watch import EventType, WatchEvent
from kubelite.util.clock import Clock, RealClock

log = logging.getLogger("kubelite.client.informer")


class EventHandler(Protocol):
    def on_add(self, obj: Object, is_initial_list: bool) -> None: ...

    def on_update(self, old: Object, new: Object) -> None: ...

    def on_delete(self, obj: Object) -> None: ...


@dataclass(slots=True)
class Handlers:
    """An EventHandler from plain functions; leave out the events you do not need."""

    add: Callable[[Object], None] | None = None
    update: Callable[[Object, Object], None] | None = None
    delete: Callable[[Object], None] | None = None

    def on_add(self, obj: Object, is_initial_list: bool) -> None:
        if self.add:
            self.add(obj)

    def on_update(self, old: Object, new: Object) -> None:
        if self.update:
            self.update(old, new)

    def on_delete(self, obj: Object) -> None:
        if self.delete:
            self.delete(obj)


@dataclass(slots=True)
class _Registration:
    handler: EventHandler
    resync_period: float
    next_resync: float = 0.0


class SharedInformer:
    def __init__(
        self,
        resources: ResourceClient,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        indexers: Mapping[str, IndexFunc] | None = None,
        clock: Clock | None = None,
        use_watch_list: bool = False,
        resync_check_period: float = 1.0,
    ) -> None:
        self.clock = clock or RealClock()
        default = {NAMESPACE_INDEX: by_namespace} if resources.resource.namespaced else {}
        self.indexer = Indexer({**default, **(indexers or {})})
        self.lister = Lister(self.indexer)
        self.reflector = Reflector(
            resources,
            self,
            namespace=namespace,
            label_selector=label_selector,
            field_selector=field_selector,
            clock=self.clock,
            use_watch_list=use_watch_list,
        )
        self.resync_check_period = resync_check_period
        self._handlers: list[_Registration] = []
        self._synced = asyncio.Event()

    @property
    def resource_version(self) -> str:
        return self.reflector.last_sync_resource_version

    def has_synced(self) -> bool:
        return self._synced.is_set()

    async def wait_for_sync(self) -> None:
        await self._synced.wait()

    def add_indexer(self, name: str, func: IndexFunc) -> None:
        self.indexer.add_indexer(name, func)

    def add_event_handler(self, handler: EventHandler, *, resync_period: float = 0.0) -> None:
        """Register `handler`; if the cache is already filled it first gets every object as an add."""
        reg = _Registration(handler, resync_period, self.clock.now() + resync_period)
        self._handlers.append(reg)
        if self.has_synced():
            for obj in self.indexer.list():
                self._call(reg, "on_add", obj, True)

    async def run(self) -> None:
        """List, watch and resync until cancelled."""
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self.reflector.run())
            tg.create_task(self._resync_loop())

    # ---- ReflectorSink ----

    def replace(self, objs: list[Object], resource_version: str) -> None:
        initial = not self.has_synced()
        previous = {k: self.indexer.get(k) for k in self.indexer.keys()}
        self.indexer.replace(objs)
        for obj in objs:
            old = previous.pop(object_key(obj), None)
            if old is None:
                self._notify("on_add", obj, initial)
            elif old["metadata"].get("resourceVersion") != obj["metadata"].get("resourceVersion"):
                self._notify("on_update", old, obj)
        for gone in previous.values():
            self._notify("on_delete", gone)
        self._synced.set()

    def apply(self, event: WatchEvent) -> None:
        obj = event.object
        if event.type is EventType.DELETED:
            self.indexer.delete(obj)
            self._notify("on_delete", obj)
            return
        old = self.indexer.upsert(obj)
        if old is None:
            self._notify("on_add", obj, False)
        else:
            self._notify("on_update", old, obj)

    # ---- delivery ----

    def _notify(self, method: str, *args: Any) -> None:
        for reg in self._handlers:
            self._call(reg, method, *args)

    def _call(self, reg: _Registration, method: str, *args: Any) -> None:
        try:
            getattr(reg.handler, method)(*args)
        except Exception:  # a broken handler must not stop the others or the watch
            log.exception("informer event handler failed", extra={"handler": repr(reg.handler)})

    async def _resync_loop(self) -> None:
        while True:
            await self.clock.sleep(self.resync_check_period)
            if not self.has_synced():
                continue
            now = self.clock.now()
            for reg in self._handlers:
                if reg.resync_period > 0 and reg.next_resync <= now:
                    reg.next_resync = now + reg.resync_period
                    for obj in self.indexer.list():
                        self._call(reg, "on_update", obj, obj)


@dataclass(slots=True, frozen=True)
class _InformerKey:
    group: str
    version: str
    plural: str
    namespace: str | None
    label_selector: str | None
    field_selector: str | None


@dataclass
class SharedInformerFactory:
    """One informer per resource for the whole process; `start()`, then `wait_for_cache_sync()`."""

    client: Any  # kubelite.client.rest.Client
    namespace: str | None = None
    label_selector: str | None = None
    field_selector: str | None = None
    clock: Clock = field(default_factory=RealClock)
    use_watch_list: bool = False
    _informers: dict[_InformerKey, SharedInformer] = field(default_factory=dict)
    _tasks: dict[_InformerKey, asyncio.Task[None]] = field(default_factory=dict)

    def informer(
        self,
        plural: str,
        *,
        group: str = "",
        version: str | None = None,
        indexers: Mapping[str, IndexFunc] | None = None,
    ) -> SharedInformer:
        return self.for_resource(self.client.resource(plural, group=group, version=version), indexers)

    def for_resource(
        self, resources: ResourceClient, indexers: Mapping[str, IndexFunc] | None = None
    ) -> SharedInformer:
        r = resources.resource
        key = _InformerKey(
            r.group, r.version, r.plural, self.namespace, self.label_selector, self.field_selector
        )
        inf = self._informers.get(key)
        if inf is None:
            inf = SharedInformer(
                resources,
                namespace=self.namespace,
                label_selector=self.label_selector,
                field_selector=self.field_selector,
                clock=self.clock,
                use_watch_list=self.use_watch_list,
            )
            self._informers[key] = inf
        for name, func in (indexers or {}).items():
            if not inf.indexer.has_index(name):
                inf.add_indexer(name, func)
        return inf

    def lister(self, plural: str, *, group: str = "") -> Lister:
        return self.informer(plural, group=group).lister

    def start(self) -> None:
        """Start every informer not yet running; call again after asking for more."""
        for key, inf in self._informers.items():
            if key not in self._tasks:
                self._tasks[key] = asyncio.create_task(inf.run(), name=f"informer {key.plural}")

    async def wait_for_cache_sync(self) -> None:
        await asyncio.gather(*(inf.wait_for_sync() for inf in self._informers.values()))

    async def shutdown(self) -> None:
        """Stop every informer and wait for them to finish."""
        tasks = list(self._tasks.values())
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
