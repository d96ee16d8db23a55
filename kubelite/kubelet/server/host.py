"""What the kubelet's HTTPS server needs from the kubelet: its pods, their status, the runtime.

The server reads; it never changes a pod. `KubeletHost` is the seam: `Kubelet` provides it
(the pods its workers run, static pods included, and the runtime client), tests hand in
`kubelite.kubelet.testing`'s fakes.
"""

from __future__ import annotations

from typing import Any, Protocol

from kubelite.api.types import Object
from kubelite.cri import api_pb2 as pb
from kubelite.kubelet.runtime_state import PodRuntimeState, fetch


class KubeletHost(Protocol):
    node_name: str
    runtime: Any  # the CRI runtime client (kubelite.cri.protocols)

    def pods(self) -> list[Object]:
        """The pods this node runs, static pods included, each with its latest known status."""
        ...

    def pod_by_name(self, namespace: str, name: str) -> Object | None: ...


def container_spec(pod: Object, name: str) -> Object | None:
    spec = pod.get("spec") or {}
    for key in ("containers", "initContainers", "ephemeralContainers"):
        for c in spec.get(key) or []:
            if c.get("name") == name:
                return dict(c)
    return None


async def runtime_state(host: KubeletHost, pod: Object) -> PodRuntimeState:
    return await fetch(host.runtime, pod["metadata"].get("uid", ""))


async def running_container(host: KubeletHost, pod: Object, name: str) -> pb.ContainerStatus | None:
    """The running instance of container `name` of `pod`, as the runtime reports it."""
    state = await runtime_state(host, pod)
    latest = state.latest(name)
    return latest if latest is not None and latest.state == pb.CONTAINER_RUNNING else None
