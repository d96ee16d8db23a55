"""Nominated pods: where preemption promised a pod room, so others leave that room alone.

When preemption evicts pods from a node for a pending pod, the pod is *nominated* to that
node (`status.nominatedNodeName`) but not bound: the victims take their grace period to go.
Meanwhile other pods' cycles must not take the room: on a node with nominated pods of equal
or higher priority, Filter runs as if those pods were already there (framework.runtime).
"""

from __future__ import annotations

from kubelite.scheduler.framework.types import PodInfo


class Nominator:
    def __init__(self) -> None:
        self._by_node: dict[str, list[PodInfo]] = {}
        self._node_of: dict[str, str] = {}

    def add(self, info: PodInfo, node: str) -> None:
        """Nominate `info` to `node` ("" removes any nomination)."""
        self.delete(info.uid)
        if not node:
            return
        self._node_of[info.uid] = node
        self._by_node.setdefault(node, []).append(info)

    def delete(self, uid: str) -> None:
        node = self._node_of.pop(uid, None)
        if node is None:
            return
        pods = [p for p in self._by_node.get(node, []) if p.uid != uid]
        if pods:
            self._by_node[node] = pods
        else:
            self._by_node.pop(node, None)

    def update(self, info: PodInfo) -> None:
        """A nominated pod changed: keep its nomination with the new object, unless the pod
        now names another nominated node (or none) in its status."""
        node = self._node_of.get(info.uid)
        if node is None:
            return
        status_node = (info.pod.get("status") or {}).get("nominatedNodeName") or node
        self.add(info, status_node)

    def node_of(self, uid: str) -> str:
        return self._node_of.get(uid, "")

    def pods_for_node(self, node: str) -> list[PodInfo]:
        return list(self._by_node.get(node, ()))

    def __bool__(self) -> bool:
        return bool(self._node_of)
