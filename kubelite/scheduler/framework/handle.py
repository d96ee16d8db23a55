"""What a plugin may use besides the pod and node it is handed: Kubernetes' framework Handle.

    client       the API client (DefaultBinder binds, DefaultPreemption deletes victims)
    listers      informer caches of the objects some plugins read: namespaces
                 (InterPodAffinity's namespaceSelector), services and workload controllers
                 (PodTopologySpread's default constraints), claims, volumes and
                 storage classes (VolumeBinding),
                 disruption budgets and pods (DefaultPreemption)
    snapshot()   the current cycle's Snapshot of nodes
    nominator    pods nominated to nodes by preemption
    recorder     the profile's event recorder (reporting component = its schedulerName)
    framework    the profile's Framework (preemption re-runs its filters on what-if nodes)
    clock        the injected clock
    metrics      the scheduler's metrics (None in unit tests)

A lister left None reads as empty, so unit tests build only what a plugin needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from kubelite.api.types import Object
from kubelite.scheduler.cache.snapshot import Snapshot
from kubelite.scheduler.queue.nominator import Nominator
from kubelite.util.clock import Clock, RealClock

if TYPE_CHECKING:
    from kubelite.scheduler.framework.runtime import Framework


class ObjectLister(Protocol):
    """The part of kubelite.client.Lister plugins use."""

    def get(self, name: str, namespace: str | None = None) -> Object | None: ...

    def list(self, namespace: str | None = None, selector: Any = None) -> list[Object]: ...


class Recorder(Protocol):
    """kubelite.client.events.EventRecorder's interface: record and return at once."""

    def event(self, obj: Object, type_: str, reason: str, message: str) -> None: ...


@dataclass(slots=True)
class Listers:
    namespaces: ObjectLister | None = None
    pods: ObjectLister | None = None
    services: ObjectLister | None = None
    replication_controllers: ObjectLister | None = None
    replica_sets: ObjectLister | None = None
    stateful_sets: ObjectLister | None = None
    pvcs: ObjectLister | None = None
    pvs: ObjectLister | None = None
    storage_classes: ObjectLister | None = None
    pdbs: ObjectLister | None = None

    @staticmethod
    def items(lister: ObjectLister | None, namespace: str | None = None) -> list[Object]:
        return lister.list(namespace) if lister is not None else []

    @staticmethod
    def lookup(lister: ObjectLister | None, name: str, namespace: str | None = None) -> Object | None:
        return lister.get(name, namespace) if lister is not None else None


class _NoEvents:
    def event(self, obj: Object, type_: str, reason: str, message: str) -> None:
        return None


class Handle:
    def __init__(
        self,
        *,
        client: Any = None,
        listers: Listers | None = None,
        snapshot: Snapshot | None = None,
        nominator: Nominator | None = None,
        recorder: Recorder | None = None,
        clock: Clock | None = None,
        metrics: Any = None,
    ) -> None:
        self.client = client
        self.listers = listers or Listers()
        self._snapshot = snapshot or Snapshot()
        self.nominator = nominator or Nominator()
        self.recorder: Recorder = recorder or _NoEvents()
        self.clock = clock or RealClock()
        self.metrics = metrics  # kubelite.scheduler.metrics.SchedulerMetrics, when serving metrics
        self.framework: Framework | None = None  # set by the Framework built on this handle

    def snapshot(self) -> Snapshot:
        return self._snapshot

    def set_snapshot(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot

    def namespace_labels(self, namespace: str) -> dict[str, str] | None:
        ns = Listers.lookup(self.listers.namespaces, namespace)
        return None if ns is None else (ns["metadata"].get("labels") or {})
