"""ImageLocality (Score): nodes that already have the pod's container images score higher.

Each image present on the node counts its size scaled by the share of nodes that have it
(an image every node has says little about this node). The sum is clamped between 23 MB and
1000 MB per container and mapped onto 0..100, as Kubernetes' ImageLocality does. Image
names without a tag are looked up with ":latest".
"""

from __future__ import annotations

from typing import Any, ClassVar

from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.handle import Handle
from kubelite.scheduler.framework.interface import MAX_NODE_SCORE
from kubelite.scheduler.framework.types import NodeInfo, PodInfo

MB = 1024 * 1024
MIN_THRESHOLD = 23 * MB
MAX_CONTAINER_THRESHOLD = 1000 * MB


def normalized_image_name(name: str) -> str:
    if name.rfind(":") <= name.rfind("/"):
        return name + ":latest"
    return name


class ImageLocality:
    NAME: ClassVar[str] = "ImageLocality"

    def __init__(self, args: dict[str, Any] | None = None, handle: Handle | None = None) -> None:
        self.handle = handle or Handle()

    def score(self, state: CycleState, pod: PodInfo, node: NodeInfo) -> int:
        states = node.image_states
        if not states:
            return calculate_priority(0, len(pod.images))
        total_nodes = self.handle.snapshot().num_nodes() or 1
        total = 0
        for image in pod.images:
            st = states.get(normalized_image_name(image))
            if st is not None:
                total += int(st.size * (st.num_nodes / total_nodes))
        return calculate_priority(total, len(pod.images))

    def score_nodes(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> list[int]:
        # A node without images scores 0 (the sum is clamped to the minimum threshold).
        return [self.score(state, pod, n) if n.image_states else 0 for n in nodes]


def calculate_priority(sum_scores: int, num_containers: int) -> int:
    max_threshold = MAX_CONTAINER_THRESHOLD * max(num_containers, 1)
    sum_scores = min(max(sum_scores, MIN_THRESHOLD), max_threshold)
    return MAX_NODE_SCORE * (sum_scores - MIN_THRESHOLD) // (max_threshold - MIN_THRESHOLD)
