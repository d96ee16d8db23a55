"""What every controller is built from: `ControllerContext`, and the `RunnableController` shape.

The controller manager makes one context per process (kube-controller-manager's
ControllerContext): one API client, one `SharedInformerFactory` so every controller shares
one watch and one cache per resource, the clock, the per-controller worker counts
(`--concurrent-*-syncs`), and a source of workqueue metrics. Each controller's constructor
takes the context, asks it for the informers it needs and for an event recorder under its
own component name, and offers `run(ready)`; the manager starts the informers once every
controller has asked for its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from kubelite.client.discovery import DiscoveryResult
from kubelite.client.events import EventRecorder
from kubelite.client.informer import SharedInformerFactory
from kubelite.client.resource import APIClient
from kubelite.client.workqueue import QueueMetrics
from kubelite.util.clock import Clock, RealClock


class RunnableController(Protocol):
    async def run(self, ready: asyncio.Event | None = None) -> None:
        """Wait for caches, work until cancelled; set `ready` once working."""
        ...


def _no_metrics(name: str) -> QueueMetrics | None:
    return None


@dataclass(slots=True)
class ControllerContext:
    client: APIClient
    informers: SharedInformerFactory
    clock: Clock = field(default_factory=RealClock)
    workers: dict[str, int] = field(default_factory=dict)  # controller name -> workers
    queue_metrics: Callable[[str], QueueMetrics | None] = _no_metrics
    # Every resource the server serves (the garbage collector watches them all).
    discover: Callable[[], Awaitable[DiscoveryResult]] | None = None
    recorders: list[EventRecorder] = field(default_factory=list)

    def recorder(self, component: str) -> EventRecorder:
        """An event recorder reporting as `component` (its writer runs with the manager)."""
        rec = EventRecorder(self.client, component=component, clock=self.clock)
        self.recorders.append(rec)
        return rec

    def concurrency(self, name: str, default: int) -> int:
        return self.workers.get(name, default)
