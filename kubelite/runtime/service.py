"""The runtime proper: kubelite's implementation of the CRI RuntimeService.

`Runtime` is assembled from one part per CRI role, each in its own module:
`sandboxes.SandboxOps` (PodSandboxManager), `containers.ContainerOps` (ContainerManager),
`streams.StreamOps` (Exec, Attach and PortForward, served by `streaming/`) and, here,
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
from kubelite.image.manager import ImageManager
from kubelite.runtime import stats
from kubelite.runtime.cni import CNI
from kubelite.runtime.containers import ContainerOps, MonitorLauncher
from kubelite.runtime.namespaces import ensure_private_dir
from kubelite.runtime.records import ContainerRecord, SandboxRecord, load_all
from kubelite.runtime.sandboxes import SandboxOps
from kubelite.runtime.streaming.server import StreamingOptions, StreamingServer
from kubelite.runtime.streams import StreamOps

if TYPE_CHECKING:
    from kubelite.runtime.server import RuntimeOptions

RUNTIME_NAME = "kubelite"
RUNTIME_VERSION = "0.1.0"
CRI_VERSION = "v1"


class Runtime(SandboxOps, ContainerOps, StreamOps):
    def __init__(self, options: RuntimeOptions, images: ImageManager) -> None:
        self.root = options.root
        self.runc = options.runc
        self.cgroup_root = options.cgroup_parent
        self.images = images
        self.cni = CNI(options.cni_conf_dir, options.cni_bin_dirs)
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
        for cid, rec in list(self.containers.items()):
            if rec.sandbox_id not in self.sandboxes:  # a half-removed sandbox's leftovers
                await self._destroy(rec)

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
            await asyncio.to_thread(self.cni.set_pod_cidr, cidr)

    def _container_stats(self, rec: ContainerRecord) -> pb.ContainerStats:
        cfg = self.container_config(rec.id)
        s = pb.ContainerStats(
            attributes=pb.ContainerAttributes(
                id=rec.id, metadata=cfg.metadata, labels=cfg.labels, annotations=cfg.annotations
            )
        )
        stats.fill(rec.cgroup, s.cpu, s.memory)
        return s

    async def container_stats(self, container_id: str) -> pb.ContainerStats:
        return self._container_stats(self.find_container(container_id))

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
            try:
                out.append(self._container_stats(rec))
            except FileNotFoundError:  # removed while we were listing
                continue
        return out

    async def pod_sandbox_stats(self, pod_sandbox_id: str) -> pb.PodSandboxStats:
        rec = self.find_sandbox(pod_sandbox_id)
        cfg = self.sandbox_config(rec.id)
        s = pb.PodSandboxStats(
            attributes=pb.PodSandboxAttributes(
                id=rec.id, metadata=cfg.metadata, labels=cfg.labels, annotations=cfg.annotations
            )
        )
        stats.fill(rec.cgroup_parent, s.linux.cpu, s.linux.memory)
        s.linux.containers.extend(
            self._container_stats(c)
            for c in self.containers.values()
            if c.sandbox_id == rec.id and self.state(c) == pb.CONTAINER_RUNNING
        )
        return s
