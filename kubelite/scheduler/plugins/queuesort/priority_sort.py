"""PrioritySort (QueueSort): higher spec.priority first; equal priorities in arrival order."""

from __future__ import annotations

from typing import Any, ClassVar

from kubelite.scheduler.framework.handle import Handle
from kubelite.scheduler.queue.queued import QueuedPodInfo


class PrioritySort:
    NAME: ClassVar[str] = "PrioritySort"

    def __init__(self, args: dict[str, Any] | None = None, handle: Handle | None = None) -> None:
        pass

    def less(self, a: QueuedPodInfo, b: QueuedPodInfo) -> bool:
        pa, pb = a.info.priority, b.info.priority
        return pa > pb or (pa == pb and a.timestamp < b.timestamp)
