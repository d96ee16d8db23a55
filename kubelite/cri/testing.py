"""CRI requests for tests and benchmarks that drive a runtime directly, as a kubelet would.

`sandbox_config` and `container_config` build the smallest valid requests (a pod in
namespace `default` with a fresh uid; a container running `sh -c SCRIPT` with its log file
named after it), with the few knobs the tests turn. The helpers after them run a container,
wait for one to exit, and find a container's cgroup; they work on any CRI runtime.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from kubelite.cri import api_pb2 as pb
from kubelite.cri.client import RemoteRuntime
from kubelite.util.testing import wait_for_async


def sandbox_config(
    name: str, log_dir: str = "", host_network: bool = False, cgroup_parent: str = ""
) -> pb.PodSandboxConfig:
    cfg = pb.PodSandboxConfig(
        metadata=pb.PodSandboxMetadata(name=name, namespace="default", uid=str(uuid.uuid4())),
        log_directory=log_dir,
        labels={"app": name},
    )
    if host_network:  # the node's hostname: the kubelet sends none (containerd refuses one)
        cfg.linux.security_context.namespace_options.network = pb.NODE
    else:
        cfg.hostname = name
    if cgroup_parent:
        cfg.linux.cgroup_parent = cgroup_parent
    return cfg


def container_config(
    name: str, image: str, *args: str, memory: int = 0, stdin: bool = False, stdin_once: bool = False
) -> pb.ContainerConfig:
    """`sh -c` with `args` (the script first) in `image`; `memory` is a limit in bytes."""
    cfg = pb.ContainerConfig(
        metadata=pb.ContainerMetadata(name=name),
        image=pb.ImageSpec(image=image),
        command=["sh", "-c"],
        args=list(args),
        log_path=f"{name}.log",
        stdin=stdin,
        stdin_once=stdin_once,
    )
    if memory:
        cfg.linux.resources.memory_limit_in_bytes = memory
    return cfg


async def run_container(
    cri: RemoteRuntime, sid: str, sandbox: pb.PodSandboxConfig, config: pb.ContainerConfig
) -> str:
    """Create and start a container in the sandbox; returns its id."""
    cid = await cri.create_container(sid, config, sandbox)
    await cri.start_container(cid)
    return cid


async def wait_exited(cri: RemoteRuntime, cid: str, timeout: float = 20) -> pb.ContainerStatus:
    """The container's status once it has exited."""

    async def exited() -> pb.ContainerStatus | None:
        st = (await cri.container_status(cid)).status
        return st if st.state == pb.CONTAINER_EXITED else None

    return await wait_for_async(exited, f"container {cid} to exit", timeout=timeout, interval=0.05)


async def cgroup_of(cri: RemoteRuntime, cid: str, controller: str) -> Path:
    """The container's cgroup directory for a (v1) controller, found from its process."""
    pid = json.loads((await cri.container_status(cid, verbose=True)).info["info"])["pid"]
    for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controller in controllers.split(","):
            return Path(f"/sys/fs/cgroup/{controllers}{path}")
    raise AssertionError(f"no {controller} cgroup for container {cid}")
