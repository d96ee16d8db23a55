"""The eviction manager's local-storage part: a pod whose emptyDir outgrows its `sizeLimit`
is evicted.

    every --eviction-monitoring-period (Kubernetes: 10 s, fixed)
      for each running pod, each emptyDir volume with a sizeLimit > 0:
        usage = the disk blocks of its files (as `du` counts them; hard links once,
                never crossing into another filesystem)
        usage > sizeLimit ──▶ event Warning Evicted
                              "Usage of EmptyDir volume "<name>" exceeds the limit "<limit>". "
                          ──▶ the pod's containers killed at once (grace 0); its status
                              phase Failed, reason Evicted, that message

A Memory emptyDir is a tmpfs of `sizeLimit` bytes, so it cannot outgrow it (writes fail
with ENOSPC instead), as in Kubernetes. Memory-pressure and disk-pressure eviction (ranking
pods by usage against node thresholds) are not done by kubelite.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

from kubelite.api.quantity import parse_quantity
from kubelite.api.types import Object
from kubelite.util.clock import Clock

log = logging.getLogger("kubelite.kubelet.eviction")
REASON = "Evicted"


class Evictor(Protocol):
    def running_pods(self) -> Iterable[Object]:
        """The pods being run (not terminating or terminated)."""
        ...

    def evict(self, pod: Object, reason: str, message: str) -> None:
        """Kill the pod's containers at once and make it Failed with reason and message;
        returns at once (the pod's worker does the work)."""
        ...


def disk_usage(path: Path) -> int:
    """Bytes of disk blocks under `path` (0 when it is gone)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    try:
        root_dev = path.lstat().st_dev
    except OSError:
        return 0
    for top, dirs, files in os.walk(path):
        for name in [*dirs, *files]:
            try:
                st = os.lstat(os.path.join(top, name))
            except OSError:
                continue
            if st.st_dev != root_dev or (st.st_ino, st.st_dev) in seen:
                continue
            seen.add((st.st_ino, st.st_dev))
            total += st.st_blocks * 512
        dirs[:] = [d for d in dirs if os.lstat(os.path.join(top, d)).st_dev == root_dev]
    return total


def over_limit(
    pod: Object, path_of: Callable[[Object, Object], Path | None], usage: Callable[[Path], int]
) -> str | None:
    """The eviction message when one of the pod's emptyDirs is over its sizeLimit."""
    for volume in (pod.get("spec") or {}).get("volumes") or []:
        source = volume.get("emptyDir")
        limit = (source or {}).get("sizeLimit")
        if source is None or not limit or source.get("medium") == "Memory":
            continue
        size = parse_quantity(limit)
        path = path_of(pod, volume)
        if size.value() <= 0 or path is None:
            continue
        if usage(path) > size.value():
            return f'Usage of EmptyDir volume "{volume["name"]}" exceeds the limit "{limit}". '
    return None


class EvictionManager:
    def __init__(
        self,
        pods: Evictor,
        path_of: Callable[[Object, Object], Path | None],
        record: Callable[[Object, str, str, str], None],
        clock: Clock,
        period: float = 10.0,
    ) -> None:
        self.pods, self.path_of, self.record = pods, path_of, record
        self.clock, self.period = clock, period

    async def run(self) -> None:
        while True:
            await self.clock.sleep(self.period)
            try:
                await self.check()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("local storage eviction check failed")

    async def check(self) -> list[str]:
        """One pass; the names of the pods evicted."""
        evicted = []
        for pod in list(self.pods.running_pods()):
            message = await asyncio.to_thread(over_limit, pod, self.path_of, disk_usage)
            if message is None:
                continue
            md = pod["metadata"]
            log.info("evicting a pod", extra={"pod": f"{md.get('namespace')}/{md['name']}", "why": message})
            self.record(pod, "Warning", REASON, message)
            self.pods.evict(pod, REASON, message)
            evicted.append(md["name"])
        return evicted
