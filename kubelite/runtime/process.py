"""`kubelite runtime`: the CRI server process.

Serves `runtime.v1` RuntimeService and ImageService on a unix socket, backed by
`runtime_service.Runtime` (sandboxes + containers, runc, CNI) and `kubelite.image.ImageManager`.
Exec, attach and port-forward sessions are served on a second, HTTP listener (the
streaming server, `--streaming-address`, loopback by default) whose URLs the CRI calls
hand out. Everything the runtime knows lives under `--root`, and each container's monitor is a
process of its own, so stopping this server (or a crash) leaves containers running; the
next server finds them again from `--root` (see `runtime_service.Runtime.recover`).
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from kubelite.image.manager import ImageManager
from kubelite.runtime.grpc_servicers import add_to_server
from kubelite.runtime.runtime_service import Runtime

log = logging.getLogger("kubelite.runtime")


@dataclass(slots=True)
class RuntimeOptions:
    root: Path
    socket: Path
    cni_conf_dir: Path = Path("/etc/cni/net.d")
    cni_bin_dirs: tuple[Path, ...] = (Path("/usr/lib/cni"), Path("/opt/cni/bin"))
    cni_ipam_dir: Path | None = None  # host-local's dataDir in the default network (None: its own default)
    runc: str = "runc"
    insecure_registries: frozenset[str] = field(default_factory=frozenset)
    # registry (e.g. docker.io) -> mirror endpoints tried before it, in order
    registry_mirrors: dict[str, tuple[str, ...]] = field(default_factory=dict)
    cgroup_parent: str = "/kubelite"
    streaming_address: str = "127.0.0.1:0"  # the exec/attach/port-forward server; 0: any free port


class RuntimeServer:
    def __init__(self, options: RuntimeOptions) -> None:
        self.options = options
        options.root.mkdir(parents=True, exist_ok=True)
        self.images = ImageManager(
            options.root / "images",
            insecure_registries=options.insecure_registries,
            registry_mirrors=options.registry_mirrors,
        )
        self.runtime = Runtime(options, self.images)

    async def run(self, ready: asyncio.Event | None = None) -> None:
        await self.runtime.recover()
        await self.runtime.streaming.start()
        server = grpc.aio.server()
        add_to_server(server, self.runtime, self.images)
        sock = self.options.socket
        sock.parent.mkdir(parents=True, exist_ok=True)
        if sock.exists():
            sock.unlink()
        server.add_insecure_port(f"unix://{sock}")
        await server.start()
        os.chmod(sock, 0o660)
        log.info("CRI server listening", extra={"socket": str(sock)})
        if ready is not None:
            ready.set()
        try:
            await server.wait_for_termination()
        finally:
            await asyncio.shield(server.stop(grace=2))
            await asyncio.shield(self.runtime.streaming.stop())
            self.runtime.monitors.close()  # running monitors stay: they are not its children
