"""Probe workers for every running container of every pod, and their results.

The pod worker calls `sync(pod, running)` after each sync with the container instances
that are running; workers of instances that are gone are cancelled, new ones started.
Results are kept by container id; `on_change(uid)` wakes the pod worker. A failed probe
is recorded as a Warning `Unhealthy` event on the pod ("Readiness probe failed: ..."),
as Kubernetes does, when `record` and `pod_of` (the pod of a uid) are given.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from typing import Any

from kubelite.api.types import Object
from kubelite.kubelet.prober.probes import Result
from kubelite.kubelet.prober.worker import LIVENESS, READINESS, STARTUP, ProbeWorker
from kubelite.util.clock import Clock

_FIELDS = {LIVENESS: "livenessProbe", READINESS: "readinessProbe", STARTUP: "startupProbe"}


class ProbeManager:
    def __init__(
        self,
        runtime: Any,
        clock: Clock,
        on_change: Callable[[str], None],
        *,
        record: Callable[[Object, str, str, str], None] | None = None,
        pod_of: Callable[[str], Object | None] = lambda uid: None,
    ) -> None:
        self.runtime = runtime
        self.clock = clock
        self.on_change = on_change
        self.record = record
        self.pod_of = pod_of
        self._workers: dict[tuple[str, str], tuple[ProbeWorker, asyncio.Task[None]]] = {}
        self._by_pod: dict[str, set[tuple[str, str]]] = {}

    def sync(self, uid: str, pod_ip: str, running: list[tuple[Object, str, float]]) -> None:
        """`running`: (container spec, container id, seconds since it started) per running container."""
        wanted: set[tuple[str, str]] = set()
        for container, cid, started_ago in running:
            for kind, fieldname in _FIELDS.items():
                probe = container.get(fieldname)
                if not probe:
                    continue
                key = (cid, kind)
                wanted.add(key)
                if key in self._workers:
                    continue
                if kind != STARTUP and container.get("startupProbe") and not self.started(cid, container):
                    wanted.discard(key)
                    continue  # liveness and readiness wait for the startup probe
                w = ProbeWorker(
                    kind,
                    probe,
                    runtime=self.runtime,
                    container=container,
                    container_id=cid,
                    pod_ip=functools.partial(str, pod_ip),
                    clock=self.clock,
                    started_ago=started_ago,
                    on_change=functools.partial(self._changed, uid),
                    on_failure=functools.partial(self._unhealthy, uid),
                )
                self._workers[key] = (w, asyncio.create_task(w.run(), name=f"probe {kind} {cid[:12]}"))
        for key in self._by_pod.get(uid, set()) - wanted:
            self._stop(key)
        self._by_pod[uid] = wanted

    def _changed(self, uid: str, _worker: ProbeWorker) -> None:
        self.on_change(uid)

    def _unhealthy(self, uid: str, w: ProbeWorker, message: str) -> None:
        pod = self.pod_of(uid)
        if self.record is not None and pod is not None:
            self.record(pod, "Warning", "Unhealthy", f"{w.kind} probe failed: {message}".strip())

    def _stop(self, key: tuple[str, str]) -> None:
        entry = self._workers.pop(key, None)
        if entry is not None:
            entry[1].cancel()

    async def shutdown(self) -> None:
        """Cancel every probe worker and wait for them (the kubelet is stopping)."""
        tasks = [task for _, task in self._workers.values()]
        self._workers.clear()
        self._by_pod.clear()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def remove_pod(self, uid: str) -> None:
        for key in self._by_pod.pop(uid, set()):
            self._stop(key)

    def _result(self, cid: str, kind: str) -> Result | None:
        entry = self._workers.get((cid, kind))
        return entry[0].result if entry else None

    def started(self, cid: str, container: Object) -> bool:
        if not container.get("startupProbe"):
            return True
        entry = self._workers.get((cid, STARTUP))
        # A startup worker that finished succeeded; its result stays with it.
        return entry is not None and entry[0].result == Result.SUCCESS

    def ready(self, cid: str, container: Object) -> bool:
        if not self.started(cid, container):
            return False
        if not container.get("readinessProbe"):
            return True
        return self._result(cid, READINESS) == Result.SUCCESS

    def liveness_failed(self, cid: str) -> str | None:
        entry = self._workers.get((cid, LIVENESS))
        if entry is not None and entry[0].result == Result.FAILURE:
            return entry[0].message or "liveness probe failed"
        return None

    def startup_failed(self, cid: str) -> str | None:
        entry = self._workers.get((cid, STARTUP))
        if entry is not None and entry[0].result == Result.FAILURE:
            return entry[0].message or "startup probe failed"
        return None
