"""The simulated kubelet: N nodes heartbeating from one process, pods moved by stages.

    for each node:  NodeAgent (register, status every 10 s, posted on change / 5 min)
                    NodeLease (created right after the Node, renewed every 10 s)
                    node i of N renews in the slot i/N of each interval, and checks its
                    status half an interval later: 5,000 nodes make a steady 500 renewals a
                    second, never a burst (both loops keep a fixed rate, so slots hold)
    pods:           one informer of every bound pod (spec.nodeName!=""); its handlers
                    enqueue the keys of pods on our nodes; reconcile(key) finds the pod's
                    current stage and, once the stage's delay has passed, patches the
                    status or deletes the pod.

Pod IPs come from the node's spec.podCIDR when node IPAM set one (one informer of the
simulated nodes follows it, as a kubelet follows its node), else from a /24 per node carved
out of 10.0.0.0/8 by the node's index.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import logging
from typing import Any

import kubelite
from kubelite.api.errors import Conflict, NotFound
from kubelite.api.types import Object
from kubelite.client.informer import Handlers, SharedInformer
from kubelite.client.reconcile import Controller, Requeue
from kubelite.client.resource import PatchType
from kubelite.kubelet.lease import NodeLease
from kubelite.kubelet.nodestatus import NodeAgent, NodeFacts
from kubelite.kubelet.options import KubeletOptions
from kubelite.kubelet.simulated.stages import Stage, current_stage, load_stages, status_for
from kubelite.util.clock import Clock, RealClock

log = logging.getLogger("kubelite.kubelet.simulated")

SIMULATED_LABEL = "kubelite.io/simulated"


def simulated_facts(name: str, index: int, options: KubeletOptions) -> NodeFacts:
    ip = f"172.{16 + (index >> 16) % 16}.{(index >> 8) & 255}.{index & 255}"
    labels = {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        "beta.kubernetes.io/os": "linux",
        "beta.kubernetes.io/arch": "amd64",
        SIMULATED_LABEL: "true",
        "type": "kubelite-simulated",
        **options.node_labels,
    }
    cap = {"cpu": "32", "memory": "256Gi", "ephemeral-storage": "1Ti", "pods": str(options.max_pods)}
    info = {
        "machineID": f"simulated-{index}",
        "systemUUID": f"simulated-{index}",
        "bootID": "",
        "kernelVersion": "simulated",
        "osImage": "kubelite simulated node",
        "operatingSystem": "linux",
        "architecture": "amd64",
        "containerRuntimeVersion": f"simulated://{kubelite.__version__}",
        "kubeletVersion": f"{kubelite.KUBERNETES_VERSION}-kubelite-simulated",
        "kubeProxyVersion": "",
    }
    return NodeFacts(
        name=name,
        labels=labels,
        capacity=cap,
        allocatable=dict(cap),
        addresses=[{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
        node_info=info,
        taints=list(options.register_with_taints),
        annotations={"kubelite.io/simulated": "true"},
    )


def slot_delay(index: int, count: int, start: float, period: float, now: float) -> float:
    """Seconds from `now` until node `index`'s next slot. Node i of N owns the instants
    start + (i/N + k) × period, so N nodes' requests arrive evenly, not in bursts."""
    return (start + period * index / count - now) % period


class _IPs:
    """Pod IPs per node: the next free host address of the node's pod CIDR."""

    def __init__(self, cidr: str, keep: dict[str, str] | None = None) -> None:
        self.net = ipaddress.ip_network(cidr)
        self.next = 2
        self.by_uid: dict[str, str] = dict(keep or {})  # pods keep the IPs they have

    def take(self, uid: str) -> str:
        if uid not in self.by_uid:
            self.by_uid[uid] = str(self.net.network_address + self.next)
            self.next = self.next + 1 if self.next + 2 < self.net.num_addresses else 2
        return self.by_uid[uid]

    def release(self, uid: str) -> None:
        self.by_uid.pop(uid, None)


class SimulatedKubelet:
    def __init__(
        self,
        client: Any,
        options: KubeletOptions,
        *,
        clock: Clock | None = None,
        pods_informer: SharedInformer | None = None,
    ) -> None:
        self.client = client
        self.options = options
        self.clock = clock or RealClock()
        self.stages: list[Stage] = load_stages(options.simulated_stages_file, options.simulated_start_latency)
        self.agents: dict[str, NodeAgent] = {}
        self.leases: dict[str, NodeLease] = {}
        self.ips: dict[str, _IPs] = {}
        for i in range(options.simulated):
            name = f"{options.simulated_name_prefix}{i}"
            agent = NodeAgent(
                client,
                simulated_facts(name, i, options),
                clock=self.clock,
                update_frequency=options.node_status_update_frequency,
                report_frequency=options.node_status_report_frequency,
                retry_initial=options.lease_retry_initial,
                retry_max=options.lease_retry_max,
            )
            self.agents[name] = agent
            self.leases[name] = NodeLease(
                client,
                name,
                clock=self.clock,
                duration_seconds=options.node_lease_duration_seconds,
                renew_interval=options.lease_renew_interval,
                retry_initial=options.lease_retry_initial,
                retry_max=options.lease_retry_max,
                node_uid=functools.partial(getattr, agent, "uid"),
            )
            self.ips[name] = _IPs(f"10.{(i >> 8) & 255}.{i & 255}.0/24")
        self.pods = client.resource("pods")
        self.informer = pods_informer or SharedInformer(
            self.pods, field_selector="spec.nodeName!=", clock=self.clock
        )
        self.nodes_informer = SharedInformer(
            client.resource("nodes"), label_selector=f"{SIMULATED_LABEL}=true", clock=self.clock
        )
        self.nodes_informer.add_event_handler(
            Handlers(add=self._node_seen, update=lambda old, new: self._node_seen(new))
        )
        self.controller = Controller("simulated-kubelet", self.reconcile, workers=8, clock=self.clock)
        self.controller.watch(self.informer, self._keys_of)
        self._matched_since: dict[tuple[str, str], float] = {}

    def _node_seen(self, node: Object) -> None:
        """A node's podCIDR set (by node IPAM): its next pods get IPs from it."""
        name = node["metadata"]["name"]
        cidr = (node.get("spec") or {}).get("podCIDR")
        if name in self.ips and cidr and str(self.ips[name].net) != cidr:
            self.ips[name] = _IPs(cidr, keep=self.ips[name].by_uid)

    def _keys_of(self, pod: Object) -> list[str]:
        if (pod.get("spec") or {}).get("nodeName") not in self.agents:
            return []
        return [f"{pod['metadata'].get('namespace', 'default')}/{pod['metadata']['name']}"]

    async def _start_node(self, tg: asyncio.TaskGroup, index: int, agent: NodeAgent, start: float) -> None:
        """Register the Node, create its Lease, then heartbeat in the node's slot."""
        await agent.register()
        if agent.pod_cidr:
            self.ips[agent.facts.name] = _IPs(agent.pod_cidr)
        lease = self.leases[agent.facts.name]
        try:
            await lease.renew_once()
        except Exception as err:  # the lease loop retries it in the node's slot
            log.warning("unable to create the node lease: %s", err, extra={"node": agent.facts.name})
        n, now = len(self.agents), self.clock.now()
        interval, status_every = self.options.lease_renew_interval, agent.update_frequency
        tg.create_task(lease.run(first_delay=slot_delay(index, n, start, interval, now)))
        # Status checks in the middle of the node's lease slots, so the two do not coincide.
        tg.create_task(
            agent.run_status_loop(
                first_delay=slot_delay(index, n, start + status_every / 2, status_every, now)
            )
        )

    async def run(self, ready: asyncio.Event | None = None) -> None:
        start = self.clock.now()
        sem = asyncio.Semaphore(64)  # registrations in flight

        async def one(tg: asyncio.TaskGroup, index: int, agent: NodeAgent) -> None:
            async with sem:
                await self._start_node(tg, index, agent, start)

        async with asyncio.TaskGroup() as tg:
            await asyncio.gather(*(one(tg, i, a) for i, a in enumerate(self.agents.values())))
            log.info("simulated nodes registered", extra={"nodes": len(self.agents)})
            tg.create_task(self.informer.run())
            tg.create_task(self.nodes_informer.run())
            tg.create_task(self.controller.run(ready))

    async def reconcile(self, key: str) -> Requeue | None:
        pod = self.informer.indexer.get(key)
        if pod is None:
            return None
        node = (pod.get("spec") or {}).get("nodeName")
        if node not in self.agents:
            return None
        stage = current_stage(self.stages, pod)
        if stage is None:
            return None
        since_key = (pod["metadata"].get("uid", ""), stage.name)
        since = self._matched_since.setdefault(since_key, self.clock.now())
        wait = since + stage.delay - self.clock.now()
        if wait > 0:
            return Requeue(wait)
        try:
            await self._apply(stage, pod, node)
        except NotFound:
            pass
        except Conflict:
            return Requeue(0.1)
        self._matched_since.pop(since_key, None)
        return None

    async def _apply(self, stage: Stage, pod: Object, node: str) -> None:
        md = pod["metadata"]
        if stage.delete:
            self.ips[node].release(md.get("uid", ""))
            await self.pods.delete(
                md["name"],
                namespace=md.get("namespace"),
                grace_period_seconds=0,
                preconditions={"uid": md.get("uid", "")},
            )
            return
        assert stage.next_phase is not None
        host_ip = self.agents[node].facts.addresses[0]["address"]
        host_network = (pod.get("spec") or {}).get("hostNetwork")
        pod_ip = host_ip if host_network else self.ips[node].take(md.get("uid", ""))
        status = status_for(pod, stage.next_phase, host_ip=host_ip, pod_ip=pod_ip, wall=self.clock.wall())
        await self.pods.patch(
            md["name"],
            {"status": status},
            namespace=md.get("namespace"),
            subresource="status",
            patch_type=PatchType.MERGE,
        )
