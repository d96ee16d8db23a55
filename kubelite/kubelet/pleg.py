"""The pod lifecycle event generator: notice container changes by relisting the runtime.

Every `period` (1 s) the PLEG lists sandboxes and containers once for the whole node and
compares each pod's (container id → state) with the last listing; a pod whose containers
changed (one started, exited, vanished) gets its worker woken. This is how a crashing
container is noticed without a watch on the runtime, as in Kubernetes' generic PLEG.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from kubelite.cri import api_pb2 as pb
from kubelite.kubelet.criconfig import POD_UID
from kubelite.util.clock import Clock

log = logging.getLogger("kubelite.kubelet.pleg")


class PLEG:
    def __init__(
        self, runtime: Any, clock: Clock, on_change: Callable[[str], None], period: float = 1.0
    ) -> None:
        self.runtime = runtime
        self.clock = clock
        self.on_change = on_change
        self.period = period
        self._last: dict[str, frozenset[tuple[str, int]]] = {}
        self.relists = 0

    async def relist(self) -> None:
        now: dict[str, set[tuple[str, int]]] = {}
        for s in await self.runtime.list_pod_sandbox(pb.PodSandboxFilter()):
            uid = s.labels.get(POD_UID) or s.metadata.uid
            now.setdefault(uid, set()).add((s.id, 100 + s.state))
        for c in await self.runtime.list_containers(pb.ContainerFilter()):
            uid = c.labels.get(POD_UID)
            if uid:
                now.setdefault(uid, set()).add((c.id, c.state))
        frozen = {uid: frozenset(v) for uid, v in now.items()}
        for uid in set(frozen) | set(self._last):
            if frozen.get(uid) != self._last.get(uid):
                self.on_change(uid)
        self._last = frozen
        self.relists += 1

    async def run(self) -> None:
        while True:
            try:
                await self.relist()
            except Exception as err:
                log.warning("PLEG relist failed: %s", err)
            await self.clock.sleep(self.period)
