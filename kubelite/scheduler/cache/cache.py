"""The scheduler's cache: nodes and the pods on them, including pods it has only *assumed*.

    informer: assigned pod added ──▶ add_pod ──┐            scheduling cycle:
    informer: pod updated/deleted ─▶ update/remove  │            assume_pod (nodeName set,
    informer: node events ─────────▶ add/update/remove_node      counted on the node)
                                                 ▼                  │
                                         NodeInfo per node ◀────────┘
                                                 │             binding cycle:
                              update_snapshot ───┘             finish_binding / forget_pod

Assuming is what lets binding run off the scheduling loop: the moment a pod is placed, its
requests count on its node, so the next cycle already sees them, seconds before the API
server confirms the binding. When the bound pod then arrives from the informer, the
assumed entry is confirmed in place; if the binding fails, `forget_pod` takes it back.
Assumed pods never expire on their own (as Kubernetes since 1.27): the binding cycle
either confirms or forgets each one.

A pod whose node the cache has not heard of yet is kept on a NodeInfo without a node;
such NodeInfos are never offered to the scheduling cycle.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from kubelite.api.types import Object
from kubelite.scheduler.cache.snapshot import Snapshot
from kubelite.scheduler.framework.types import ImageState, NodeInfo, PodInfo

log = logging.getLogger("kubelite.scheduler.cache")

ZONE_LABEL = "topology.kubernetes.io/zone"
REGION_LABEL = "topology.kubernetes.io/region"


@dataclass(slots=True)
class _PodState:
    info: PodInfo
    node: str
    assumed: bool
    binding_finished: bool = False


def zone_of(node: Object) -> str:
    labels = node["metadata"].get("labels") or {}
    region, zone = labels.get(REGION_LABEL, ""), labels.get(ZONE_LABEL, "")
    return f"{region}:\x00:{zone}" if region or zone else ""


class Cache:
    def __init__(self) -> None:
        self.nodes: dict[str, NodeInfo] = {}
        self._pods: dict[str, _PodState] = {}
        self._zones: dict[str, list[str]] = {}  # zone -> node names, in arrival order
        self._zone_of: dict[str, str] = {}
        self._image_nodes: dict[str, set[str]] = {}
        self._dirty: set[str] = set()
        self._node_set_changed = True

    # ---- pods ----

    def assume_pod(self, info: PodInfo) -> None:
        """Count `info` (its nodeName set) on its node before the binding is confirmed."""
        if info.uid in self._pods:
            raise ValueError(f"pod {info.key} is already in the cache, so cannot be assumed")
        self._place(info)
        self._pods[info.uid] = _PodState(info, info.node_name, assumed=True)

    def finish_binding(self, info: PodInfo) -> None:
        state = self._pods.get(info.uid)
        if state is not None and state.assumed:
            state.binding_finished = True

    def forget_pod(self, info: PodInfo) -> None:
        """Take back an assumed pod whose binding failed."""
        state = self._pods.get(info.uid)
        if state is None or not state.assumed:
            return
        self._unplace(state)
        del self._pods[info.uid]

    def is_assumed(self, uid: str) -> bool:
        state = self._pods.get(uid)
        return state is not None and state.assumed

    def add_pod(self, pod: Object) -> None:
        """A pod bound to a node arrived from the informer (confirming an assumed one)."""
        info = PodInfo(pod)
        state = self._pods.get(info.uid)
        if state is not None and state.assumed:
            if state.node != info.node_name:
                log.warning("pod was bound to another node than assumed", extra={"pod": info.key})
            self._unplace(state)
        elif state is not None:
            self._unplace(state)
        self._place(info)
        self._pods[info.uid] = _PodState(info, info.node_name, assumed=False)

    def update_pod(self, pod: Object) -> None:
        self.add_pod(pod)

    def remove_pod(self, pod: Object) -> None:
        uid = pod["metadata"].get("uid") or f"{pod['metadata'].get('namespace')}/{pod['metadata']['name']}"
        state = self._pods.pop(uid, None)
        if state is not None:
            self._unplace(state)

    def pod_count(self) -> int:
        return len(self._pods)

    def _place(self, info: PodInfo) -> None:
        ni = self.nodes.get(info.node_name)
        if ni is None:
            ni = self.nodes[info.node_name] = NodeInfo()
            ni.name = info.node_name
        ni.add_pod(info)
        self._dirty.add(info.node_name)

    def _unplace(self, state: _PodState) -> None:
        ni = self.nodes.get(state.node)
        if ni is None:
            return
        ni.remove_pod(state.info.uid)
        self._dirty.add(state.node)
        if ni.node is None and not ni.pods:
            del self.nodes[state.node]

    # ---- nodes ----

    def add_node(self, node: Object) -> None:
        name = node["metadata"]["name"]
        ni = self.nodes.get(name)
        if ni is None:
            ni = self.nodes[name] = NodeInfo()
        had_node = ni.node is not None
        self._forget_images(name, ni)
        ni.set_node(node)
        for image in ni.images:
            self._image_nodes.setdefault(image, set()).add(name)
        zone = zone_of(node)
        if not had_node or self._zone_of.get(name) != zone:
            self._remove_from_tree(name)
            self._zones.setdefault(zone, []).append(name)
            self._zone_of[name] = zone
            self._node_set_changed = True
        self._dirty.add(name)

    def update_node(self, node: Object, *, changed: bool = True) -> None:
        """A node changed; `changed=False` when nothing the plugins read did (a heartbeat):
        the new object replaces the old one without a new copy into the next snapshot."""
        ni = self.nodes.get(node["metadata"]["name"])
        if not changed and ni is not None and ni.node is not None:
            ni.node = node
            return
        self.add_node(node)

    def remove_node(self, node: Object) -> None:
        name = node["metadata"]["name"]
        ni = self.nodes.get(name)
        if ni is None:
            return
        self._forget_images(name, ni)
        self._remove_from_tree(name)
        self._node_set_changed = True
        self._dirty.add(name)
        if ni.pods:
            ni.node = None  # its pods stay until their own delete events arrive
        else:
            del self.nodes[name]

    def node_count(self) -> int:
        return len(self._zone_of)

    def _forget_images(self, name: str, ni: NodeInfo) -> None:
        for image in ni.images:
            holders = self._image_nodes.get(image)
            if holders is not None:
                holders.discard(name)
                if not holders:
                    del self._image_nodes[image]

    def _remove_from_tree(self, name: str) -> None:
        zone = self._zone_of.pop(name, None)
        if zone is None:
            return
        names = self._zones[zone]
        names.remove(name)
        if not names:
            del self._zones[zone]

    def _tree_order(self) -> list[str]:
        """Node names zone by zone in turn: one of each zone, then the next of each, ..."""
        zones = list(self._zones.values())
        if len(zones) == 1:
            return list(zones[0])
        out: list[str] = []
        for i in range(max((len(z) for z in zones), default=0)):
            out.extend(z[i] for z in zones if i < len(z))
        return out

    # ---- snapshot ----

    def update_snapshot(self, snapshot: Snapshot) -> None:
        """Bring `snapshot` up to date, copying only the NodeInfos that changed."""
        affinity_changed = False
        for name in self._dirty:
            old = snapshot.node_info_map.get(name)
            live = self.nodes.get(name)
            if old is not None and (old.pods_with_affinity or old.pods_with_required_anti_affinity):
                affinity_changed = True
            if live is None or live.node is None:
                snapshot.node_info_map.pop(name, None)
                continue
            copy = live.clone()
            copy.image_states = self._image_states(live)
            snapshot.node_info_map[name] = copy
            if copy.pods_with_affinity or copy.pods_with_required_anti_affinity:
                affinity_changed = True
            i = snapshot.index.get(name)
            if i is not None and not self._node_set_changed:
                snapshot.node_info_list[i] = copy
        self._dirty.clear()
        if self._node_set_changed:
            order = self._tree_order()
            snapshot.node_info_list = [snapshot.node_info_map[n] for n in order]
            snapshot.index = {n: i for i, n in enumerate(order)}
            self._node_set_changed = False
            affinity_changed = True
        if affinity_changed:
            snapshot.refresh_affinity_lists()
        snapshot.generation += 1

    def _image_states(self, ni: NodeInfo) -> dict[str, ImageState]:
        if not ni.images:
            return {}
        return {
            image: ImageState(size, len(self._image_nodes.get(image, ())))
            for image, size in ni.images.items()
        }
