"""What every controller is built from: `ControllerContext`, and the `RunnableController` shape.

The controller manager makes one context per process (kube-controller-manager's
ControllerContext): one API client, one `SharedInformerFactory` so every controller shares
one watch and one cache per resource, the clock, the per-controller worker counts
(`--concurrent-*-syncs`), and a source of workqueue metrics. Each controller's constructor
takes the context, asks it for the informers it needs and for an event recorder under its
own component name, and offers `run(ready)`; the manager starts the informers once every
controller has asked for its own. As in kube-controller-manager, each controller talks
through a client of its own (`for_controller`): the same connections, its own QPS/burst
budget and a user agent naming it, so a controller creating 5,000 pods does not make the
others wait.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from prometheus_client import CollectorRegistry

from kubelite.client.discovery import DiscoveryResult
from kubelite.client.events import EventRecorder
from kubelite.client.informer import SharedInformerFactory
from kubelite.client.resource import APIClient
from kubelite.client.workqueue import QueueMetrics
from kubelite.util.clock import Clock, RealClock


class RunnableController(Protocol):
    async def run(self, ready: asyncio.Event | None = None) -> None:
        """Wait for caches, work until cancelled; set `ready` once working."""
        ...


class NotStarted:
    """A controller that cannot work without a setting it was not given (as
    kube-controller-manager skips the root CA publisher without a CA): ready at once, idle."""

    def __init__(self, name: str, why: str) -> None:
        self.name, self.why = name, why

    async def run(self, ready: asyncio.Event | None = None) -> None:
        logging.getLogger("kubelite.controllers").warning("not starting %s: %s", self.name, self.why)
        if ready is not None:
            ready.set()
        await asyncio.Event().wait()


def _no_metrics(name: str) -> QueueMetrics | None:
    return None


@dataclass(slots=True, frozen=True)
class ControllerSettings:
    """The per-controller settings of kube-controller-manager's component config."""

    namespace_sync_period: float = 300.0  # --namespace-sync-period
    root_ca: bytes = b""  # PEM of --root-ca-file (the root CA publisher's, the tokens' ca.crt)
    service_account_private_key: bytes = b""  # PEM of --service-account-private-key-file
    # node-lifecycle-controller
    node_monitor_period: float = 5.0  # --node-monitor-period
    node_monitor_grace_period: float = 40.0  # --node-monitor-grace-period
    node_startup_grace_period: float = 60.0  # --node-startup-grace-period
    node_eviction_rate: float = 0.1  # --node-eviction-rate (nodes per second, per zone)
    secondary_node_eviction_rate: float = 0.01  # --secondary-node-eviction-rate
    unhealthy_zone_threshold: float = 0.55  # --unhealthy-zone-threshold
    large_cluster_size_threshold: int = 50  # --large-cluster-size-threshold
    # pod-garbage-collector-controller
    terminated_pod_gc_threshold: int = 12500  # --terminated-pod-gc-threshold (0: off)
    # endpointslice-controller, endpointslice-mirroring-controller
    max_endpoints_per_slice: int = 100  # --max-endpoints-per-slice
    mirroring_max_endpoints_per_subset: int = 1000  # --mirroring-max-endpoints-per-subset
    # node-ipam-controller
    allocate_node_cidrs: bool = True  # --allocate-node-cidrs (Kubernetes: false unless asked)
    cluster_cidr: str = "10.244.0.0/16"  # --cluster-cidr (Kubernetes: none; kubeadm's usual one)
    node_cidr_mask_size: int = 24  # --node-cidr-mask-size / --node-cidr-mask-size-ipv4
    node_cidr_mask_size_ipv6: int = 64  # --node-cidr-mask-size-ipv6
    service_cluster_ip_range: str = ""  # --service-cluster-ip-range: never handed to nodes
    # persistentvolume-binder-controller
    pvclaimbinder_sync_period: float = 15.0  # --pvclaimbinder-sync-period
    # kubelite's local-path provisioner (empty: not started)
    local_path_dir: str = ""  # --local-path-dir


@dataclass(slots=True)
class ControllerContext:
    client: APIClient
    informers: SharedInformerFactory
    clock: Clock = field(default_factory=RealClock)
    workers: dict[str, int] = field(default_factory=dict)  # controller name -> workers
    settings: ControllerSettings = field(default_factory=ControllerSettings)
    queue_metrics: Callable[[str], QueueMetrics | None] = _no_metrics
    # Every resource the server serves (the garbage collector watches them all).
    discover: Callable[[], Awaitable[DiscoveryResult]] | None = None
    recorders: list[EventRecorder] = field(default_factory=list)
    # The process's /metrics registry, for controllers with metrics of their own (None: none).
    registry: CollectorRegistry | None = None
    # Each controller's own client limit (--kube-api-qps / --kube-api-burst); 0: share `client`.
    client_qps: float = 0.0
    client_burst: int = 0

    def recorder(self, component: str) -> EventRecorder:
        """An event recorder reporting as `component` (its writer runs with the manager)."""
        rec = EventRecorder(self.client, component=component, clock=self.clock)
        self.recorders.append(rec)
        return rec

    def concurrency(self, name: str, default: int) -> int:
        return self.workers.get(name, default)

    def for_controller(self, name: str, user_agent: str = "kube-controller-manager") -> ControllerContext:
        """This context with a client of the controller's own (see the module docstring)."""
        if self.client_qps <= 0:
            return self
        client = self.client.derive(
            user_agent=f"{user_agent}/{name}", qps=self.client_qps, burst=self.client_burst
        )
        return replace(self, client=client)
