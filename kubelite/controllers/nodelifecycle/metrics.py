"""The node lifecycle controller's metrics, with kube-controller-manager's names (per zone):

    node_collector_zone_size                   nodes registered in the zone
    node_collector_zone_health                 percentage of the zone's nodes that are Ready
    node_collector_unhealthy_nodes_in_zone     nodes of the zone not Ready
    node_collector_evictions_total             nodes tainted NoExecute since this instance started
    node_collector_update_node_health_duration_seconds        one node's health pass
    node_collector_update_all_nodes_health_duration_seconds   a whole monitor pass

One set of families per registry: a new leadership term's controller reuses them.
"""

from __future__ import annotations

import weakref

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_FAMILIES: weakref.WeakKeyDictionary[CollectorRegistry, NodeLifecycleMetrics] = weakref.WeakKeyDictionary()


class NodeLifecycleMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        zone = ["zone"]
        self.zone_health = Gauge(
            "node_collector_zone_health",
            "Gauge measuring percentage of healthy nodes per zone.",
            zone,
            registry=registry,
        )
        self.zone_size = Gauge(
            "node_collector_zone_size",
            "Gauge measuring number of registered Nodes per zones.",
            zone,
            registry=registry,
        )
        self.unhealthy_nodes = Gauge(
            "node_collector_unhealthy_nodes_in_zone",
            "Gauge measuring number of not Ready Nodes per zones.",
            zone,
            registry=registry,
        )
        self.evictions = Counter(
            "node_collector_evictions",
            "Number of Node evictions that happened since current instance of NodeController started.",
            zone,
            registry=registry,
        )
        self.update_node_health = Histogram(
            "node_collector_update_node_health_duration_seconds",
            "Duration in seconds for NodeController to update the health of a single node.",
            buckets=tuple(0.001 * 4**i for i in range(8)),
            registry=registry,
        )
        self.update_all_nodes_health = Histogram(
            "node_collector_update_all_nodes_health_duration_seconds",
            "Duration in seconds for NodeController to update the health of all nodes.",
            buckets=tuple(0.01 * 4**i for i in range(8)),
            registry=registry,
        )

    @classmethod
    def of(cls, registry: CollectorRegistry | None) -> NodeLifecycleMetrics:
        """The families in `registry` (made on first use); a private registry for None."""
        if registry is None:
            return cls(CollectorRegistry())
        if registry not in _FAMILIES:
            _FAMILIES[registry] = cls(registry)
        return _FAMILIES[registry]

    def zone_counts(self, zone: str, size: int, unhealthy: int) -> None:
        self.zone_size.labels(zone).set(size)
        self.zone_health.labels(zone).set(100.0 * (size - unhealthy) / size if size else 100.0)
        self.unhealthy_nodes.labels(zone).set(unhealthy)
