"""What the runtime holds for one pod: its sandboxes and every container of them.

The kubelet keeps no record of its own of what it started: on each sync it asks the
runtime (sandboxes by the pod-uid label, then each container's status), so a restarted
kubelet picks up exactly where the last one left off. A container's attempt (its
ContainerMetadata.attempt) is its restart count; the latest attempt per name is the
container's current instance and the one before it is its `lastState`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubelite.cri import api_pb2 as pb
from kubelite.cri.errors import NotFound
from kubelite.kubelet.criconfig import POD_UID
from kubelite.kubelet.podfiles import with_termination_message


@dataclass(slots=True)
class PodRuntimeState:
    sandboxes: list[pb.PodSandbox] = field(default_factory=list)  # newest first
    sandbox_status: pb.PodSandboxStatus | None = None  # of the newest
    containers: list[pb.ContainerStatus] = field(default_factory=list)

    @property
    def ready_sandbox(self) -> pb.PodSandbox | None:
        s = self.sandboxes[0] if self.sandboxes else None
        return s if s is not None and s.state == pb.SANDBOX_READY else None

    @property
    def pod_ip(self) -> str:
        st = self.sandbox_status
        return st.network.ip if st is not None and st.state == pb.SANDBOX_READY else ""

    def attempts(self, name: str) -> list[pb.ContainerStatus]:
        """Every instance of container `name`, newest attempt first."""
        return sorted(
            (c for c in self.containers if c.metadata.name == name),
            key=lambda c: (c.metadata.attempt, c.created_at),
            reverse=True,
        )

    def latest(self, name: str) -> pb.ContainerStatus | None:
        a = self.attempts(name)
        return a[0] if a else None

    def previous(self, name: str) -> pb.ContainerStatus | None:
        a = self.attempts(name)
        return a[1] if len(a) > 1 else None

    def running(self) -> list[pb.ContainerStatus]:
        return [c for c in self.containers if c.state in (pb.CONTAINER_RUNNING, pb.CONTAINER_CREATED)]


async def fetch(runtime: Any, uid: str) -> PodRuntimeState:
    """Read the pod's sandboxes and containers from the runtime."""
    sandboxes = await runtime.list_pod_sandbox(pb.PodSandboxFilter(label_selector={POD_UID: uid}))
    sandboxes.sort(key=lambda s: (s.metadata.attempt, s.created_at), reverse=True)
    state = PodRuntimeState(sandboxes=sandboxes)
    if sandboxes:
        try:
            state.sandbox_status = (await runtime.pod_sandbox_status(sandboxes[0].id)).status
        except NotFound:
            pass
    listed = await runtime.list_containers(pb.ContainerFilter(label_selector={POD_UID: uid}))
    for c in listed:
        try:
            state.containers.append(with_termination_message((await runtime.container_status(c.id)).status))
        except NotFound:
            continue  # removed between the list and the status
    return state
