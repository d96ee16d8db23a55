"""The event recorder: core/v1 Events about objects, with Kubernetes' aggregation.

Components report what users should see (`Scheduled`, `FailedMount`, `Killing`) with
`recorder.event(obj, "Normal", "Reason", "message")`. The call never blocks or fails: events
go into a bounded queue that `run()` writes in the background; if the queue is full the
event is dropped, because losing an event is better than stalling a controller.

Repeats do not become new objects. Before writing, the `EventCorrelator` does what
client-go's does:

1. *Aggregate*: events alike except for their message (same source, object, type, reason)
   are counted per 10-minute window; from the 10th distinct message on they are folded into
   one event whose message starts "(combined from similar events): ".
2. *Deduplicate*: an event identical to one already written (same source, object, type,
   reason and message) increments that object's `count` and moves its `lastTimestamp`, by
   a PATCH, keeping its name and `firstTimestamp`.
3. *Filter spam*: each (source, object) pair may emit a burst of 25 events, then one every
   5 minutes; the rest are dropped.

The caches are bounded LRUs (4096 entries, as in Kubernetes).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from kubelite.api.errors import AlreadyExists, APIError, NotFound
from kubelite.api.meta import format_time
from kubelite.api.types import Object
from kubelite.client.flowcontrol import TokenBucket
from kubelite.client.resource import PatchType
from kubelite.util.clock import Clock, RealClock

log = logging.getLogger("kubelite.client.events")

NORMAL, WARNING = "Normal", "Warning"
COMBINED_PREFIX = "(combined from similar events): "
_CACHE_SIZE = 4096


class _LRU(OrderedDict[Any, Any]):
    def touch(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        if len(self) > _CACHE_SIZE:
            self.popitem(last=False)


@dataclass(slots=True)
class _Seen:
    name: str
    namespace: str
    count: int
    first_timestamp: str


@dataclass(slots=True)
class _Similar:
    messages: set[str]
    window_start: float


def _object_key(ev: Object) -> tuple[Any, ...]:
    io, src = ev["involvedObject"], ev.get("source", {})
    return (
        src.get("component"),
        src.get("host"),
        io.get("kind"),
        io.get("namespace"),
        io.get("name"),
        io.get("uid"),
        io.get("apiVersion"),
        io.get("fieldPath"),
    )


class EventCorrelator:
    """Decides, per event, whether to create, update (count+1) or drop. Pure: no I/O."""

    def __init__(
        self,
        clock: Clock,
        *,
        max_similar: int = 10,
        window: float = 600.0,
        spam_burst: int = 25,
        spam_qps: float = 1 / 300,
    ) -> None:
        self.clock = clock
        self.max_similar = max_similar
        self.window = window
        self.spam_burst, self.spam_qps = spam_burst, spam_qps
        self._similar: _LRU = _LRU()
        self._seen: _LRU = _LRU()
        self._spam: _LRU = _LRU()

    def correlate(self, event: Object) -> tuple[Object, bool] | None:
        """(event to write, whether it updates an existing object), or None to drop it."""
        if not self._allowed(event):
            return None
        event, key = self._aggregate(event)
        seen = self._seen.get(key)
        if seen is None:
            self._seen.touch(
                key,
                _Seen(event["metadata"]["name"], event["metadata"]["namespace"], 1, event["firstTimestamp"]),
            )
            return event, False
        seen.count += 1
        self._seen.touch(key, seen)
        event["metadata"]["name"] = seen.name
        event["count"] = seen.count
        event["firstTimestamp"] = seen.first_timestamp
        return event, True

    def forget(self, event: Object) -> None:
        """The write failed: the next identical event creates an object again."""
        for key in [k for k, v in self._seen.items() if v.name == event["metadata"]["name"]]:
            del self._seen[key]

    def _allowed(self, event: Object) -> bool:
        key = _object_key(event)
        bucket = self._spam.get(key)
        if bucket is None:
            bucket = TokenBucket(self.spam_qps, self.spam_burst, clock=self.clock)
        self._spam.touch(key, bucket)
        return bucket.try_take()

    def _aggregate(self, event: Object) -> tuple[Object, tuple[Any, ...]]:
        """The event to dedupe and its dedupe key: with its message, unless combined."""
        similar_key = _object_key(event) + (event.get("type"), event.get("reason"))
        now = self.clock.now()
        similar = self._similar.get(similar_key)
        if similar is None or now - similar.window_start > self.window:
            similar = _Similar(set(), now)
        similar.messages.add(event["message"])
        self._similar.touch(similar_key, similar)
        if len(similar.messages) < self.max_similar:
            return event, similar_key + (event["message"],)
        # From here on every similar event updates one object, whose message is the latest.
        event["message"] = COMBINED_PREFIX + event["message"]
        return event, similar_key


def reference(obj: Object) -> Object:
    """The `involvedObject` for an API object."""
    meta = obj.get("metadata", {})
    ref = {
        "kind": obj.get("kind", ""),
        "apiVersion": obj.get("apiVersion", ""),
        "name": meta.get("name", ""),
        "uid": meta.get("uid", ""),
        "resourceVersion": meta.get("resourceVersion", ""),
    }
    if meta.get("namespace"):
        ref["namespace"] = meta["namespace"]
    return {k: v for k, v in ref.items() if v}


class EventRecorder:
    def __init__(
        self,
        client: Any,
        *,
        component: str,
        host: str = "",
        clock: Clock | None = None,
        queue_size: int = 1000,
    ) -> None:
        self.events = client.resource("events")
        self.component = component
        self.host = host
        self.clock = clock or RealClock()
        self.correlator = EventCorrelator(self.clock)
        self._queue: asyncio.Queue[Object] = asyncio.Queue(queue_size)
        self.dropped = 0
        self._last_nanos = 0

    def _unique_nanos(self) -> int:
        """The wall clock in nanoseconds, as Kubernetes names events, but never the same
        twice from one recorder (two events at one clock reading would collide)."""
        self._last_nanos = max(int(self.clock.wall() * 1e9), self._last_nanos + 1)
        return self._last_nanos

    def event(self, obj: Object, type_: str, reason: str, message: str) -> None:
        """Record that `reason` happened to `obj`; returns at once."""
        ref = reference(obj)
        now = dt.datetime.fromtimestamp(self.clock.wall(), dt.UTC)
        stamp = format_time(now)
        namespace = ref.get("namespace") or "default"
        name = f"{ref.get('name', 'unknown')}.{self._unique_nanos():x}"
        ev = {
            "apiVersion": "v1",
            "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": ref,
            "reason": reason,
            "message": message,
            "type": type_,
            "source": {"component": self.component, **({"host": self.host} if self.host else {})},
            "firstTimestamp": stamp,
            "lastTimestamp": stamp,
            "count": 1,
            "reportingComponent": self.component,
            "reportingInstance": self.host,
        }
        try:
            self._queue.put_nowait(ev)
        except asyncio.QueueFull:
            self.dropped += 1

    async def run(self) -> None:
        """Write queued events until cancelled."""
        while True:
            ev = await self._queue.get()
            try:
                await self._write(ev)
            except Exception as err:  # an event is best effort; never take the component down
                log.warning("could not write event: %s", err, extra={"reason": ev.get("reason")})
            finally:
                self._queue.task_done()

    async def flush(self) -> None:
        """Wait until every queued event has been written (or given up on)."""
        await self._queue.join()

    async def _write(self, ev: Object) -> None:
        decided = self.correlator.correlate(ev)
        if decided is None:
            return
        ev, is_update = decided
        ns = ev["metadata"]["namespace"]
        if is_update:
            patch = {"count": ev["count"], "lastTimestamp": ev["lastTimestamp"], "message": ev["message"]}
            try:
                await self.events.patch(
                    ev["metadata"]["name"], patch, namespace=ns, patch_type=PatchType.STRATEGIC
                )
                return
            except NotFound:
                pass  # deleted (events have a TTL): write it anew under the same name
        try:
            await self.events.create(ev, namespace=ns)
        except AlreadyExists:
            pass
        except APIError:
            self.correlator.forget(ev)
            raise
