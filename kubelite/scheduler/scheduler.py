"""The scheduler: one loop that decides, binding tasks that act, informers that keep it current.

    informers ──(eventhandlers.py)──▶ cache (nodes, bound and assumed pods)
                                      queue (pending pods of our profiles)
    schedule_one, one pod at a time:
      pop ─▶ snapshot ─▶ filter/score (algorithm.py) ─▶ assume on the node ─▶ Reserve ─▶ Permit
        │                         │ fits nowhere
        │                         └─▶ PostFilter (preemption) ─▶ FailedScheduling event,
        │                             PodScheduled=False condition, back to the queue
        └─▶ binding task (not awaited): WaitOnPermit ─▶ PreBind ─▶ Bind ─▶ "Scheduled" event
              failure: Unreserve, forget the assumed pod, back to the queue

The loop never waits for an API call on the success path: the binding runs as its own task
while the next pod is already being placed (the cache counts the assumed pod). On the
failure path the pod's status and event are written by background tasks too.

Profiles: pods name one with spec.schedulerName (default "default-scheduler"); pods naming
a scheduler no profile serves are left alone for the scheduler that serves it.

Leadership: `warm_up()` starts the informers on every instance, so a standby's cache and
queue are current; `lead()` runs the loop only on the leader. When a term ends, binding and
scheduling in flight are abandoned: their assumed pods are forgotten and the pods queued
again, unless the API server already shows them bound.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

from kubelite.api.errors import APIError
from kubelite.api.meta import format_wall
from kubelite.api.types import Object
from kubelite.client.events import EventRecorder
from kubelite.client.informer import SharedInformer, SharedInformerFactory
from kubelite.client.resource import PatchType
from kubelite.scheduler import eventhandlers
from kubelite.scheduler.algorithm import Algorithm, SchedulingError
from kubelite.scheduler.cache import Cache, Snapshot
from kubelite.scheduler.config.types import SchedulerConfiguration
from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.diagnosis import FitError, NoNodesAvailable
from kubelite.scheduler.framework.events import ASSIGNED_POD_DELETE
from kubelite.scheduler.framework.handle import Handle, Listers
from kubelite.scheduler.framework.runtime import Framework, FrameworkError
from kubelite.scheduler.framework.status import Code, Status
from kubelite.scheduler.framework.types import PodInfo
from kubelite.scheduler.metrics import ERROR, SCHEDULED, UNSCHEDULABLE, SchedulerMetrics
from kubelite.scheduler.plugins.registry import Registry, in_tree_registry
from kubelite.scheduler.queue import QueuedPodInfo, SchedulingQueue
from kubelite.util.clock import Clock, RealClock

log = logging.getLogger("kubelite.scheduler")

NOTE_LENGTH_LIMIT = 1024
EVENT_WRITERS = 4


def truncate_message(message: str) -> str:
    if len(message) <= NOTE_LENGTH_LIMIT:
        return message
    return message[: NOTE_LENGTH_LIMIT - 4] + " ..."


class Scheduler:
    def __init__(
        self,
        client: Any,
        config: SchedulerConfiguration,
        *,
        registry: Registry | None = None,
        metrics: SchedulerMetrics | None = None,
        clock: Clock | None = None,
        identity: str = "",
    ) -> None:
        self.client = client
        self.config = config
        self.clock = clock or RealClock()
        self.metrics = metrics
        self.cache = Cache()
        self.snapshot = Snapshot()
        self.informers = SharedInformerFactory(client, clock=self.clock)
        # Terminal pods hold no resources and need no scheduling: the scheduler's pod watch
        # leaves them out, as kube-scheduler's does.
        self.pod_informer = SharedInformer(
            client.resource("pods"),
            field_selector="status.phase!=Succeeded,status.phase!=Failed",
            clock=self.clock,
        )
        self.node_informer = self.informers.informer("nodes")
        listers = Listers(
            namespaces=self.informers.lister("namespaces"),
            pods=self.pod_informer.lister,
            services=self.informers.lister("services"),
            replication_controllers=self.informers.lister("replicationcontrollers"),
            replica_sets=self.informers.lister("replicasets", group="apps"),
            stateful_sets=self.informers.lister("statefulsets", group="apps"),
            pvcs=self.informers.lister("persistentvolumeclaims"),
            pvs=self.informers.lister("persistentvolumes"),
            storage_classes=self.informers.lister("storageclasses", group="storage.k8s.io"),
            pdbs=self.informers.lister("poddisruptionbudgets", group="policy"),
        )
        self.queue = SchedulingQueue(
            lambda a, b: False,
            clock=self.clock,
            initial_backoff=config.pod_initial_backoff_seconds,
            max_backoff=config.pod_max_backoff_seconds,
        )
        self.recorders: list[EventRecorder] = []
        self.profiles: dict[str, Framework] = {}
        registry = registry if registry is not None else in_tree_registry()
        for profile in config.profiles:
            recorder = EventRecorder(
                client, component=profile.scheduler_name, host=identity, clock=self.clock, queue_size=10000
            )
            self.recorders.append(recorder)
            handle = Handle(
                client=client,
                listers=listers,
                snapshot=self.snapshot,
                nominator=self.queue.nominator,
                recorder=recorder,
                clock=self.clock,
                metrics=metrics,
            )
            observe = metrics.observer(profile.scheduler_name) if metrics else None
            self.profiles[profile.scheduler_name] = Framework(profile, registry, handle, observe=observe)
        self._wire_queue()
        self.algorithm = Algorithm(self.snapshot, config.percentage_of_nodes_to_score)
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_cycle: QueuedPodInfo | None = None
        # Bindings and status writes in flight at once: no more than the client's connection
        # pool holds, so the rest wait here - not inside a request, whose timeout would run
        # out while it waited for a connection (then failed bindings beget retries and more
        # writes: a spiral seen at 1,000 nodes). The scheduling loop is not held up.
        pool = getattr(getattr(client, "config", None), "max_connections", 0) or 64
        self._api_slots = asyncio.Semaphore(pool)
        eventhandlers.register(self)
        if metrics is not None:
            metrics.watch_queue(self.queue.counts)

    def _wire_queue(self) -> None:
        sorts = {fw.points["queueSort"][0].NAME for fw in self.profiles.values()}
        if len(sorts) > 1:
            raise FrameworkError("all profiles must use the same queue sort plugin")
        first = next(iter(self.profiles.values()))
        self.queue.less = first.queue_sort_less
        self.queue.pre_enqueue = self._pre_enqueue
        self.queue.event_map = {name: fw.events_to_register() for name, fw in self.profiles.items()}

    def _pre_enqueue(self, info: PodInfo) -> Status | None:
        fw = self.profiles.get(info.scheduler_name)
        return fw.run_pre_enqueue_plugins(info) if fw is not None else None

    def responsible_for(self, pod: Object) -> bool:
        return ((pod.get("spec") or {}).get("schedulerName") or "default-scheduler") in self.profiles

    # ---- lifetime ----

    async def warm_up(self) -> None:
        """Start the informers (on every instance) and wait until their caches are filled."""
        self.informers.start()
        self._spawn(self.pod_informer.run(), "pod informer")
        await self.informers.wait_for_cache_sync()
        await self.pod_informer.wait_for_sync()

    def ready(self) -> str | None:
        """The readyz check: None once the caches are synced."""
        synced = self.pod_informer.has_synced() and self.node_informer.has_synced()
        return None if synced else "informers not synced"

    async def lead(self) -> None:
        """Schedule until cancelled (the leader's term)."""
        leading: set[asyncio.Task[None]] = set()
        try:
            async with asyncio.TaskGroup() as tg:
                leading.add(tg.create_task(self.queue.run()))
                for recorder in self.recorders:
                    for _ in range(EVENT_WRITERS):
                        leading.add(tg.create_task(recorder.run()))
                leading.add(tg.create_task(self._loop()))
        finally:
            await asyncio.shield(self._abandon())

    async def run(self, ready: asyncio.Event | None = None) -> None:
        """Warm up and schedule (no leader election): for tests and embedding."""
        try:
            await self.warm_up()
            if ready is not None:
                ready.set()
            await self.lead()
        finally:
            await self.stop()

    async def stop(self) -> None:
        await self.informers.shutdown()
        for t in list(self._tasks):
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _spawn(self, coro: Any, name: str) -> None:
        task = asyncio.ensure_future(coro)
        task.set_name(name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _abandon(self) -> None:
        """End of a term: stop binding, give assumed and in-flight pods back to the queue."""
        binding = [t for t in self._tasks if t.get_name().startswith("bind ")]
        for t in binding:
            t.cancel()
        await asyncio.gather(*binding, return_exceptions=True)
        if self._in_cycle is not None:
            self._requeue_latest(self._in_cycle.info)
            self._in_cycle = None

    def _requeue_latest(self, info: PodInfo) -> None:
        self.queue.done(info.uid)
        latest = self.pod_informer.indexer.get(info.key)
        if (
            latest is not None
            and not (latest.get("spec") or {}).get("nodeName")
            and self.responsible_for(latest)
        ):
            self.queue.add(PodInfo(latest))

    # ---- the scheduling loop ----

    async def _loop(self) -> None:
        while True:
            qpi = await self.queue.pop()
            self._in_cycle = qpi
            try:
                await self.schedule_one(qpi)
            finally:
                self._in_cycle = None

    async def schedule_one(self, qpi: QueuedPodInfo) -> None:
        pod = qpi.info
        fw = self.profiles.get(pod.scheduler_name)
        if fw is None or pod.deleting or self.cache.is_assumed(pod.uid):
            self.queue.done(pod.uid)
            return
        start = time.perf_counter()
        cycle = self.queue.scheduling_cycle
        state = CycleState()
        self.cache.update_snapshot(self.snapshot)
        try:
            result = self.algorithm.schedule_pod(fw, state, pod)
        except FitError as err:
            await self._unschedulable(fw, state, qpi, err, start, cycle)
            return
        except NoNodesAvailable as err:
            status = Status(Code.UNSCHEDULABLE_AND_UNRESOLVABLE, (str(err),))
            self._failure(fw, qpi, status, str(err), None, start, cycle)
            return
        except SchedulingError as err:
            log.warning("error selecting a node for the pod: %s", err, extra={"pod": pod.key})
            self._failure(fw, qpi, err.status, str(err), None, start, cycle)
            return
        self._assume_and_bind(fw, state, qpi, result.suggested_host, start, cycle)

    async def _unschedulable(
        self, fw: Framework, state: CycleState, qpi: QueuedPodInfo, err: FitError, start: float, cycle: int
    ) -> None:
        nominated: str | None = None
        if fw.has_post_filter_plugins():
            result, status = await fw.run_post_filter_plugins(state, qpi.info, err.diagnosis.node_to_status)
            if status is not None and status.code is Code.ERROR:
                log.warning("PostFilter failed: %s", status.message(), extra={"pod": qpi.info.key})
            if status is not None:
                err.diagnosis.post_filter_msg = status.message()
            if result is not None:
                nominated = result.nominated_node_name
        qpi.unschedulable_plugins = set(err.diagnosis.unschedulable_plugins)
        qpi.pending_plugins = set(err.diagnosis.pending_plugins)
        status = Status(Code.UNSCHEDULABLE, (str(err),))
        self._failure(fw, qpi, status, str(err), nominated, start, cycle)

    def _assume_and_bind(
        self, fw: Framework, state: CycleState, qpi: QueuedPodInfo, host: str, start: float, cycle: int
    ) -> None:
        pod = qpi.info
        assumed = PodInfo({**pod.pod, "spec": {**pod.spec, "nodeName": host}})
        try:
            self.cache.assume_pod(assumed)
        except ValueError as err:
            self._failure(fw, qpi, Status.as_error(err), str(err), "", start, cycle)
            return
        self.queue.nominator.delete(pod.uid)
        status = fw.run_reserve_plugins_reserve(state, assumed, host)
        if status is None:
            status = fw.run_permit_plugins(state, assumed, host)
            if status is not None and status.code is Code.WAIT:
                status = None
        if status is not None:
            fw.run_reserve_plugins_unreserve(state, assumed, host)
            self.cache.forget_pod(assumed)
            if status.is_rejected() and status.plugin:
                qpi.unschedulable_plugins = {status.plugin}
            self._failure(fw, qpi, status, status.message(), "", start, cycle)
            return
        self._spawn(self._binding_cycle(fw, state, qpi, assumed, host, start, cycle), f"bind {pod.key}")

    async def _binding_cycle(
        self,
        fw: Framework,
        state: CycleState,
        qpi: QueuedPodInfo,
        assumed: PodInfo,
        host: str,
        start: float,
        cycle: int,
    ) -> None:
        try:
            status = await fw.wait_on_permit(assumed)
            if status is None:
                self.queue.done(assumed.uid)
                async with self._api_slots:
                    status = await fw.run_pre_bind_plugins(state, assumed, host)
                    if status is None:
                        status = await fw.run_bind_plugins(state, assumed, host)
            self.cache.finish_binding(assumed)
        except asyncio.CancelledError:
            fw.run_reserve_plugins_unreserve(state, assumed, host)
            self.cache.forget_pod(assumed)
            self._requeue_latest(qpi.info)
            raise
        if status is not None:
            self._binding_failed(fw, state, qpi, assumed, host, status, start, cycle)
            return
        pod = assumed.pod
        fw.handle.recorder.event(
            pod, "Normal", "Scheduled", f"Successfully assigned {assumed.namespace}/{assumed.name} to {host}"
        )
        if self.metrics is not None:
            self.metrics.attempt(SCHEDULED, fw.profile_name, time.perf_counter() - start)
            first = qpi.initial_attempt_timestamp or self.clock.now()
            self.metrics.scheduled(qpi.attempts, self.clock.now() - first)
        fw.run_post_bind_plugins(state, assumed, host)

    def _binding_failed(
        self,
        fw: Framework,
        state: CycleState,
        qpi: QueuedPodInfo,
        assumed: PodInfo,
        host: str,
        status: Status,
        start: float,
        cycle: int,
    ) -> None:
        log.info("binding failed: %s", status.message(), extra={"pod": assumed.key, "node": host})
        fw.run_reserve_plugins_unreserve(state, assumed, host)
        self.cache.forget_pod(assumed)
        # The room the assumed pod held is free again: other parked pods may fit now.
        self.queue.move_all_to_active_or_backoff(
            ASSIGNED_POD_DELETE, assumed.pod, None, precheck=lambda p: p.uid != assumed.uid
        )
        qpi.unschedulable_plugins = {status.plugin} if status.is_rejected() and status.plugin else set()
        self._failure(fw, qpi, status, status.message(), "", start, cycle)

    # ---- failures ----

    def _failure(
        self,
        fw: Framework,
        qpi: QueuedPodInfo,
        status: Status,
        message: str,
        nominated: str | None,
        start: float,
        cycle: int,
    ) -> None:
        """Back to the queue; FailedScheduling event; PodScheduled=False (and nomination)."""
        reason = "Unschedulable" if status.is_rejected() else "SchedulerError"
        if self.metrics is not None:
            result = UNSCHEDULABLE if reason == "Unschedulable" else ERROR
            self.metrics.attempt(result, fw.profile_name, time.perf_counter() - start)
        pod = qpi.info
        latest = self.pod_informer.indexer.get(pod.key)
        if latest is None or (latest.get("spec") or {}).get("nodeName"):
            self.queue.done(pod.uid)  # deleted meanwhile, or bound by someone else
        else:
            if latest is not pod.pod:
                qpi.info = PodInfo(latest)
            self.queue.add_unschedulable_if_not_present(qpi, cycle)
        if nominated is not None:
            self.queue.nominator.add(qpi.info, nominated)
        message = truncate_message(message)
        fw.handle.recorder.event(pod.pod, "Warning", "FailedScheduling", message)
        self._spawn(self._update_pod_status(qpi.info.pod, reason, message, nominated), f"status {pod.key}")

    async def _update_pod_status(self, pod: Object, reason: str, message: str, nominated: str | None) -> None:
        status = pod.get("status") or {}
        current = next((c for c in status.get("conditions") or () if c.get("type") == "PodScheduled"), None)
        patch: Object = {}
        if current is None or (current.get("status"), current.get("reason"), current.get("message")) != (
            "False",
            reason,
            message,
        ):
            changed = current is None or current.get("status") != "False"
            condition = {
                "type": "PodScheduled",
                "status": "False",
                "reason": reason,
                "message": message,
                "lastProbeTime": None,
                "lastTransitionTime": format_wall(self.clock.wall())
                if changed or current is None
                else current.get("lastTransitionTime"),
            }
            patch["conditions"] = [condition]
        if nominated is not None and (status.get("nominatedNodeName") or "") != nominated:
            patch["nominatedNodeName"] = nominated or None
        if not patch:
            return
        md = pod["metadata"]
        try:
            async with self._api_slots:
                await self.client.resource("pods").patch(
                    md["name"],
                    {"status": patch},
                    namespace=md.get("namespace"),
                    subresource="status",
                    patch_type=PatchType.STRATEGIC,
                )
        except (APIError, OSError) as err:
            log.info(
                "could not update the pod's status: %s",
                err,
                extra={"pod": f"{md.get('namespace')}/{md['name']}"},
            )
