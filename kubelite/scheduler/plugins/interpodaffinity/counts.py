"""Counting matching pods per topology domain: the arithmetic of InterPodAffinity.

A topology pair is (topologyKey, the node's value for it), e.g. ("topology.kubernetes.io/
zone", "zone-a"). Counts say how many pods in that domain match a term; a node belongs to
the domains of its labels.
"""

from __future__ import annotations

from kubelite.scheduler.framework.types import AffinityTerm, NodeInfo, PodInfo

Pair = tuple[str, str]


class TopologyCounts(dict[Pair, int]):
    def update_on(self, node: NodeInfo, key: str, value: int) -> None:
        tv = node.labels.get(key)
        if tv is None:
            return
        pair = (key, tv)
        n = self.get(pair, 0) + value
        if n:
            self[pair] = n
        else:
            self.pop(pair, None)

    def clone(self) -> TopologyCounts:
        return TopologyCounts(self)


def matches_all(
    terms: tuple[AffinityTerm, ...], pod: PodInfo, ns_labels: dict[str, str] | None = None
) -> bool:
    return bool(terms) and all(t.matches(pod, ns_labels) for t in terms)


def add_affinity(
    counts: TopologyCounts, existing: PodInfo, node: NodeInfo, terms: tuple[AffinityTerm, ...], v: int
) -> None:
    """Affinity: an existing pod counts for every term's domain if it matches all terms."""
    if matches_all(terms, existing):
        for t in terms:
            counts.update_on(node, t.topology_key, v)


def add_anti_affinity(
    counts: TopologyCounts,
    pod: PodInfo,
    node: NodeInfo,
    terms: tuple[AffinityTerm, ...],
    v: int,
    ns_labels: dict[str, str] | None = None,
) -> None:
    """Anti-affinity: each term the pod matches counts in that term's domain."""
    for t in terms:
        if t.matches(pod, ns_labels):
            counts.update_on(node, t.topology_key, v)
