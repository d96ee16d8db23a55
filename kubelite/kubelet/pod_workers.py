"""Pod workers: one task per pod, each a small state machine driven by updates.

    update(pod) ──► SYNCING ──────────────────────────────────────────────┐
                      │  sync(pod): one step toward the spec (sync.py),     │ new spec, PLEG event,
                      │  then the status is written if it changed           │ probe result, back-off
                      │                                                     │ expiring: step again
                      │◄────────────────────────────────────────────────────┘
                      │ deletionTimestamp set, pod gone from the API, phase terminal,
                      │ or the kubelet fails it (rejected at admission, activeDeadlineSeconds)
                      │ or evicted (evict(): grace 0, final status Failed with its reason)
                      ▼
                 TERMINATING  preStop hooks and stop every container within the grace
                      │       period (deletionGracePeriodSeconds, else the spec's), stop
                      │       the sandbox, write the final status
                      ▼
                 TERMINATED   deleting: delete the API object (grace 0, uid precondition)
                      │       and remove containers and sandbox; terminal phase: wait
                      ▼       for the deletion
                  (removed)   the worker's task ends and the uid is forgotten

A worker never runs two steps at once: updates only record the newest pod and wake it
(like client-go's workqueue never handing one key to two workers). Informer handlers call
`update`/`deleted`, which return at once.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Callable
from typing import Any

from kubelite.api.errors import APIError, NotFound
from kubelite.api.meta import format_wall
from kubelite.api.pods import grace_period, is_deleting, is_terminal
from kubelite.api.types import Object
from kubelite.client.resource import PatchType
from kubelite.cri import api_pb2 as pb
from kubelite.cri.errors import CRIError
from kubelite.kubelet import deadline
from kubelite.kubelet.cgroups import remove_cgroup
from kubelite.kubelet.prober.manager import ProbeManager
from kubelite.kubelet.runtime_state import fetch
from kubelite.kubelet.status import StatusInputs, pod_status
from kubelite.kubelet.sync import PodSyncer
from kubelite.util.clock import Clock

log = logging.getLogger("kubelite.kubelet.podworkers")


class WorkerState(enum.Enum):
    SYNCING = "Syncing"
    TERMINATING = "Terminating"
    TERMINATED = "Terminated"


class PodWorker:
    def __init__(self, owner: PodWorkers, pod: Object) -> None:
        self.owner = owner
        self.pod = pod
        self.uid: str = pod["metadata"]["uid"]
        self.state = WorkerState.SYNCING
        self.gone = False  # the API object is gone (or the static file removed)
        self.wake = asyncio.Event()
        self.start_time = pod.get("status", {}).get("startTime") or format_wall(owner.clock.wall())
        self.last_status: Object | None = None
        self.failure: tuple[str, str] | None = None  # why the kubelet failed the pod itself
        self.evicted: tuple[str, str] | None = None  # (reason, message) of the eviction manager
        self.task: asyncio.Task[None] | None = None

    def kick(self) -> None:
        self.wake.set()

    async def run(self) -> None:
        while True:
            self.wake.clear()
            try:
                retry_in = await self.step()
            except asyncio.CancelledError:
                raise
            except Exception as err:
                log.warning(
                    "pod sync failed, will retry: %s",
                    err,
                    extra={"pod": self.uid},
                    exc_info=not isinstance(err, (APIError, CRIError)),
                )
                retry_in = 1.0
            if self.state is WorkerState.TERMINATED and self.gone:
                return
            await self._wait(retry_in)

    async def _wait(self, timeout: float | None) -> None:
        o = self.owner
        limit = o.sync_frequency if timeout is None else min(timeout, o.sync_frequency)
        sleeper = asyncio.ensure_future(o.clock.sleep(limit))
        waker = asyncio.ensure_future(self.wake.wait())
        try:
            await asyncio.wait([sleeper, waker], return_when=asyncio.FIRST_COMPLETED)
        finally:
            sleeper.cancel()
            waker.cancel()

    async def step(self) -> float | None:
        pod = self.pod
        ending = self.gone or is_deleting(pod) or is_terminal(pod) or self.evicted is not None
        if self.state is WorkerState.SYNCING and ending:
            self.state = WorkerState.TERMINATING
        if self.state is WorkerState.SYNCING and self._fail_if_refused():
            self.state = WorkerState.TERMINATING
        if self.state is WorkerState.SYNCING:
            result = await self.owner.syncer.sync(pod)
            status = await self.write_status(result.state, result.waiting)
            self._probe_sync(result.state)
            if status.get("phase") in ("Succeeded", "Failed"):
                self.state = WorkerState.TERMINATING
                self.kick()
            left = deadline.remaining(pod, self.start_time, self.owner.clock.wall())
            if left is not None:
                result.retry_after(max(left, 0.0))
            return result.retry_in
        if self.state is WorkerState.TERMINATING:
            await self.terminate()
            self.state = WorkerState.TERMINATED
        if self.state is WorkerState.TERMINATED and (self.gone or is_deleting(pod)):
            await self.finish()
        return None

    def _fail_if_refused(self) -> bool:
        """Whether the kubelet fails the pod itself: rejected at admission (a forbidden
        sysctl) before anything of it ran, or past its activeDeadlineSeconds."""
        o, pod = self.owner, self.pod
        if self.last_status is None and not (pod.get("status") or {}).get("containerStatuses"):
            why = o.admit(pod)
            if why is not None:
                reason, message = why
                o.record(pod, "Warning", reason, message)
                self.failure = (reason, f"Pod was rejected: {message}")
                return True
        left = deadline.remaining(pod, self.start_time, o.clock.wall())
        if left is not None and left <= 0:
            o.record(pod, "Normal", deadline.REASON, deadline.MESSAGE)
            self.failure = (deadline.REASON, deadline.MESSAGE)
            return True
        return False

    def _probe_sync(self, state: Any) -> None:
        running = []
        spec = self.pod.get("spec") or {}
        by_name = {c["name"]: c for c in spec.get("containers") or []}
        for c in state.containers:
            if (
                c.state == pb.CONTAINER_RUNNING
                and c.metadata.name in by_name
                and c.labels.get("kubelite.io/init-container") != "true"
            ):
                ago = max(0.0, self.owner.clock.wall() - c.started_at / 1e9)
                running.append((by_name[c.metadata.name], c.id, ago))
        # Probes go to the pod's IP as its status reports it: the node's for a hostNetwork pod.
        pod_ip = (self.last_status or {}).get("podIP") or state.pod_ip
        self.owner.probes.sync(self.uid, pod_ip, running)

    async def write_status(
        self, state: Any, waiting: dict[str, tuple[str, str]], *, terminating: bool = False
    ) -> Object:
        o = self.owner
        inputs = StatusInputs(
            runtime_name=o.runtime_name,
            host_ip=o.host_ip,
            start_time=self.start_time,
            now=format_wall(o.clock.wall()),
            waiting=waiting,
            ready=o.probes.ready,
            started=o.probes.started,
            terminating=terminating,
            failure=self.failure,
        )
        base = self.pod if self.last_status is None else {**self.pod, "status": self.last_status}
        status = pod_status(base, state, inputs)
        if self.evicted is not None:
            status = {**status, "phase": "Failed", "reason": self.evicted[0], "message": self.evicted[1]}
        if status != self.last_status and not self.gone:
            await o.status_writer(self.pod, status)
            self.last_status = status
        return status

    async def terminate(self) -> None:
        """Stop every container within the grace period, then the sandbox."""
        o, pod = self.owner, self.pod
        o.probes.remove_pod(self.uid)
        state = await fetch(o.runtime, self.uid)
        grace = 0 if self.evicted is not None else grace_period(pod)
        spec = pod.get("spec") or {}
        by_name = {
            c["name"]: c for c in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]
        }
        running = state.running()
        for c in running:
            o.record(pod, "Normal", "Killing", f"Stopping container {c.metadata.name}")
        await asyncio.gather(
            *(o.syncer.stop_container(pod, by_name.get(c.metadata.name), c, grace=grace) for c in running)
        )
        for s in state.sandboxes:
            await o.runtime.stop_pod_sandbox(s.id)
        if not self.gone:
            final = await fetch(o.runtime, self.uid)
            await self.write_status(final, {}, terminating=True)

    async def finish(self) -> None:
        """Delete the API object (it was being deleted), then the containers and sandboxes."""
        o, md = self.owner, self.pod["metadata"]
        if not self.gone:
            await o.delete_pod(self.pod)
        state = await fetch(o.runtime, self.uid)
        for s in state.sandboxes:
            await o.runtime.remove_pod_sandbox(s.id)
        if cgroup := o.syncer.pod_cgroup(self.pod):
            await asyncio.to_thread(remove_cgroup, cgroup)
        await o.syncer.tear_down_volumes(self.pod)
        self.gone = True
        o.forget(self.uid)
        log.info("pod terminated and removed", extra={"pod": f"{md.get('namespace')}/{md['name']}"})


StatusWriter = Callable[[Object, Object], Any]


class PodWorkers:
    def __init__(
        self,
        *,
        runtime: Any,
        syncer: PodSyncer,
        probes: ProbeManager,
        clock: Clock,
        record: Callable[[Object, str, str, str], None],
        status_writer: StatusWriter,
        delete_pod: Callable[[Object], Any],
        host_ip: str,
        runtime_name: str = "kubelite",
        sync_frequency: float = 60.0,
        admit: Callable[[Object], tuple[str, str] | None] = lambda pod: None,
    ) -> None:
        self.runtime = runtime
        self.syncer = syncer
        self.probes = probes
        self.clock = clock
        self.record = record
        self.status_writer = status_writer
        self.delete_pod = delete_pod
        self.host_ip = host_ip
        self.runtime_name = runtime_name
        self.sync_frequency = sync_frequency
        self.admit = admit  # (reason, message) refusing a pod at admission, else None
        self.workers: dict[str, PodWorker] = {}
        self._done: set[str] = set()

    def update(self, pod: Object) -> None:
        """A new or changed pod: hand it to its worker (starting one)."""
        uid = pod["metadata"].get("uid", "")
        if not uid or uid in self._done:
            return
        w = self.workers.get(uid)
        if w is None:
            w = self.workers[uid] = PodWorker(self, pod)
            w.task = asyncio.create_task(w.run(), name=f"pod worker {uid}")
        w.pod = pod
        w.kick()

    def deleted(self, pod: Object) -> None:
        """The pod is gone from the API: stop it now if it still runs."""
        w = self.workers.get(pod["metadata"].get("uid", ""))
        if w is not None:
            w.gone = True
            w.kick()

    def running_pods(self) -> list[Object]:
        return [w.pod for w in self.workers.values() if w.state is WorkerState.SYNCING and w.evicted is None]

    def evict(self, pod: Object, reason: str, message: str) -> None:
        """Stop the pod at once (grace 0) and leave it Failed with `reason` and `message`."""
        w = self.workers.get(pod["metadata"].get("uid", ""))
        if w is not None and w.evicted is None:
            w.evicted = (reason, message)
            w.kick()

    def resend_status(self, uid: str) -> None:
        """The pod's API object was replaced (a static pod's mirror recreated): write its
        status again even if it did not change."""
        w = self.workers.get(uid)
        if w is not None:
            w.last_status = None
            w.kick()

    def wake(self, uid: str) -> None:
        w = self.workers.get(uid)
        if w is not None:
            w.kick()

    def forget(self, uid: str) -> None:
        self.workers.pop(uid, None)
        self._done.add(uid)

    async def shutdown(self) -> None:
        tasks = [w.task for w in self.workers.values() if w.task]
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def write_pod_status(pods: Any, pod: Object, status: Object) -> None:
    """Merge-patch /status; a pod deleted meanwhile is not an error."""
    md = pod["metadata"]
    try:
        await pods.patch(
            md["name"],
            {"status": status},
            namespace=md.get("namespace"),
            subresource="status",
            patch_type=PatchType.MERGE,
        )
    except NotFound:
        pass


async def delete_pod_object(pods: Any, pod: Object) -> None:
    md = pod["metadata"]
    try:
        await pods.delete(
            md["name"],
            namespace=md.get("namespace"),
            grace_period_seconds=0,
            preconditions={"uid": md.get("uid", "")},
        )
    except NotFound:
        pass
