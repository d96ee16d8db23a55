"""Starting pods: a burst comes up a few pods at a time, in the order the pods arrived."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from kubelite.cri import api_pb2 as pb
from kubelite.kubelet.backoff import Backoff
from kubelite.kubelet.prober.manager import ProbeManager
from kubelite.kubelet.sync import PodSyncer
from kubelite.util.clock import FakeClock


class StartCountingRuntime:
    """Just enough of the CRI for a pod's first sync; counts pods between sandbox and start."""

    def __init__(self) -> None:
        self.sandboxes: list[pb.PodSandbox] = []
        self.containers: list[pb.ContainerStatus] = []
        self.in_flight = 0
        self.most_in_flight = 0
        self.started: list[str] = []

    async def list_pod_sandbox(self, f: pb.PodSandboxFilter) -> list[pb.PodSandbox]:
        await asyncio.sleep(0)
        return [s for s in self.sandboxes if all(s.labels.get(k) == v for k, v in f.label_selector.items())]

    async def pod_sandbox_status(self, sid: str) -> pb.PodSandboxStatusResponse:
        return pb.PodSandboxStatusResponse(status=pb.PodSandboxStatus(id=sid, state=pb.SANDBOX_READY))

    async def list_containers(self, f: pb.ContainerFilter) -> list[pb.Container]:
        return [pb.Container(id=c.id) for c in self.containers
                if all(c.labels.get(k) == v for k, v in f.label_selector.items())]

    async def container_status(self, cid: str) -> pb.ContainerStatusResponse:
        return pb.ContainerStatusResponse(status=next(c for c in self.containers if c.id == cid))

    async def run_pod_sandbox(self, config: pb.PodSandboxConfig) -> str:
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        await asyncio.sleep(0.01)
        sid = f"sandbox-{len(self.sandboxes)}"
        self.sandboxes.append(pb.PodSandbox(id=sid, metadata=config.metadata, state=pb.SANDBOX_READY,
                                            labels=config.labels))
        return sid

    async def image_status(self, spec: pb.ImageSpec) -> pb.ImageStatusResponse:
        return pb.ImageStatusResponse(image=pb.Image(id="sha256:busybox"))

    async def create_container(self, sid: str, config: pb.ContainerConfig, _: Any) -> str:
        await asyncio.sleep(0.01)
        cid = f"container-{len(self.containers)}"
        self.containers.append(pb.ContainerStatus(id=cid, metadata=config.metadata, labels=config.labels,
                                                  state=pb.CONTAINER_CREATED))
        return cid

    async def start_container(self, cid: str) -> None:
        await asyncio.sleep(0.01)
        c = next(c for c in self.containers if c.id == cid)
        c.state = pb.CONTAINER_RUNNING
        self.started.append(c.labels["io.kubernetes.pod.name"])
        self.in_flight -= 1


def _pod(i: int) -> dict[str, Any]:
    return {"metadata": {"name": f"p{i}", "namespace": "default", "uid": f"uid-{i}"},
            "spec": {"containers": [{"name": "c", "image": "busybox:1", "imagePullPolicy": "IfNotPresent"}]}}


async def test_a_burst_of_pods_starts_at_most_parallel_pod_starts_at_once_in_arrival_order():
    clock = FakeClock()
    runtime = StartCountingRuntime()
    syncer = PodSyncer(runtime, clock=clock, probes=ProbeManager(runtime, clock, on_change=lambda _: None),
                       record=lambda *_: None, crash_backoff=Backoff(clock, initial=10, maximum=300),
                       pull_backoff=Backoff(clock, initial=10, maximum=300), log_root=Path("/tmp/logs"),
                       host_ip="10.0.0.1", parallel_pod_starts=2)
    await asyncio.gather(*(syncer.sync(_pod(i)) for i in range(8)))
    assert runtime.most_in_flight == 2
    assert runtime.started == [f"p{i}" for i in range(8)]
