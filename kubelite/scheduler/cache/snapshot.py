"""The snapshot: what one scheduling cycle sees of the cluster.

The cache changes whenever an informer event arrives; a cycle must see one consistent
picture from PreFilter to the end of PostFilter (preemption talks to the API server, and
other events arrive meanwhile). So each cycle starts with `Cache.update_snapshot`, which
copies into the snapshot only the NodeInfos whose generation moved since the last cycle:
usually one node, the one the previous pod was assumed on.

Nodes are listed zone by zone in turn (Kubernetes' node tree), so a cycle that looks at only
some of the nodes (percentageOfNodesToScore) still sees every zone.
"""

from __future__ import annotations

from kubelite.scheduler.framework.types import NodeInfo


class Snapshot:
    __slots__ = (
        "generation",
        "have_pods_with_affinity",
        "have_pods_with_required_anti_affinity",
        "index",
        "node_info_list",
        "node_info_map",
    )

    def __init__(self) -> None:
        self.node_info_map: dict[str, NodeInfo] = {}
        self.node_info_list: list[NodeInfo] = []
        self.index: dict[str, int] = {}
        self.have_pods_with_affinity: list[NodeInfo] = []
        self.have_pods_with_required_anti_affinity: list[NodeInfo] = []
        self.generation = 0

    def get(self, name: str) -> NodeInfo | None:
        return self.node_info_map.get(name)

    def num_nodes(self) -> int:
        return len(self.node_info_list)

    @classmethod
    def of(cls, nodes: list[NodeInfo]) -> Snapshot:
        """A snapshot of these NodeInfos as they are (for tests and tools)."""
        s = cls()
        s.node_info_list = list(nodes)
        s.node_info_map = {n.name: n for n in nodes}
        s.index = {n.name: i for i, n in enumerate(nodes)}
        s.refresh_affinity_lists()
        return s

    def refresh_affinity_lists(self) -> None:
        self.have_pods_with_affinity = [n for n in self.node_info_list if n.pods_with_affinity]
        self.have_pods_with_required_anti_affinity = [
            n for n in self.node_info_list if n.pods_with_required_anti_affinity
        ]
