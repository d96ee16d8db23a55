"""VolumeBinding (PreFilter, Filter, Reserve, PreBind): a pod's PersistentVolumeClaims
decide where it may run, and claims of WaitForFirstConsumer classes are bound for the node
chosen.

    PreFilter  a pod without claims skips the plugin; every claim must exist and not be
               deleting; an unbound claim of an Immediate class (or none) waits for the PV
               controller ("pod has unbound immediate PersistentVolumeClaims"); unbound
               claims of WaitForFirstConsumer classes are left for the node to decide
    Filter     a bound claim's volume must admit the node (spec.nodeAffinity: "node(s) had
               volume node affinity conflict"); each delayed claim needs a free volume that
               fits it and the node, or a class with a provisioner ("node(s) didn't find
               available persistent volumes to bind")
    Reserve    the choice for the node is recorded: which free volume for which claim,
               which claims to provision
    PreBind    chosen volumes get the claim in spec.claimRef (and bound-by-controller);
               claims to provision get volume.kubernetes.io/selected-node; then the pod
               waits until the PV controller has bound every claim (up to 600 s)

Between a pod's Reserve and the moment the volume's informer shows the claim on it, the
volume is assumed taken (an assume cache, as the scheduler's): the next pods' scheduling
cycles, which run while that pod binds, do not pick it for another claim. Unreserve (a
failed bind) frees it again.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, ClassVar

from kubelite.api import volumes as v
from kubelite.api.types import Object
from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.events import ActionType, ClusterEvent, ClusterEventWithHint, EventResource
from kubelite.scheduler.framework.handle import Handle, Listers
from kubelite.scheduler.framework.interface import PreFilterResult
from kubelite.scheduler.framework.status import Status
from kubelite.scheduler.framework.types import NodeInfo, PodInfo, pvc_names
from kubelite.scheduler.plugins.helper import NodeSelector

UNBOUND_IMMEDIATE = "pod has unbound immediate PersistentVolumeClaims"
NODE_CONFLICT = "node(s) had volume node affinity conflict"
BIND_CONFLICT = "node(s) didn't find available persistent volumes to bind"
BIND_TIMEOUT = 600.0  # bindTimeoutSeconds
POLL = 1.0
_STATE = "PreFilterVolumeBinding"


@dataclass(slots=True)
class _PodVolumes:
    bound: list[Object] = field(default_factory=list)  # claims bound already
    delayed: list[Object] = field(default_factory=list)  # claims to bind for the node
    static: dict[str, Object] = field(default_factory=dict)  # claim name -> chosen volume (Reserve)
    provision: list[Object] = field(default_factory=list)  # claims to provision (Reserve)


def _claim_key(claim: Object) -> str:
    return f"{claim['metadata'].get('namespace', '')}/{claim['metadata']['name']}"


def _fits(node: NodeInfo) -> Any:
    return lambda required: NodeSelector(required).matches(node.name, node.labels)


class VolumeBinding:
    NAME: ClassVar[str] = "VolumeBinding"

    def __init__(self, args: dict[str, Any] | None = None, handle: Handle | None = None) -> None:
        self.handle = handle or Handle()
        self._assumed: dict[str, str] = {}  # volume name -> the claim (ns/name) it was reserved for

    def pre_filter(
        self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]
    ) -> tuple[PreFilterResult | None, Status | None]:
        claims = pvc_names(pod.pod)
        if not claims:
            return None, Status.skip()
        found = _PodVolumes()
        for name in claims:
            pvc = Listers.lookup(self.handle.listers.pvcs, name, pod.namespace)
            if pvc is None:
                return None, Status.unresolvable(f'persistentvolumeclaim "{name}" not found')
            if pvc["metadata"].get("deletionTimestamp"):
                return None, Status.unresolvable(f'persistentvolumeclaim "{name}" is being deleted')
            if (pvc.get("spec") or {}).get("volumeName"):
                found.bound.append(pvc)
            elif v.wait_for_first_consumer(self._class(pvc)):
                found.delayed.append(pvc)
            else:
                return None, Status.unresolvable(UNBOUND_IMMEDIATE)
        state.write(_STATE, found)
        return None, None

    def _class(self, claim: Object) -> Object | None:
        name = v.class_of(claim)
        return Listers.lookup(self.handle.listers.storage_classes, name) if name else None

    def pre_filter_extensions(self) -> None:
        return None

    def filter(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> Status | None:
        found: _PodVolumes | None = state.get(_STATE)
        if found is None:
            return None
        fits = _fits(node)
        for claim in found.bound:
            volume = Listers.lookup(self.handle.listers.pvs, claim["spec"]["volumeName"])
            if volume is not None and not v.node_affinity_fits(volume, fits):
                return Status.unresolvable(NODE_CONFLICT)
        if self._choose(found, node) is None:
            return Status.unschedulable(BIND_CONFLICT)
        return None

    def _choose(self, found: _PodVolumes, node: NodeInfo) -> tuple[dict[str, Object], list[Object]] | None:
        """For each delayed claim a free volume that fits the node, or provisioning; None if
        some claim can have neither."""
        static: dict[str, Object] = {}
        provision: list[Object] = []
        volumes = self._unassumed(found.delayed)
        for claim in found.delayed:
            taken = {id(x) for x in static.values()}
            free = [x for x in volumes if id(x) not in taken]
            volume = v.best_match(claim, free, node_fits=_fits(node))
            if volume is not None:
                static[claim["metadata"]["name"]] = volume
                continue
            provisioner = (self._class(claim) or {}).get("provisioner") or v.NO_PROVISIONER
            if provisioner == v.NO_PROVISIONER:
                return None
            provision.append(claim)
        return static, provision

    def _unassumed(self, claims: list[Object]) -> list[Object]:
        """The volumes as the informer has them, less those reserved for claims other than
        `claims`; an assumption ends once the informer shows the volume claimed."""
        keys = {_claim_key(c) for c in claims}
        volumes = []
        for volume in Listers.items(self.handle.listers.pvs):
            name = volume["metadata"]["name"]
            assumed = self._assumed.get(name)
            if assumed is not None and (volume.get("spec") or {}).get("claimRef"):
                self._assumed.pop(name, None)  # the claim is on it now: the informer says the rest
            elif assumed is not None and assumed not in keys:
                continue
            volumes.append(volume)
        return volumes

    def reserve(self, state: CycleState, pod: PodInfo, node_name: str) -> Status | None:
        found: _PodVolumes | None = state.get(_STATE)
        if found is None or not found.delayed:
            return None
        info = self.handle.snapshot().get(node_name)
        if info is None:
            return Status.unschedulable(BIND_CONFLICT)
        chosen = self._choose(found, info)
        if chosen is None:
            return Status.unschedulable(BIND_CONFLICT)
        found.static, found.provision = chosen
        claims = {c["metadata"]["name"]: c for c in found.delayed}
        for claim_name, volume in found.static.items():
            self._assumed[volume["metadata"]["name"]] = _claim_key(claims[claim_name])
        return None

    def unreserve(self, state: CycleState, pod: PodInfo, node_name: str) -> None:
        found: _PodVolumes | None = state.get(_STATE)
        if found is not None:
            for volume in found.static.values():
                self._assumed.pop(volume["metadata"]["name"], None)
            found.static, found.provision = {}, []

    async def pre_bind(self, state: CycleState, pod: PodInfo, node_name: str) -> Status | None:
        found: _PodVolumes | None = state.get(_STATE)
        if found is None or not found.delayed:
            return None
        pvs = self.handle.client.resource("persistentvolumes")
        pvcs = self.handle.client.resource("persistentvolumeclaims")
        for name, volume in found.static.items():
            claim = next(c for c in found.delayed if c["metadata"]["name"] == name)
            new = copy.deepcopy(volume)
            new["spec"]["claimRef"] = v.claim_ref(claim)
            new["metadata"].setdefault("annotations", {})[v.BOUND_BY_CONTROLLER] = "yes"
            await pvs.update(new)
        for claim in found.provision:
            patch = {"metadata": {"annotations": {v.SELECTED_NODE: node_name}}}
            await pvcs.patch(claim["metadata"]["name"], patch, namespace=pod.namespace)
        return await self._wait_bound(pod, [c["metadata"]["name"] for c in found.delayed])

    async def _wait_bound(self, pod: PodInfo, names: list[str]) -> Status | None:
        clock = self.handle.clock
        deadline = clock.now() + BIND_TIMEOUT
        while True:
            pending = []
            for name in names:
                claim = Listers.lookup(self.handle.listers.pvcs, name, pod.namespace)
                if claim is None:
                    return Status.unresolvable(f'persistentvolumeclaim "{name}" not found')
                if not (claim["spec"].get("volumeName") and v.BIND_COMPLETED in v.annotations_of(claim)):
                    pending.append(name)
            if not pending:
                return None
            if clock.now() >= deadline:
                return Status.unschedulable("binding volumes: timed out waiting for the condition")
            await clock.sleep(POLL)

    def events_to_register(self) -> list[ClusterEventWithHint]:
        return [
            ClusterEventWithHint(ClusterEvent(EventResource.PVC, ActionType.ADD | ActionType.update())),
            ClusterEventWithHint(ClusterEvent(EventResource.PV, ActionType.ADD | ActionType.update())),
            ClusterEventWithHint(
                ClusterEvent(EventResource.STORAGE_CLASS, ActionType.ADD | ActionType.update())
            ),
        ]
