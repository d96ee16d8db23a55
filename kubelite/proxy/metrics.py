"""kube-proxy's Prometheus metrics (subsystem `kubeproxy`), on --metrics-bind-address.

kubeproxy_sync_proxy_rules_duration_seconds          every sync (histogram)
kubeproxy_sync_full_proxy_rules_duration_seconds     full syncs
kubeproxy_sync_partial_proxy_rules_duration_seconds  partial syncs
kubeproxy_sync_proxy_rules_last_timestamp_seconds    the last successful sync
kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds  the last change queued
kubeproxy_sync_proxy_rules_iptables_total{table}     rules owned (iptables mode)
kubeproxy_sync_proxy_rules_iptables_last{table}      rules written by the last sync
kubeproxy_sync_proxy_rules_iptables_restore_failures_total (and _partial_)
kubeproxy_sync_proxy_rules_nftables_sync_failures_total    (nftables mode)
kubeproxy_sync_proxy_rules_{service,endpoint}_changes_total  changes seen
kubeproxy_sync_proxy_rules_no_local_endpoints_total{traffic_policy}
kubeproxy_proxy_healthz_total{code}, kubeproxy_proxy_livez_total{code}
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

_BUCKETS = tuple(0.001 * 2**i for i in range(15))  # ExponentialBuckets(0.001, 2, 15)


class ProxyMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        def hist(name: str, help: str) -> Histogram:
            return Histogram(f"kubeproxy_{name}", help, buckets=_BUCKETS, registry=registry)

        self.sync_duration = hist("sync_proxy_rules_duration_seconds", "SyncProxyRules latency in seconds")
        self.full_sync_duration = hist(
            "sync_full_proxy_rules_duration_seconds", "SyncProxyRules latency in seconds for full resyncs"
        )
        self.partial_sync_duration = hist(
            "sync_partial_proxy_rules_duration_seconds",
            "SyncProxyRules latency in seconds for partial resyncs",
        )
        self.last_sync = Gauge(
            "kubeproxy_sync_proxy_rules_last_timestamp_seconds",
            "The last time proxy rules were successfully synced",
            registry=registry,
        )
        self.last_queued = Gauge(
            "kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds",
            "The last time a sync of proxy rules was queued",
            registry=registry,
        )
        self.rules_total = Gauge(
            "kubeproxy_sync_proxy_rules_iptables_total",
            "Total number of iptables rules owned by kube-proxy",
            ["table"],
            registry=registry,
        )
        self.rules_last = Gauge(
            "kubeproxy_sync_proxy_rules_iptables_last",
            "Number of iptables rules written by kube-proxy in last sync",
            ["table"],
            registry=registry,
        )
        self.restore_failures = Counter(
            "kubeproxy_sync_proxy_rules_iptables_restore_failures",
            "Cumulative proxy iptables restore failures",
            registry=registry,
        )
        self.partial_restore_failures = Counter(
            "kubeproxy_sync_proxy_rules_iptables_partial_restore_failures",
            "Cumulative proxy iptables partial restore failures",
            registry=registry,
        )
        self.nftables_failures = Counter(
            "kubeproxy_sync_proxy_rules_nftables_sync_failures",
            "Cumulative proxy nftables sync failures",
            registry=registry,
        )
        self.service_changes = Counter(
            "kubeproxy_sync_proxy_rules_service_changes", "Cumulative service changes", registry=registry
        )
        self.endpoint_changes = Counter(
            "kubeproxy_sync_proxy_rules_endpoint_changes",
            "Cumulative proxy rules Endpoint changes",
            registry=registry,
        )
        self.no_local_endpoints = Gauge(
            "kubeproxy_sync_proxy_rules_no_local_endpoints_total",
            "Number of services with a Local traffic policy and no endpoints",
            ["traffic_policy"],
            registry=registry,
        )
        self.healthz = Counter(
            "kubeproxy_proxy_healthz", "Cumulative proxy healthz HTTP status", ["code"], registry=registry
        )
        self.livez = Counter(
            "kubeproxy_proxy_livez", "Cumulative proxy livez HTTP status", ["code"], registry=registry
        )
