"""Zones and their health: how fast the node lifecycle controller may evict in each zone.

A node's zone is its `topology.kubernetes.io/region` and `topology.kubernetes.io/zone`
labels (the failure-domain.beta ones when those are absent), as Kubernetes' GetZoneKey
joins them: "region:\\x00:zone", or "" when the node has neither. Each monitor pass
counts, per zone, the nodes whose Ready condition is not True:

    Initial ──first pass──▶ Normal             fewer than 3 not Ready, or under
                              ▲  │               --unhealthy-zone-threshold (0.55) of the zone
                              │  ▼
                      PartialDisruption        at least 3 not Ready and at least the threshold
                              ▲  │
                              │  ▼
                      FullDisruption           no node of the zone Ready

and the zone's eviction rate follows its state:

    Normal             --node-eviction-rate (0.1 nodes/s)
    PartialDisruption  --secondary-node-eviction-rate (0.01) if the zone has more than
                       --large-cluster-size-threshold (50) nodes, else 0 (a small zone this
                       sick is more likely cut off than broken: do not evict)
    FullDisruption     --node-eviction-rate, unless every zone is fully disrupted: then the
                       controller is the one cut off, and nothing is evicted (the master
                       disruption mode; taints come off until a node is Ready again)
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from kubelite.api.types import Object

REGION_LABEL = "topology.kubernetes.io/region"
ZONE_LABEL = "topology.kubernetes.io/zone"
BETA_REGION_LABEL = "failure-domain.beta.kubernetes.io/region"
BETA_ZONE_LABEL = "failure-domain.beta.kubernetes.io/zone"
# Nodes labelled with this are left out of the zone counts.
EXCLUDE_DISRUPTION_LABEL = "node.kubernetes.io/exclude-disruption"


class ZoneState(enum.StrEnum):
    INITIAL = "Initial"
    NORMAL = "Normal"
    FULL_DISRUPTION = "FullDisruption"
    PARTIAL_DISRUPTION = "PartialDisruption"


def zone_key(node: Object) -> str:
    labels = node.get("metadata", {}).get("labels") or {}
    region = labels.get(REGION_LABEL) or labels.get(BETA_REGION_LABEL) or ""
    zone = labels.get(ZONE_LABEL) or labels.get(BETA_ZONE_LABEL) or ""
    if not region and not zone:
        return ""
    return f"{region}:\x00:{zone}"


def excluded_from_disruption(node: Object) -> bool:
    return EXCLUDE_DISRUPTION_LABEL in (node.get("metadata", {}).get("labels") or {})


@dataclass(slots=True, frozen=True)
class EvictionRates:
    primary: float = 0.1  # --node-eviction-rate
    secondary: float = 0.01  # --secondary-node-eviction-rate
    unhealthy_threshold: float = 0.55  # --unhealthy-zone-threshold
    large_cluster_threshold: int = 50  # --large-cluster-size-threshold

    def zone_state(self, ready_statuses: Sequence[str | None]) -> tuple[int, ZoneState]:
        """(not Ready nodes, state) of a zone from its nodes' Ready statuses (None: no condition)."""
        ready = sum(1 for s in ready_statuses if s == "True")
        not_ready = len(ready_statuses) - ready
        if ready == 0 and not_ready > 0:
            return not_ready, ZoneState.FULL_DISRUPTION
        if not_ready > 2 and not_ready / (ready + not_ready) >= self.unhealthy_threshold:
            return not_ready, ZoneState.PARTIAL_DISRUPTION
        return not_ready, ZoneState.NORMAL

    def qps(self, state: ZoneState, zone_size: int) -> float:
        """How many nodes a second the zone may have tainted NoExecute in `state`."""
        if state is ZoneState.PARTIAL_DISRUPTION:
            return self.secondary if zone_size > self.large_cluster_threshold else 0.0
        return self.primary
