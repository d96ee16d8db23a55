"""VolumeBinding (PreFilter, Filter), only as far as kubelite serves volumes today.

A pod without PersistentVolumeClaims skips the plugin, as in Kubernetes. A pod with claims
fits nowhere until every claim exists, is not being deleted, and is bound to a volume, with
Kubernetes' messages. kubelite has no volume provisioning or topology yet: a bound claim
fits every node (see docs/compatibility.md).
"""

from __future__ import annotations

from typing import Any, ClassVar

from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.events import ActionType, ClusterEvent, ClusterEventWithHint, EventResource
from kubelite.scheduler.framework.handle import Handle, Listers
from kubelite.scheduler.framework.interface import PreFilterResult
from kubelite.scheduler.framework.status import Status
from kubelite.scheduler.framework.types import NodeInfo, PodInfo, pvc_names

UNBOUND_IMMEDIATE = "pod has unbound immediate PersistentVolumeClaims"


class VolumeBinding:
    NAME: ClassVar[str] = "VolumeBinding"

    def __init__(self, args: dict[str, Any] | None = None, handle: Handle | None = None) -> None:
        self.handle = handle or Handle()

    def pre_filter(
        self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]
    ) -> tuple[PreFilterResult | None, Status | None]:
        claims = pvc_names(pod.pod)
        if not claims:
            return None, Status.skip()
        for name in claims:
            pvc = Listers.lookup(self.handle.listers.pvcs, name, pod.namespace)
            if pvc is None:
                return None, Status.unresolvable(f'persistentvolumeclaim "{name}" not found')
            if pvc["metadata"].get("deletionTimestamp"):
                return None, Status.unresolvable(f'persistentvolumeclaim "{name}" is being deleted')
            if not (pvc.get("spec") or {}).get("volumeName"):
                return None, Status.unresolvable(UNBOUND_IMMEDIATE)
        return None, None

    def pre_filter_extensions(self) -> None:
        return None

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        return None

    def events_to_register(self) -> list[ClusterEventWithHint]:
        return [
            ClusterEventWithHint(ClusterEvent(EventResource.PVC, ActionType.ADD | ActionType.update())),
            ClusterEventWithHint(ClusterEvent(EventResource.PV, ActionType.ADD | ActionType.update())),
        ]
