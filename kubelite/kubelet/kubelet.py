"""`Kubelet`: the node agent, composed from its parts.

    run(ready)
      ├─ connect to the runtime (CRI Version) and read the host's facts
      ├─ NodeAgent.register()          the Node, with capacity, conditions, nodeInfo
      ├─ NodeLease.run()               heartbeat every 10 s
      ├─ status loop                   runtime health → conditions → post on change / 5 min
      ├─ pods informer (spec.nodeName=<node>) → PodWorkers.update(pod)
      ├─ services informer             the containers' service link variables (servicelinks.py)
      ├─ PLEG relist                   container changes → wake that pod's worker
      ├─ volumes (volumes/)            set up before a pod starts, refreshed on every sync;
      │                                orphaned pod directories removed every sync period
      ├─ eviction (eviction.py)        pods whose emptyDir outgrew its sizeLimit are evicted
      ├─ static pod source             manifests in --pod-manifest-path → PodWorkers + mirrors
      ├─ HTTPS server (server/)        logs, exec, attach, port-forward, stats, metrics; its
      │                                port goes into the Node's daemonEndpoints
      └─ ready is set once the Node is registered and the pod cache has synced

The kubelet reaches the runtime only through the CRI Protocols (`kubelite.cri`), here the
gRPC client; unit tests hand it `kubelite.kubelet.testing.FakeRuntime` instead.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any

from kubelite.api.pods import is_mirror
from kubelite.api.types import Object
from kubelite.client.events import EventRecorder
from kubelite.client.informer import Handlers, SharedInformer
from kubelite.cri import api_pb2 as pb
from kubelite.kubelet.backoff import Backoff
from kubelite.kubelet.dns import DNSConfigurer
from kubelite.kubelet.eviction import EvictionManager
from kubelite.kubelet.hostinfo import HostInfo, probe_host
from kubelite.kubelet.lease import NodeLease
from kubelite.kubelet.node import NodeHealth, node_facts
from kubelite.kubelet.nodestatus import NodeAgent
from kubelite.kubelet.options import KubeletOptions
from kubelite.kubelet.pleg import PLEG
from kubelite.kubelet.pod_workers import PodWorkers, delete_pod_object, write_pod_status
from kubelite.kubelet.prober.manager import ProbeManager
from kubelite.kubelet.server.server import KubeletServer, ServerOptions
from kubelite.kubelet.sync import PodSyncer
from kubelite.kubelet.sysctls import FORBIDDEN_REASON, Allowlist
from kubelite.kubelet.volumes.manager import VolumeManager
from kubelite.kubelet.volumes.sources import APISources
from kubelite.util.clock import Clock, RealClock

POD_CIDR_QUICK_WINDOW = 30.0  # seconds after start in which a missing podCIDR is looked for every second
log = logging.getLogger("kubelite.kubelet")


class Kubelet:
    """Also the `KubeletHost` its HTTPS server reads (node_name, runtime, pods, pod_by_name)."""

    def __init__(
        self,
        client: Any,
        runtime: Any,
        options: KubeletOptions,
        *,
        clock: Clock | None = None,
        host: HostInfo | None = None,
    ) -> None:
        self.client = client
        self.runtime = runtime
        self.options = options
        self.clock = clock or RealClock()
        self.host = host or probe_host(options.node_ip)
        self.node_name = options.node_name or self.host.hostname
        self.health = NodeHealth(runtime, options)
        self.agent: NodeAgent | None = None
        self.lease: NodeLease | None = None
        self._pod_cidr = ""  # the node's spec.podCIDR the runtime was given ("": the default)
        self.pods_informer = SharedInformer(
            client.resource("pods"), clock=self.clock, field_selector=f"spec.nodeName={self.node_name}"
        )
        # Every Service, for the containers' service link variables (servicelinks.py).
        self.services_informer = SharedInformer(client.resource("services"), clock=self.clock)
        self.pod_workers: Any = None  # built once the Node is registered (_build_pod_path)
        self.server: KubeletServer | None = None
        self.sysctls = Allowlist(options.allowed_unsafe_sysctls)

    # ---- KubeletHost: what the HTTPS server reads
    def pods(self) -> list[Object]:
        """The pods the workers run, each with the status last computed for it."""
        if self.pod_workers is None:
            return []
        out = []
        for w in list(self.pod_workers.workers.values()):
            status = w.last_status if w.last_status is not None else w.pod.get("status")
            out.append({**w.pod, "status": status or {}})
        return out

    def pod_by_name(self, namespace: str, name: str) -> Object | None:
        for pod in self.pods():
            md = pod["metadata"]
            if md.get("name") == name and md.get("namespace", "default") == namespace:
                return pod
        return None

    async def _start_server(self) -> None:
        o = self.options
        if o.port < 0:
            return
        self.server = KubeletServer(
            self,
            ServerOptions(
                address=o.address,
                port=o.port,
                tls_cert_file=o.tls_cert_file,
                tls_private_key_file=o.tls_private_key_file,
                client_ca_file=o.client_ca_file,
                authorization_mode=o.authorization_mode,
                authentication_token_webhook=o.authentication_token_webhook,
            ),
            client=self.client,
            clock=self.clock,
        )
        await self.server.start()

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

    async def _follow_pod_cidr(self, agent: NodeAgent) -> None:
        """Until the node has a podCIDR (node IPAM sets it once, right after registration;
        it never changes), read the node every second for the first 30 s, then every status
        period; the runtime gets it at once, so pods started from then on get IPs from it."""
        started = self.clock.now()
        while not agent.pod_cidr:
            quick = self.clock.now() - started < POD_CIDR_QUICK_WINDOW
            await self.clock.sleep(1.0 if quick else self.options.node_status_update_frequency)
            await agent.refresh()
        if agent.pod_cidr != self._pod_cidr:
            log.info("the node has a pod CIDR now", extra={"node": self.node_name, "podCIDR": agent.pod_cidr})
            await self._configure_pod_cidr(agent)

    def _build_pod_path(self, runtime_name: str) -> None:
        o = self.options
        pods = self.client.resource("pods")
        self.recorder = EventRecorder(self.client, component="kubelet", host=self.node_name, clock=self.clock)
        self.probes = ProbeManager(
            self.runtime,
            self.clock,
            on_change=lambda uid: self.pod_workers.wake(uid),
            record=self.recorder.event,
            pod_of=lambda uid: getattr(self.pod_workers.workers.get(uid), "pod", None),
        )
        host_ip = self.host.addresses[0]["address"] if self.host.addresses else ""
        record = self.recorder.event
        self.dns = DNSConfigurer(
            cluster_dns=o.cluster_dns,
            cluster_domain=o.cluster_domain,
            resolv_conf=o.resolv_conf,
            node_name=self.node_name,
            node_ips=tuple(a["address"] for a in self.host.addresses if a.get("type") == "InternalIP"),
            record=record,
        )
        self.dns.check_limits_for_resolv_conf()
        syncer = PodSyncer(
            self.runtime,
            clock=self.clock,
            probes=self.probes,
            record=record,
            crash_backoff=Backoff(
                self.clock,
                initial=o.crash_loop_backoff.initial,
                maximum=o.crash_loop_backoff.maximum,
                reset_after=o.backoff_reset_after,
            ),
            pull_backoff=Backoff(
                self.clock, initial=o.image_pull_backoff.initial, maximum=o.image_pull_backoff.maximum
            ),
            log_root=o.pod_log_dir,
            host_ip=host_ip,
            parallel_pod_starts=o.parallel_pod_starts,
            cgroup_root=o.cgroup_root if o.cgroups_per_qos else None,
            pod_pids_limit=o.pod_pids_limit,
            cluster_domain=o.cluster_domain,
            seccomp_root=o.root_dir / "seccomp",
            memory_capacity=self.host.memory_bytes,
            volumes=VolumeManager(
                o.root_dir,
                APISources(self.client, self.clock, service_informer=self.services_informer),
                self.clock,
                secrets_in_memory=os.geteuid() == 0,
            ),
            dns=self.dns,
        )
        if syncer.volumes is not None and self.agent is not None:
            syncer.volumes.allocatable = dict(self.agent.facts.allocatable)
        self.pod_workers = PodWorkers(
            runtime=self.runtime,
            syncer=syncer,
            probes=self.probes,
            clock=self.clock,
            record=record,
            status_writer=lambda pod, status: write_pod_status(pods, pod, status),
            delete_pod=lambda pod: delete_pod_object(pods, pod),
            host_ip=host_ip,
            runtime_name=runtime_name,
            sync_frequency=o.sync_frequency,
            admit=self._admit,
        )
        self.pleg = PLEG(self.runtime, self.clock, self.pod_workers.wake, o.pleg_relist_period)

    def _admit(self, pod: Object) -> tuple[str, str] | None:
        """(reason, message) when the kubelet refuses to run the pod (kubelet/sysctls.py)."""
        why = self.sysctls.admit(pod)
        return None if why is None else (FORBIDDEN_REASON, why)

    async def _clean_orphaned_volumes(self) -> None:
        """Every sync period, the volumes of pods that neither a worker, the API (the pods
        informer) nor a static manifest knows are removed: pods deleted while this kubelet
        was down. The first pass comes a period after start, once static pods are read."""
        volumes = self.pod_workers.syncer.volumes
        while volumes is not None:
            await self.clock.sleep(self.options.sync_frequency)
            known = set(self.pod_workers.workers)
            known |= {p["metadata"].get("uid", "") for p in self.pods_informer.indexer.list()}
            static = getattr(self, "static_pods", None)
            known |= set(static.current) if static is not None else set()
            try:
                await volumes.remove_orphans(known)
            except OSError as err:
                log.warning("could not remove orphaned pod volumes: %s", err)

    async def _configure_pod_cidr(self, agent: NodeAgent) -> None:
        """Tell the runtime the pod CIDR: the Node's spec.podCIDR, else the default range."""
        cidr = agent.pod_cidr or self.options.default_pod_cidr
        self._pod_cidr = agent.pod_cidr
        try:
            await self.runtime.update_runtime_config(
                pb.RuntimeConfig(network_config=pb.NetworkConfig(pod_cidr=cidr))
            )
        except Exception as err:
            log.warning("could not pass the pod CIDR to the runtime: %s", err, extra={"cidr": cidr})

    async def run(self, ready: asyncio.Event | None = None) -> None:
        version = await self._runtime_version()
        await self.health.refresh()
        await self._start_server()
        try:
            await self._run(version, ready)
        finally:
            if self.server is not None:
                await asyncio.shield(self.server.stop())

    async def _run(self, version: str, ready: asyncio.Event | None) -> None:
        o = self.options
        facts = node_facts(o, self.host, version)
        if self.server is not None:
            facts.kubelet_port = self.server.port
        self.agent = agent = NodeAgent(
            self.client,
            facts,
            clock=self.clock,
            conditions=self.health.conditions,
            update_frequency=o.node_status_update_frequency,
            report_frequency=o.node_status_report_frequency,
            retry_initial=o.lease_retry_initial,
            retry_max=o.lease_retry_max,
        )
        self.lease = NodeLease(
            self.client,
            facts.name,
            clock=self.clock,
            duration_seconds=o.node_lease_duration_seconds,
            renew_interval=o.lease_renew_interval,
            retry_initial=o.lease_retry_initial,
            retry_max=o.lease_retry_max,
            node_uid=lambda: agent.uid,
        )
        await agent.register()
        await self._configure_pod_cidr(agent)
        self._build_pod_path(version.split("://", 1)[0])
        workers = self.pod_workers
        # Mirror pods only show static pods in the API; the static pod itself comes from its file.
        self.pods_informer.add_event_handler(
            Handlers(
                add=lambda p: None if is_mirror(p) else workers.update(p),
                update=lambda old, new: None if is_mirror(new) else workers.update(new),
                delete=lambda p: None if is_mirror(p) else workers.deleted(p),
            )
        )
        try:
            async with asyncio.TaskGroup() as tg:
                tg.create_task(self.lease.run())
                tg.create_task(self._status_loop(agent))
                tg.create_task(self._follow_pod_cidr(agent))
                tg.create_task(self.recorder.run())
                tg.create_task(self.pods_informer.run())
                tg.create_task(self.services_informer.run())
                if syncer_volumes := workers.syncer.volumes:
                    eviction = EvictionManager(
                        workers,
                        syncer_volumes.path_of,
                        self.recorder.event,
                        self.clock,
                        o.eviction_monitoring_period,
                    )
                    tg.create_task(eviction.run())
                tg.create_task(self.pleg.run())
                if o.pod_manifest_path is not None:
                    from kubelite.kubelet.static_pods import StaticPods

                    self.static_pods = StaticPods(self.client, o, facts.name, agent, workers, self.clock)
                    tg.create_task(self.static_pods.run())
                await self.pods_informer.wait_for_sync()
                tg.create_task(self._clean_orphaned_volumes())
                if ready is not None:
                    ready.set()
        finally:
            await asyncio.shield(workers.shutdown())
            await asyncio.shield(self.probes.shutdown())
