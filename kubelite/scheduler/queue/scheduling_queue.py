"""The scheduling queue: an active queue, a back-off queue, and the unschedulable pods.

                  add (new pending pod)          flush every 1 s: back-off over
    informer ───────────────────────▶ activeQ ◀──────────────────────── backoffQ
                                     (priority,                              ▲
                                      then arrival)                          │ cluster event
                                         │ pop                               │ while still
                                         ▼                                   │ backing off
                                  scheduling cycle ── fails ──▶ unschedulable pods
                                         │                      (until a cluster event a
                                         │ error, or an event    rejecting plugin cares about,
                                         │ came during the cycle or 5 min without one,
                                         └─────────────────▶ backoffQ   flushed every 30 s)

- The active queue pops the pod the QueueSort plugin puts first (PrioritySort: highest
  priority, then earliest arrival).
- A pod that failed is retried after a back-off of 1 s doubling per attempt up to 10 s
  (podInitialBackoffSeconds, podMaxBackoffSeconds).
- A pod rejected as unschedulable waits among the unschedulable pods with the names of the
  plugins that rejected it. A cluster event (node added or changed, pod deleted, ...) moves
  it back only when one of those plugins registered the event and its hint says the event
  may help; to the back-off queue if its back-off has not run out, else the active queue.
- If a cluster event arrived while the pod was being scheduled, a failure sends it to the
  back-off queue instead: the event may already have made it schedulable.
- Pods held by a PreEnqueue plugin (scheduling gates) wait "gated" until they change.

Every timer reads the injected clock; `run()` drives the periodic flushes.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable
from typing import Any

from kubelite.api.types import Object
from kubelite.scheduler.framework import events as ev
from kubelite.scheduler.framework.events import ClusterEvent, ClusterEventWithHint, QueueingHint
from kubelite.scheduler.framework.status import Status, is_success
from kubelite.scheduler.framework.types import PodInfo
from kubelite.scheduler.queue.nominator import Nominator
from kubelite.scheduler.queue.queued import QueuedPodInfo
from kubelite.util.clock import Clock, RealClock

Less = Callable[[QueuedPodInfo, QueuedPodInfo], bool]
# profile (schedulerName) -> plugin name -> the events it registered
EventMap = dict[str, dict[str, list[ClusterEventWithHint]]]
PreEnqueue = Callable[[PodInfo], Status | None]

BACKOFF_FLUSH_PERIOD = 1.0
UNSCHEDULABLE_FLUSH_PERIOD = 30.0


class _Entry:
    """A heap entry ordered by the QueueSort plugin's `less`."""

    __slots__ = ("less", "qpi")

    def __init__(self, qpi: QueuedPodInfo, less: Less) -> None:
        self.qpi, self.less = qpi, less

    def __lt__(self, other: _Entry) -> bool:
        return self.less(self.qpi, other.qpi)


def pod_updated(old: Object, new: Object) -> bool:
    """Whether anything but status, resourceVersion and generation changed (a status-only
    update, such as the scheduler's own PodScheduled condition, must not retry the pod)."""

    def strip(pod: Object) -> tuple[Any, ...]:
        md = {
            k: v
            for k, v in pod["metadata"].items()
            if k not in ("resourceVersion", "generation", "managedFields")
        }
        return md, pod.get("spec")

    return strip(old) != strip(new)


class SchedulingQueue:
    def __init__(
        self,
        less: Less,
        *,
        clock: Clock | None = None,
        initial_backoff: float = 1.0,
        max_backoff: float = 10.0,
        max_in_unschedulable: float = 300.0,
        pre_enqueue: PreEnqueue | None = None,
        event_map: EventMap | None = None,
    ) -> None:
        self.less = less
        self.clock = clock or RealClock()
        self.initial_backoff = initial_backoff
        self.max_backoff = max_backoff
        self.max_in_unschedulable = max_in_unschedulable
        self.pre_enqueue = pre_enqueue
        self.event_map: EventMap = event_map or {}
        self.nominator = Nominator()
        self.scheduling_cycle = 0
        self._move_request_cycle = -1
        self._active: list[_Entry] = []
        self._active_map: dict[str, QueuedPodInfo] = {}
        self._backoff: list[tuple[float, int, QueuedPodInfo]] = []
        self._backoff_map: dict[str, QueuedPodInfo] = {}
        self._unschedulable: dict[str, QueuedPodInfo] = {}
        self._in_flight: dict[str, QueuedPodInfo] = {}
        self._seq = itertools.count()
        self._wakeup = asyncio.Event()
        self._closed = False

    # ---- what is where ----

    def counts(self) -> dict[str, int]:
        """Pending pods per queue, as the scheduler_pending_pods gauge reports them."""
        gated = sum(1 for q in self._unschedulable.values() if q.gated)
        return {
            "active": len(self._active_map),
            "backoff": len(self._backoff_map),
            "unschedulable": len(self._unschedulable) - gated,
            "gated": gated,
        }

    def where(self, uid: str) -> str:
        """ "active", "backoff", "unschedulable", "gated", "in-flight" or "" (for tests)."""
        if uid in self._active_map:
            return "active"
        if uid in self._backoff_map:
            return "backoff"
        if uid in self._unschedulable:
            return "gated" if self._unschedulable[uid].gated else "unschedulable"
        return "in-flight" if uid in self._in_flight else ""

    def get(self, uid: str) -> QueuedPodInfo | None:
        for m in (self._active_map, self._backoff_map, self._unschedulable, self._in_flight):
            if uid in m:
                return m[uid]
        return None

    # ---- informer side ----

    def add(self, info: PodInfo) -> None:
        """A new pending pod."""
        if self.get(info.uid) is not None:
            self.update(info)
            return
        qpi = QueuedPodInfo(info, self.clock.now())
        self._to_active_or_gated(qpi)

    def update(self, info: PodInfo) -> None:
        """A pending pod changed."""
        if info.uid in self._in_flight:
            self._in_flight[info.uid].info = info  # the cycle's outcome decides where it goes
            return
        if self.nominator.node_of(info.uid):
            self.nominator.update(info)
        for m in (self._active_map, self._backoff_map):
            qpi = m.get(info.uid)
            if qpi is not None:
                old_priority = qpi.priority
                qpi.info = info
                if m is self._active_map and info.priority != old_priority:
                    heapq.heappush(self._active, _Entry(qpi, self.less))
                return
        qpi = self._unschedulable.get(info.uid)
        if qpi is None:
            self.add(info)
            return
        old, qpi.info = qpi.info, info
        if qpi.gated:
            del self._unschedulable[info.uid]
            self._to_active_or_gated(qpi)
        elif pod_updated(old.pod, info.pod):
            self._move(qpi)

    def delete(self, uid: str) -> None:
        self.nominator.delete(uid)
        self._active_map.pop(uid, None)
        self._backoff_map.pop(uid, None)
        self._unschedulable.pop(uid, None)
        self._in_flight.pop(uid, None)

    # ---- scheduler side ----

    async def pop(self) -> QueuedPodInfo:
        """The next pod to schedule; waits while the active queue is empty."""
        while True:
            while self._active:
                entry = heapq.heappop(self._active)
                qpi = entry.qpi
                if self._active_map.get(qpi.uid) is not qpi:
                    continue  # deleted or moved since it was pushed
                del self._active_map[qpi.uid]
                qpi.attempts += 1
                if qpi.initial_attempt_timestamp is None:
                    qpi.initial_attempt_timestamp = self.clock.now()
                self.scheduling_cycle += 1
                self._in_flight[qpi.uid] = qpi
                return qpi
            self._wakeup.clear()
            await self._wakeup.wait()

    def done(self, uid: str) -> None:
        """The pod's scheduling attempt is over (bound, or handed back)."""
        self._in_flight.pop(uid, None)

    def add_unschedulable_if_not_present(self, qpi: QueuedPodInfo, pod_scheduling_cycle: int) -> None:
        """Hand back a pod whose attempt failed; `qpi.unschedulable_plugins` says why."""
        self._in_flight.pop(qpi.uid, None)
        if self.get(qpi.uid) is not None:
            return
        qpi.timestamp = self.clock.now()
        rejected = qpi.unschedulable_plugins or qpi.pending_plugins
        if not rejected or self._move_request_cycle >= pod_scheduling_cycle:
            self._push_backoff(qpi)
        else:
            self._unschedulable[qpi.uid] = qpi

    def activate(self, uids: list[str]) -> None:
        """Move these pods to the active queue at once (Kubernetes' Activate)."""
        for uid in uids:
            qpi = self._unschedulable.pop(uid, None) or self._backoff_map.pop(uid, None)
            if qpi is not None and not qpi.gated:
                self._push_active(qpi)
            elif qpi is not None:
                self._unschedulable[uid] = qpi

    def move_all_to_active_or_backoff(
        self,
        event: ClusterEvent,
        old: Object | None = None,
        new: Object | None = None,
        precheck: Callable[[PodInfo], bool] | None = None,
    ) -> int:
        """A cluster event: retry the parked pods it may help. Returns how many moved."""
        moved = 0
        for qpi in list(self._unschedulable.values()):
            if qpi.gated or (precheck is not None and not precheck(qpi.info)):
                continue
            if self._may_help(qpi, event, old, new):
                self._move(qpi)
                moved += 1
        self._move_request_cycle = self.scheduling_cycle
        return moved

    def _may_help(
        self, qpi: QueuedPodInfo, event: ClusterEvent, old: Object | None, new: Object | None
    ) -> bool:
        if event is ev.UNSCHEDULABLE_TIMEOUT or event is ev.FORCE_ACTIVATE:
            return True
        rejected = qpi.unschedulable_plugins | qpi.pending_plugins
        if not rejected:
            return True
        registered = self.event_map.get(qpi.info.scheduler_name, {})
        for plugin in rejected:
            for reg in registered.get(plugin, ()):
                if not event.matches(reg.event):
                    continue
                if reg.hint is None or reg.hint(qpi.info.pod, old, new) is QueueingHint.QUEUE:
                    return True
        return False

    # ---- moving ----

    def backoff_duration(self, attempts: int) -> float:
        d = self.initial_backoff
        for _ in range(1, attempts):
            if d > self.max_backoff - d:
                return self.max_backoff
            d += d
        return d

    def _backoff_expiry(self, qpi: QueuedPodInfo) -> float:
        return qpi.timestamp + self.backoff_duration(qpi.attempts)

    def _move(self, qpi: QueuedPodInfo) -> None:
        self._unschedulable.pop(qpi.uid, None)
        if qpi.attempts and self._backoff_expiry(qpi) > self.clock.now():
            self._push_backoff(qpi)
        else:
            self._push_active(qpi)

    def _to_active_or_gated(self, qpi: QueuedPodInfo) -> None:
        status = self.pre_enqueue(qpi.info) if self.pre_enqueue else None
        if not is_success(status):
            assert status is not None
            qpi.gated, qpi.gating_plugin = True, status.plugin
            self._unschedulable[qpi.uid] = qpi
            return
        qpi.gated, qpi.gating_plugin = False, ""
        self._push_active(qpi)

    def _push_active(self, qpi: QueuedPodInfo) -> None:
        self._active_map[qpi.uid] = qpi
        heapq.heappush(self._active, _Entry(qpi, self.less))
        self._wakeup.set()

    def _push_backoff(self, qpi: QueuedPodInfo) -> None:
        self._backoff_map[qpi.uid] = qpi
        heapq.heappush(self._backoff, (self._backoff_expiry(qpi), next(self._seq), qpi))

    def flush_backoff_completed(self) -> None:
        now = self.clock.now()
        while self._backoff and self._backoff[0][0] <= now:
            _, _, qpi = heapq.heappop(self._backoff)
            if self._backoff_map.get(qpi.uid) is qpi:
                del self._backoff_map[qpi.uid]
                self._push_active(qpi)

    def flush_unschedulable_leftover(self) -> None:
        """Pods parked longer than 5 min are retried even without an event."""
        now = self.clock.now()
        for qpi in list(self._unschedulable.values()):
            if not qpi.gated and now - qpi.timestamp >= self.max_in_unschedulable:
                self._move(qpi)

    async def run(self) -> None:
        """The periodic flushes, until cancelled."""
        since_leftover = 0.0
        while True:
            await self.clock.sleep(BACKOFF_FLUSH_PERIOD)
            self.flush_backoff_completed()
            since_leftover += BACKOFF_FLUSH_PERIOD
            if since_leftover >= UNSCHEDULABLE_FLUSH_PERIOD:
                since_leftover = 0.0
                self.flush_unschedulable_leftover()
