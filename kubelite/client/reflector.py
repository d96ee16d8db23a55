"""The reflector: keep a local copy of one resource in step with the API server.

    ┌──────────────┐ list (paged, consistent)  ┌──────────────┐ watch from RV ┌─────────┐
    │ need a list  │──────────────────────────▶│ replace(all) │──────────────▶│ watching│
    └──────────────┘                           └──────────────┘               └────┬────┘
           ▲           410 Gone (RV compacted or before the server's window)       │
           ├───────────────────────────────────────────────────────────────────────┤
           │        stream ended (timeout) / connection lost: back off, then        │
           │        watch again from the last RV (no list)  ◀────────────────────────┘

The reflector remembers the resourceVersion of the last event (bookmarks included) and
resumes its watch from there, so an API server restart costs a reconnect, not a re-list;
only when the server answers 410 Expired does it list again. Errors are retried forever
with exponential back-off (0.8 s doubling to 30 s, reset after a watch that worked), as
client-go's reflector does; cancelling `run()` is the only way to stop it.

With `use_watch_list` the initial state comes from a watch with `sendInitialEvents=true`
(streamed ADDED events up to the `k8s.io/initial-events-end` bookmark) instead of a list.

The reflector does not interpret objects; it hands them to a `ReflectorSink` (the informer).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import AsyncIterator
from typing import Any, Protocol

import aiohttp

from kubelite.api.errors import APIError, Gone
from kubelite.api.types import Object
from kubelite.client.resource import ResourceClient
from kubelite.client.watch import EventType, WatchEvent
from kubelite.util.clock import Clock, RealClock

log = logging.getLogger("kubelite.client.reflector")

_TRANSIENT = (aiohttp.ClientError, OSError, asyncio.TimeoutError, APIError)


class ReflectorSink(Protocol):
    def replace(self, objs: list[Object], resource_version: str) -> None:
        """The complete state at `resource_version`; objects absent from it were deleted."""
        ...

    def apply(self, event: WatchEvent) -> None:
        """One ADDED, MODIFIED or DELETED event, in resourceVersion order."""
        ...


class Reflector:
    def __init__(
        self,
        resources: ResourceClient,
        sink: ReflectorSink,
        *,
        namespace: str | None = None,
        label_selector: str | None = None,
        field_selector: str | None = None,
        page_size: int = 500,
        use_watch_list: bool = False,
        clock: Clock | None = None,
        min_watch_timeout: float = 300.0,
        backoff_initial: float = 0.8,
        backoff_max: float = 30.0,
    ) -> None:
        self.resources = resources
        self.sink = sink
        self.namespace = namespace
        self.label_selector = label_selector
        self.field_selector = field_selector
        self.page_size = page_size
        self.use_watch_list = use_watch_list
        self.clock = clock or RealClock()
        self.min_watch_timeout = min_watch_timeout
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.last_sync_resource_version = ""
        self.lists = 0  # how many times the state was (re)loaded; for tests and metrics
        self.name = resources.resource.plural
        self._backoff = 0.0

    async def run(self) -> None:
        """List and watch until cancelled."""
        while True:
            try:
                if not self.last_sync_resource_version and self.use_watch_list:
                    await self._watch_list()
                else:
                    if not self.last_sync_resource_version:
                        await self._list()
                    await self._watch()
                self._backoff = 0.0
            except Gone:
                log.info("watch expired, listing again", extra={"resource": self.name})
                self.last_sync_resource_version = ""
            except _TRANSIENT as err:
                await self._back_off(err)

    async def _back_off(self, err: BaseException) -> None:
        self._backoff = min(self.backoff_max, self._backoff * 2 or self.backoff_initial)
        log.debug("list/watch failed, retrying: %s", err, extra={"resource": self.name})
        await self.clock.sleep(self._backoff)

    def _selectors(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "label_selector": self.label_selector,
            "field_selector": self.field_selector,
        }

    async def _list(self) -> None:
        items, rv = await self.resources.list_all(page_size=self.page_size, **self._selectors())
        self.sink.replace(items, rv)
        self.last_sync_resource_version = rv
        self.lists += 1

    async def _watch_list(self) -> None:
        items: list[Object] = []
        async with self.resources.watch(
            send_initial_events=True, allow_bookmarks=True, **self._selectors()
        ) as events:
            async for event in events:
                if event.is_initial_events_end():
                    self.sink.replace(items, event.resource_version)
                    self.last_sync_resource_version = event.resource_version
                    self.lists += 1
                    break
                if event.type is EventType.ADDED:
                    items.append(event.object)
            else:
                raise aiohttp.ClientPayloadError("watch-list stream ended before its bookmark")
            await self._consume(events)  # the same stream carries the changes that follow

    async def _watch(self) -> None:
        timeout = int(self.min_watch_timeout * (1 + random.random()))
        async with self.resources.watch(
            resource_version=self.last_sync_resource_version,
            allow_bookmarks=True,
            timeout_seconds=timeout,
            **self._selectors(),
        ) as events:
            await self._consume(events)

    async def _consume(self, events: AsyncIterator[WatchEvent]) -> None:
        async for event in events:
            if event.type is not EventType.BOOKMARK:
                self.sink.apply(event)
            self.last_sync_resource_version = event.resource_version or self.last_sync_resource_version
            self._backoff = 0.0
