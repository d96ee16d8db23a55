"""The runtime proper: kubelite's implementation of the CRI RuntimeService.

`Runtime` is assembled from one part per CRI role, each in its own module:
`sandboxes.SandboxOps` (PodSandboxManager), `containers.ContainerOps` (ContainerManager),
`streaming.cri_calls.StreamOps` (Exec, Attach and PortForward, served by `streaming/`) and, here,
version, status, stats and restart recovery. All of them share the records under the
root directory (`records.py`) and the in-memory index of them.

Recovery: at start the index is rebuilt from ROOT/sandboxes and ROOT/containers. Nothing
is restarted or killed: a container whose monitor is still running keeps running and is
reported RUNNING; one that exited meanwhile has its exit recorded by its monitor.
"""

from __future__ import annotations

import asyncio
import shutil
from typing import TYPE_CHECKING

from kubelite.cri import api_pb2 as pb
from kubelite.cri.errors import NotFound
from kubelite.image.manager import ImageManager
from kubelite.runtime import stats
from kubelite.runtime.cni import CNI
from kubelite.runtime.containers import ContainerOps, MonitorLauncher
from kubelite.runtime.namespaces import ensure_private_dir
from kubelite.runtime.records import ContainerRecord, SandboxRecord, load_all
from kubelite.runtime.sandboxes import SandboxOps
from kubelite.runtime.streaming.cri_calls import StreamOps
from kubelite.runtime.streaming.http_server import StreamingOptions, StreamingServer

if TYPE_CHECKING:
    from kubelite.runtime.process import RuntimeOptions

RUNTIME_NAME = "kubelite"
RUNTIME_VERSION = "0.1.0"
CRI_VERSION = "v1"


class Runtime(SandboxOps, ContainerOps, StreamOps):
    def __init__(self, options: RuntimeOptions, images: ImageManager) -> None:
        self.root = options.root
        self.runc = options.runc
        self.cgroup_root = options.cgroup_parent
        self.images = images
        self.cni = CNI(options.cni_conf_dir, options.cni_bin_dirs, options.cni_ipam_dir)
        self.sandboxes: dict[str, SandboxRecord] = {}
        self.containers: dict[str, ContainerRecord] = {}
        self.sandbox_configs: dict[str, pb.PodSandboxConfig] = {}
        self.container_configs: dict[str, pb.ContainerConfig] = {}
        self.monitors = MonitorLauncher()
        self._locks: dict[str, asyncio.Lock] = {}
        self.streaming = StreamingServer(StreamingOptions(address=options.streaming_address), self)

    async def recover(self) -> None:
        for sub in ("sandboxes", "containers", "runc"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        await asyncio.to_thread(ensure_private_dir, self.root / "sandboxes")
        self.monitors.start()
        self.sandboxes = load_all(self.root / "sandboxes", SandboxRecord)
        self.containers = load_all(self.root / "containers", ContainerRecord)
        for rec in list(self.containers.values()):
            if rec.sandbox_id not in self.sandboxes:  # a half-removed sandbox's leftovers
                await self._destroy(rec)
        # A bridge may carry the gateway of a range this runtime no longer has (it ran with
        # another pod CIDR and was killed); the bridge plugin would refuse every new pod.
        await self._prune_old_gateways()

    async def version(self, api_version: str = "v1") -> pb.VersionResponse:
        return pb.VersionResponse(
            version="0.1.0",
            runtime_name=RUNTIME_NAME,
            runtime_version=RUNTIME_VERSION,
            runtime_api_version=CRI_VERSION,
        )

    async def status(self, verbose: bool = False) -> pb.StatusResponse:
        runc_ok = shutil.which(self.runc) is not None
        net_ok, net_msg = self.cni.ready()
        return pb.StatusResponse(
            status=pb.RuntimeStatus(
                conditions=[
                    pb.RuntimeCondition(
                        type="RuntimeReady",
                        status=runc_ok,
                        reason="" if runc_ok else "RuntimeNotFound",
                        message="" if runc_ok else f"{self.runc} not found on PATH",
                    ),
                    pb.RuntimeCondition(
                        type="NetworkReady",
                        status=net_ok,
                        reason="" if net_ok else "NetworkPluginNotReady",
                        message=net_msg,
                    ),
                ]
            ),
            runtime_handlers=[pb.RuntimeHandler(name="")],
        )

    async def update_runtime_config(self, config: pb.RuntimeConfig) -> None:
        """The kubelet passes the node's pod CIDR; the pod network's IPs follow it."""
        cidr = config.network_config.pod_cidr
        if cidr:
            await asyncio.to_thread(self.cni.set_pod_cidr, cidr, self.pod_ips())

    def _container_stats(self, rec: ContainerRecord) -> pb.ContainerStats | None:
        """The container's stats; None if it vanished (removed) while they were read."""
        try:
            cfg = self.container_config(rec.id)
        except FileNotFoundError:
            return None
        s = pb.ContainerStats(
            attributes=pb.ContainerAttributes(
                id=rec.id, metadata=cfg.metadata, labels=cfg.labels, annotations=cfg.annotations
            )
        )
        if not stats.fill(rec.cgroup, s.cpu, s.memory) and self.containers.get(rec.id) is not rec:
            return None
        return s

    async def container_stats(self, container_id: str) -> pb.ContainerStats:
        rec = self.find_container(container_id)
        s = self._container_stats(rec)
        if s is None:
            raise NotFound(f"container {container_id!r} not found")
        return s

    async def list_container_stats(
        self, filter: pb.ContainerStatsFilter | None = None
    ) -> list[pb.ContainerStats]:
        out = []
        for rec in list(self.containers.values()):
            if self.state(rec) != pb.CONTAINER_RUNNING:
                continue
            if filter is not None:
                if filter.id and not rec.id.startswith(filter.id):
                    continue
                if filter.pod_sandbox_id and not rec.sandbox_id.startswith(filter.pod_sandbox_id):
                    continue
            if (s := self._container_stats(rec)) is not None:
                out.append(s)
        return out

    async def pod_sandbox_stats(self, pod_sandbox_id: str) -> pb.PodSandboxStats:
        s = self._pod_sandbox_stats(self.find_sandbox(pod_sandbox_id))
        if s is None:
            raise NotFound(f"pod sandbox {pod_sandbox_id!r} not found")
        return s

    async def list_pod_sandbox_stats(
        self, filter: pb.PodSandboxStatsFilter | None = None
    ) -> list[pb.PodSandboxStats]:
        """Every sandbox's stats but those removed while they were read (a pod deleted
        meanwhile is not an error: it is simply no longer listed)."""
        out = []
        for rec in list(self.sandboxes.values()):
            if filter is not None and filter.id and not rec.id.startswith(filter.id):
                continue
            if (s := self._pod_sandbox_stats(rec)) is None:
                continue
            if filter is not None and any(
                s.attributes.labels.get(k) != v for k, v in filter.label_selector.items()
            ):
                continue
            out.append(s)
        return out

    def _pod_sandbox_stats(self, rec: SandboxRecord) -> pb.PodSandboxStats | None:
        """The sandbox's stats and its running containers'; a container that vanished
        between the listing and the reading of its cgroup is left out; None if the
        sandbox itself did."""
        try:
            cfg = self.sandbox_config(rec.id)
        except FileNotFoundError:
            return None
        s = pb.PodSandboxStats(
            attributes=pb.PodSandboxAttributes(
                id=rec.id, metadata=cfg.metadata, labels=cfg.labels, annotations=cfg.annotations
            )
        )
        if (
            not stats.fill(rec.cgroup_parent, s.linux.cpu, s.linux.memory)
            and self.sandboxes.get(rec.id) is not rec
        ):
            return None
        for c in list(self.containers.values()):
            if c.sandbox_id == rec.id and self.state(c) == pb.CONTAINER_RUNNING:
                if (cs := self._container_stats(c)) is not None:
                    s.linux.containers.append(cs)
        return s
