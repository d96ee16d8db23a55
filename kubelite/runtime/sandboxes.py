"""Pod sandboxes: the shared namespaces, network and files a pod's containers live in.

kubelite keeps no pause process (as CRI-O can run without an infra container): the pod's
network, IPC and UTS namespaces are held by bind mounts (`namespaces.py`), and each
container's OCI spec joins them by path.

```
RunPodSandbox ──► READY ──StopPodSandbox──► NOTREADY ──RemovePodSandbox──► (gone)
   namespaces, CNI ADD,        containers killed, CNI DEL (IP released),
   hostname/hosts/resolv.conf  namespaces unmounted
```

A hostNetwork pod (namespace_options.network == NODE) gets only a new IPC namespace: it
uses the node's network and hostname, and CNI is not called. A pod sharing its process
namespace (namespace_options.pid == POD) also gets a PID namespace, held by a small init
process (`namespaces.hold_pid_namespace`) that is stopped with the sandbox.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path

from kubelite.cri import api_pb2 as pb
from kubelite.cri.errors import AlreadyExists, CRIError, NotFound
from kubelite.runtime import namespaces
from kubelite.runtime.cni import CNI, pod_ip
from kubelite.runtime.records import SandboxRecord, save

log = logging.getLogger("kubelite.runtime.sandboxes")


def _resolv_conf(dns: pb.DNSConfig) -> str:
    if not dns.servers and not dns.searches:
        try:
            return Path("/etc/resolv.conf").read_text()
        except OSError:
            return ""
    lines = [f"nameserver {s}" for s in dns.servers]
    if dns.searches:
        lines.append("search " + " ".join(dns.searches))
    if dns.options:
        lines.append("options " + " ".join(dns.options))
    return "\n".join(lines) + "\n"


class SandboxOps:
    """The PodSandboxManager half of `runtime_service.Runtime` (state lives on the Runtime)."""

    root: Path
    cni: CNI
    cgroup_root: str
    sandboxes: dict[str, SandboxRecord]
    sandbox_configs: dict[str, pb.PodSandboxConfig]
    _locks: dict[str, asyncio.Lock]

    def sandbox_dir(self, sid: str) -> Path:
        return self.root / "sandboxes" / sid

    def find_sandbox(self, sid: str) -> SandboxRecord:
        if sid in self.sandboxes:
            return self.sandboxes[sid]
        matches = [s for k, s in self.sandboxes.items() if sid and k.startswith(sid)]
        if len(matches) == 1:
            return matches[0]
        raise NotFound(f"pod sandbox {sid!r} not found")

    def sandbox_config(self, sid: str) -> pb.PodSandboxConfig:
        """The sandbox's CRI config; it never changes, so it is read from disk once (listing
        every sandbox on each kubelet sync would otherwise parse N files per call)."""
        cfg = self.sandbox_configs.get(sid)
        if cfg is None:
            cfg = pb.PodSandboxConfig.FromString((self.sandbox_dir(sid) / "config.pb").read_bytes())
            self.sandbox_configs[sid] = cfg
        return cfg

    def sandbox_files(self, sid: str) -> dict[str, Path]:
        d = self.sandbox_dir(sid)
        return {
            "/etc/hostname": d / "hostname",
            "/etc/hosts": d / "hosts",
            "/etc/resolv.conf": d / "resolv.conf",
        }

    def sandbox_namespaces(self, rec: SandboxRecord) -> dict[str, Path]:
        d = self.sandbox_dir(rec.id) / "ns"
        kinds = ("ipc",) if rec.host_network else namespaces.KINDS
        return {k: d / k for k in (*kinds, "pid") if (d / k).exists()}

    async def run_pod_sandbox(self, config: pb.PodSandboxConfig, runtime_handler: str = "") -> str:
        md = config.metadata
        for s in self.sandboxes.values():
            if (s.name, s.namespace, s.uid, s.attempt) == (md.name, md.namespace, md.uid, md.attempt):
                raise AlreadyExists(
                    f"pod sandbox {md.namespace}/{md.name} attempt {md.attempt} exists as {s.id}"
                )
        sid = secrets.token_hex(32)
        opts = config.linux.security_context.namespace_options
        rec = SandboxRecord(
            id=sid,
            name=md.name,
            namespace=md.namespace,
            uid=md.uid,
            attempt=md.attempt,
            created_at=time.time_ns(),
            host_network=opts.network == pb.NODE,
            cgroup_parent=config.linux.cgroup_parent or f"{self.cgroup_root}/pod-{sid[:12]}",
            runtime_handler=runtime_handler,
        )
        d = self.sandbox_dir(sid)
        d.mkdir(parents=True)
        try:
            await self._set_up(d, rec, config)
        except BaseException:
            await asyncio.shield(self._tear_down(rec))
            shutil.rmtree(d, ignore_errors=True)
            raise
        self.sandbox_configs[sid] = pb.PodSandboxConfig()
        self.sandbox_configs[sid].CopyFrom(config)
        self.sandboxes[sid] = rec
        return sid

    async def _set_up(self, d: Path, rec: SandboxRecord, config: pb.PodSandboxConfig) -> None:
        (d / "config.pb").write_bytes(config.SerializeToString())
        # A hostNetwork pod shares the node's UTS namespace, so its hostname is the node's
        # (containerd's behaviour; it refuses a hostname of the pod's own there).
        hostname = socket.gethostname() if rec.host_network else config.hostname or config.metadata.name
        (d / "hostname").write_text(hostname + "\n")
        (d / "resolv.conf").write_text(_resolv_conf(config.dns_config))
        kinds = ("ipc",) if rec.host_network else namespaces.KINDS
        await asyncio.to_thread(namespaces.create, d / "ns", hostname, kinds)
        if config.linux.security_context.namespace_options.pid == pb.POD:
            rec.pid_holder = await asyncio.to_thread(namespaces.hold_pid_namespace, d / "ns")
        if not rec.host_network:
            try:
                saved = await self.cni.add(rec.id, d / "ns" / "net", list(config.port_mappings))
            except Exception as err:
                raise CRIError(f"setting up the pod network: {err}") from None
            (d / "network.json").write_text(json.dumps(saved))
            rec.ip, rec.additional_ips = pod_ip(saved["result"])
        hosts = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"]
        if rec.ip:
            hosts.append(f"{rec.ip}\t{hostname}")
        (d / "hosts").write_text("\n".join(hosts) + "\n")
        save(d, rec)

    async def _tear_down(self, rec: SandboxRecord) -> None:
        d = self.sandbox_dir(rec.id)
        net = d / "network.json"
        if net.exists():
            await self.cni.delete(rec.id, d / "ns" / "net", json.loads(net.read_text()))
            net.unlink()
        namespaces.release_pid_namespace(rec.pid_holder)
        rec.pid_holder = 0
        await asyncio.to_thread(namespaces.destroy, d / "ns")

    async def stop_pod_sandbox(self, pod_sandbox_id: str) -> None:
        try:
            rec = self.find_sandbox(pod_sandbox_id)
        except NotFound:
            return
        async with self._locks.setdefault(rec.id, asyncio.Lock()):
            for c in [c for c in self.containers.values() if c.sandbox_id == rec.id]:  # type: ignore[attr-defined]
                await self.stop_container(c.id, 0)  # type: ignore[attr-defined]
            await self._tear_down(rec)
            rec.ready = False
            save(self.sandbox_dir(rec.id), rec)
        if self.cni.old_gateways_kept and not rec.host_network:
            await self._prune_old_gateways()

    def pod_ips(self) -> list[str]:
        """The IPs pods on the network have now."""
        return [s.ip for s in self.sandboxes.values() if s.ready and s.ip]

    async def _prune_old_gateways(self) -> None:
        """A pod left the network: an old range's gateway no pod needs any more goes."""
        try:
            await asyncio.to_thread(self.cni.reconcile_bridges, self.pod_ips())
        except (OSError, subprocess.CalledProcessError) as err:
            log.warning("could not remove an old gateway address from the bridge: %s", err)

    async def remove_pod_sandbox(self, pod_sandbox_id: str) -> None:
        try:
            rec = self.find_sandbox(pod_sandbox_id)
        except NotFound:
            return
        await self.stop_pod_sandbox(rec.id)
        for c in [c for c in self.containers.values() if c.sandbox_id == rec.id]:  # type: ignore[attr-defined]
            await self.remove_container(c.id)  # type: ignore[attr-defined]
        shutil.rmtree(self.sandbox_dir(rec.id), ignore_errors=True)
        self.sandboxes.pop(rec.id, None)
        self.sandbox_configs.pop(rec.id, None)

    def _sandbox_status(self, rec: SandboxRecord) -> pb.PodSandboxStatus:
        cfg = self.sandbox_config(rec.id)
        node, pod = pb.NODE, pb.POD
        return pb.PodSandboxStatus(
            id=rec.id,
            metadata=cfg.metadata,
            created_at=rec.created_at,
            state=pb.SANDBOX_READY if rec.ready else pb.SANDBOX_NOTREADY,
            network=pb.PodSandboxNetworkStatus(
                ip=rec.ip, additional_ips=[pb.PodIP(ip=i) for i in rec.additional_ips]
            ),
            linux=pb.LinuxPodSandboxStatus(
                namespaces=pb.Namespace(
                    options=pb.NamespaceOption(
                        network=node if rec.host_network else pod,
                        pid=cfg.linux.security_context.namespace_options.pid,
                        ipc=cfg.linux.security_context.namespace_options.ipc,
                    )
                )
            ),
            labels=cfg.labels,
            annotations=cfg.annotations,
            runtime_handler=rec.runtime_handler,
        )

    async def pod_sandbox_status(
        self, pod_sandbox_id: str, verbose: bool = False
    ) -> pb.PodSandboxStatusResponse:
        rec = self.find_sandbox(pod_sandbox_id)
        info = (
            {"info": json.dumps({"cgroupParent": rec.cgroup_parent, "hostNetwork": rec.host_network})}
            if verbose
            else {}
        )
        return pb.PodSandboxStatusResponse(
            status=self._sandbox_status(rec), info=info, timestamp=time.time_ns()
        )

    async def list_pod_sandbox(self, filter: pb.PodSandboxFilter | None = None) -> list[pb.PodSandbox]:
        out = []
        for rec in list(self.sandboxes.values()):
            # filter on what is in memory first: the kubelet lists one pod's sandboxes by label
            cfg = self.sandbox_config(rec.id)
            state = pb.SANDBOX_READY if rec.ready else pb.SANDBOX_NOTREADY
            if filter is not None:
                if filter.id and not rec.id.startswith(filter.id):
                    continue
                if filter.HasField("state") and filter.state.state != state:
                    continue
                if any(cfg.labels.get(k) != v for k, v in filter.label_selector.items()):
                    continue
            out.append(
                pb.PodSandbox(
                    id=rec.id,
                    metadata=cfg.metadata,
                    state=state,
                    created_at=rec.created_at,
                    labels=cfg.labels,
                    annotations=cfg.annotations,
                    runtime_handler=rec.runtime_handler,
                )
            )
        return out
