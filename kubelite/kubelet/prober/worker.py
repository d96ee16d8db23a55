"""One probe of one container instance, run on its schedule.

    start ──initialDelaySeconds──► probe ──periodSeconds──► probe ──► ...
                                    │ successThreshold successes in a row → SUCCESS
                                    │ failureThreshold failures in a row  → FAILURE
                                    └ the result changes → on_change()

Before its first verdict a readiness worker reports FAILURE (not ready), a liveness
worker SUCCESS (alive), a startup worker UNKNOWN (not started, not failed either). A
startup worker stops after its verdict; a liveness worker stops after reporting FAILURE
(the container is killed; its successor gets a new worker). Every verdict that changes
the result calls on_change, so the pod worker acts on it at once; the first failure of a
run of failures calls on_failure (Kubernetes records an event per failure and lets its
event correlator fold them; kubelite's recorder does not fold, so it records one per run).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kubelite.api.types import Object
from kubelite.kubelet.prober.probes import Result, run_probe
from kubelite.util.clock import Clock

log = logging.getLogger("kubelite.kubelet.prober")

LIVENESS, READINESS, STARTUP = "Liveness", "Readiness", "Startup"


class ProbeWorker:
    def __init__(
        self,
        kind: str,
        probe: Object,
        *,
        runtime: Any,
        container: Object,
        container_id: str,
        pod_ip: Callable[[], str],
        clock: Clock,
        started_ago: float,
        on_change: Callable[[ProbeWorker], None],
        on_failure: Callable[[ProbeWorker, str], None] = lambda w, message: None,
    ) -> None:
        self.kind = kind
        self.probe = probe
        self.runtime = runtime
        self.container = container
        self.container_id = container_id
        self.pod_ip = pod_ip
        self.clock = clock
        self.started_ago = started_ago
        self.on_change = on_change
        self.on_failure = on_failure
        self.result = {LIVENESS: Result.SUCCESS, READINESS: Result.FAILURE}.get(kind, Result.UNKNOWN)
        self.message = ""
        self._streak: tuple[Result, int] = (Result.UNKNOWN, 0)

    def _set(self, result: Result, message: str) -> None:
        if result != self.result:
            self.result, self.message = result, message
            self.on_change(self)

    async def run(self) -> None:
        p = self.probe
        await self.clock.sleep(max(0.0, float(p.get("initialDelaySeconds") or 0) - self.started_ago))
        success_needed = int(p.get("successThreshold") or 1)
        failure_needed = int(p.get("failureThreshold") or 3)
        while True:
            result, message = await run_probe(
                p,
                runtime=self.runtime,
                container=self.container,
                container_id=self.container_id,
                pod_ip=self.pod_ip(),
            )
            last, n = self._streak
            self._streak = (result, n + 1 if result == last else 1)
            if result == Result.FAILURE and self._streak[1] == 1:
                self.on_failure(self, message)  # once per run of failures: an Unhealthy event
            if result == Result.SUCCESS and self._streak[1] >= success_needed:
                self._set(Result.SUCCESS, "")
                if self.kind == STARTUP:
                    return
            elif result == Result.FAILURE and self._streak[1] >= failure_needed:
                self._set(Result.FAILURE, message)
                if self.kind in (LIVENESS, STARTUP):
                    return  # the container is to be killed; probing it further means nothing
            await self.clock.sleep(float(p.get("periodSeconds") or 10))
