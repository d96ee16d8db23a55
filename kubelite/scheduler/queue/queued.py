"""A pod waiting in the scheduling queue, with what the queue remembers about its tries."""

from __future__ import annotations

from dataclasses import dataclass, field

from kubelite.scheduler.framework.types import PodInfo


@dataclass(slots=True, eq=False)
class QueuedPodInfo:
    info: PodInfo
    timestamp: float  # when it last entered the queue (arrival order, back-off start)
    attempts: int = 0  # scheduling attempts so far (back-off doubles per attempt)
    initial_attempt_timestamp: float | None = None
    # The plugins that rejected it last time: only events they care about move it back.
    unschedulable_plugins: set[str] = field(default_factory=set)
    pending_plugins: set[str] = field(default_factory=set)
    gated: bool = False  # a PreEnqueue plugin holds it (scheduling gates)
    gating_plugin: str = ""

    @property
    def uid(self) -> str:
        return self.info.uid

    @property
    def priority(self) -> int:
        return self.info.priority
