"""`Kubelet`: the node agent, composed from its parts.

    run(ready)
      ├─ connect to the runtime (CRI Version) and read the host's facts
      ├─ NodeAgent.register()          the Node, with capacity, conditions, nodeInfo
      ├─ NodeLease.run()               heartbeat every 10 s
      ├─ status loop                   runtime health → conditions → post on change / 5 min
      ├─ pods informer (spec.nodeName=<node>) → PodWorkers.update(pod)
      ├─ PLEG relist                   container changes → wake that pod's worker
      ├─ static pod source             manifests in --pod-manifest-path → PodWorkers + mirrors
      └─ ready is set once the Node is registered and the pod cache has synced

The kubelet reaches the runtime only through the CRI Protocols (`kubelite.cri`), here the
gRPC client; unit tests hand it `kubelite.kubelet.testing.FakeRuntime` instead.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from kubelite.client.informer import Handlers, SharedInformer
from kubelite.kubelet.hostinfo import HostInfo, probe_host
from kubelite.kubelet.lease import NodeLease
from kubelite.kubelet.node import NodeHealth, node_facts
from kubelite.kubelet.nodestatus import NodeAgent
from kubelite.kubelet.options import KubeletOptions
from kubelite.util.clock import Clock, RealClock

log = logging.getLogger("kubelite.kubelet")
Obj = dict[str, Any]


class Kubelet:
    def __init__(self, client: Any, runtime: Any, options: KubeletOptions, *, clock: Clock | None = None,
                 host: HostInfo | None = None) -> None:
        self.client = client
        self.runtime = runtime
        self.options = options
        self.clock = clock or RealClock()
        self.host = host or probe_host(options.node_ip)
        self.node_name = options.node_name or self.host.hostname
        self.health = NodeHealth(runtime, options)
        self.agent: NodeAgent | None = None
        self.lease: NodeLease | None = None
        self.pods_informer = SharedInformer(client.resource("pods"), clock=self.clock,
                                            field_selector=f"spec.nodeName={self.node_name}")
        self.pod_workers: Any = None  # set by the pod path (kubelite.kubelet.pods)

    async def _runtime_version(self) -> str:
        while True:
            try:
                v = await self.runtime.version()
                return f"{v.runtime_name}://{v.runtime_version}"
            except Exception as err:
                log.warning("waiting for the container runtime: %s", err)
                await self.clock.sleep(1.0)

    async def _status_loop(self, agent: NodeAgent) -> None:
        while True:
            await self.clock.sleep(self.options.node_status_update_frequency)
            await self.health.refresh()
            try:
                await agent.post_status()
            except Exception as err:
                log.warning("unable to update node status: %s", err, extra={"node": self.node_name})

    async def run(self, ready: asyncio.Event | None = None) -> None:
        o = self.options
        version = await self._runtime_version()
        await self.health.refresh()
        facts = node_facts(o, self.host, version)
        self.agent = agent = NodeAgent(self.client, facts, clock=self.clock,
                                       conditions=self.health.conditions,
                                       update_frequency=o.node_status_update_frequency,
                                       report_frequency=o.node_status_report_frequency,
                                       retry_initial=o.lease_retry_initial, retry_max=o.lease_retry_max)
        self.lease = NodeLease(self.client, facts.name, clock=self.clock,
                               duration_seconds=o.node_lease_duration_seconds,
                               renew_interval=o.lease_renew_interval, retry_initial=o.lease_retry_initial,
                               retry_max=o.lease_retry_max, node_uid=lambda: agent.uid)
        await agent.register()
        async with asyncio.TaskGroup() as tg:
            tg.create_task(self.lease.run())
            tg.create_task(self._status_loop(agent))
            if self.pod_workers is not None:
                self.pods_informer.add_event_handler(Handlers(
                    add=self.pod_workers.update, update=lambda old, new: self.pod_workers.update(new),
                    delete=self.pod_workers.deleted))
                tg.create_task(self.pods_informer.run())
                tg.create_task(self.pod_workers.run(agent))
                await self.pods_informer.wait_for_sync()
            if ready is not None:
                ready.set()
