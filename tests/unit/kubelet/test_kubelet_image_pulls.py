"""Image pulls and start slots: a slow, hanging or failing pull delays only its own pod."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from kubelite.cri import api_pb2 as pb
from kubelite.cri.errors import Unavailable
from kubelite.kubelet.backoff import Backoff
from kubelite.kubelet.prober.manager import ProbeManager
from kubelite.kubelet.start_slots import StartSlots
from kubelite.kubelet.sync import PodSyncer
from kubelite.util.clock import FakeClock

PRESENT = "registry.local/busybox:1"


class PullingRuntime:
    """Just enough of the CRI for pods' first syncs. PRESENT is the only image present; a
    pull of any other image waits on `release[image]` (forever unless the test sets it),
    then fails if the image is in `broken`, else succeeds."""

    def __init__(self) -> None:
        self.sandboxes: list[pb.PodSandbox] = []
        self.containers: list[pb.ContainerStatus] = []
        self.present = {PRESENT}
        self.release: dict[str, asyncio.Event] = {}
        self.broken: set[str] = set()
        self.pulling: list[str] = []
        self.started: list[str] = []
        self.hold_sandbox: dict[str, asyncio.Event] = {}    # pod name → run its sandbox when set

    async def list_pod_sandbox(self, f: pb.PodSandboxFilter) -> list[pb.PodSandbox]:
        await asyncio.sleep(0)
        return [s for s in self.sandboxes if all(s.labels.get(k) == v for k, v in f.label_selector.items())]

    async def pod_sandbox_status(self, sid: str) -> pb.PodSandboxStatusResponse:
        s = next(s for s in self.sandboxes if s.id == sid)
        return pb.PodSandboxStatusResponse(status=pb.PodSandboxStatus(id=sid, state=s.state))

    async def list_containers(self, f: pb.ContainerFilter) -> list[pb.Container]:
        return [pb.Container(id=c.id) for c in self.containers
                if all(c.labels.get(k) == v for k, v in f.label_selector.items())]

    async def container_status(self, cid: str) -> pb.ContainerStatusResponse:
        return pb.ContainerStatusResponse(status=next(c for c in self.containers if c.id == cid))

    async def run_pod_sandbox(self, config: pb.PodSandboxConfig) -> str:
        await asyncio.sleep(0.001)
        if config.metadata.name in self.hold_sandbox:
            await self.hold_sandbox[config.metadata.name].wait()
        sid = f"sandbox-{len(self.sandboxes)}"
        self.sandboxes.insert(0, pb.PodSandbox(id=sid, metadata=config.metadata, state=pb.SANDBOX_READY,
                                               labels=config.labels))
        return sid

    async def stop_pod_sandbox(self, sid: str) -> None:
        next(s for s in self.sandboxes if s.id == sid).state = pb.SANDBOX_NOTREADY

    async def image_status(self, spec: pb.ImageSpec) -> pb.ImageStatusResponse:
        if spec.image in self.present:
            return pb.ImageStatusResponse(image=pb.Image(id=f"sha256:{spec.image}"))
        return pb.ImageStatusResponse()

    async def pull_image(self, spec: pb.ImageSpec, auth: Any, sandbox: Any) -> str:
        self.pulling.append(spec.image)
        await self.release.setdefault(spec.image, asyncio.Event()).wait()
        if spec.image in self.broken:
            raise Unavailable(f"pull {spec.image}: connection refused")
        self.present.add(spec.image)
        return f"sha256:{spec.image}"

    async def create_container(self, sid: str, config: pb.ContainerConfig, _: Any) -> str:
        await asyncio.sleep(0.001)
        cid = f"container-{len(self.containers)}"
        self.containers.append(pb.ContainerStatus(id=cid, metadata=config.metadata, labels=config.labels,
                                                  state=pb.CONTAINER_CREATED))
        return cid

    async def start_container(self, cid: str) -> None:
        await asyncio.sleep(0.001)
        c = next(c for c in self.containers if c.id == cid)
        c.state = pb.CONTAINER_RUNNING
        self.started.append(c.labels["io.kubernetes.pod.name"])


def _pod(name: str, image: str = PRESENT) -> dict[str, Any]:
    return {"metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}"},
            "spec": {"containers": [{"name": "c", "image": image, "imagePullPolicy": "IfNotPresent"}]}}


def _syncer(runtime: PullingRuntime, *, slots: int) -> PodSyncer:
    clock = FakeClock()
    return PodSyncer(runtime, clock=clock, probes=ProbeManager(runtime, clock, on_change=lambda _: None),
                     record=lambda *_: None, crash_backoff=Backoff(clock, initial=10, maximum=300),
                     pull_backoff=Backoff(clock, initial=10, maximum=300), log_root=Path("/tmp/logs"),
                     host_ip="10.0.0.1", parallel_pod_starts=slots)


async def _until(cond: Any) -> None:
    """Let the loop run until `cond()` holds (bounded, so a regression fails instead of hanging)."""
    for _ in range(10_000):
        if cond():
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never held")


async def test_a_pod_whose_image_pull_hangs_does_not_delay_the_other_pods_on_the_node():
    runtime = PullingRuntime()
    syncer = _syncer(runtime, slots=1)
    stuck = asyncio.create_task(syncer.sync(_pod("stuck", "unreachable.invalid:5000/big:1")))
    await _until(lambda: runtime.pulling)
    others = await asyncio.wait_for(asyncio.gather(*(syncer.sync(_pod(f"p{i}")) for i in range(5))), 10)
    assert runtime.started == [f"p{i}" for i in range(5)]
    assert all(not r.waiting for r in others)
    assert not stuck.done()
    stuck.cancel()
    await asyncio.gather(stuck, return_exceptions=True)


async def test_a_failed_pull_reports_err_image_pull_and_the_pod_gets_its_sandbox():
    runtime = PullingRuntime()
    image = "registry.local/missing:1"
    runtime.broken.add(image)
    runtime.release[image] = asyncio.Event()
    runtime.release[image].set()
    syncer = _syncer(runtime, slots=1)
    result = await syncer.sync(_pod("broken", image))
    assert result.waiting["c"][0] == "ErrImagePull"
    assert result.state.ready_sandbox is not None
    assert result.retry_in == pytest.approx(10)
    again = await syncer.sync(_pod("broken", image))      # in back-off: no second pull
    assert again.waiting["c"][0] == "ImagePullBackOff"
    assert runtime.pulling == [image]


async def test_a_pod_back_from_a_slow_pull_starts_before_pods_that_arrived_after_it():
    runtime = PullingRuntime()
    slow = "registry.local/slow:1"
    runtime.hold_sandbox["busy"] = asyncio.Event()
    syncer = _syncer(runtime, slots=1)
    first = asyncio.create_task(syncer.sync(_pod("first", slow)))
    await _until(lambda: runtime.pulling)
    busy = asyncio.create_task(syncer.sync(_pod("busy")))       # takes the only slot and keeps it
    later = []
    for i in range(3):
        later.append(asyncio.create_task(syncer.sync(_pod(f"later{i}"))))
        await _until(lambda: syncer.start_slots.waiting == i + 1)
    runtime.release[slow].set()                                 # "first" waits for the slot too
    await _until(lambda: syncer.start_slots.waiting == 4)
    runtime.hold_sandbox["busy"].set()
    await asyncio.wait_for(asyncio.gather(first, busy, *later), 10)
    assert runtime.started == ["busy", "first", "later0", "later1", "later2"]


async def test_a_pull_while_recreating_a_sandbox_lets_the_start_slot_go():
    runtime = PullingRuntime()
    image = "registry.local/gone:1"
    syncer = _syncer(runtime, slots=1)
    runtime.present.add(image)
    await syncer.sync(_pod("restarted", image))
    runtime.present.discard(image)                                # the image was removed meanwhile
    runtime.sandboxes[0].state = pb.SANDBOX_NOTREADY              # and the sandbox died
    runtime.containers[0].state = pb.CONTAINER_EXITED
    restarted = asyncio.create_task(syncer.sync(_pod("restarted", image)))
    await _until(lambda: runtime.pulling)
    await asyncio.wait_for(syncer.sync(_pod("other")), 10)
    assert runtime.started[-1] == "other"
    runtime.release[image].set()
    await asyncio.wait_for(restarted, 10)
    assert runtime.started[-1] == "restarted"


async def test_start_slots_go_by_ticket_and_a_cancelled_waiter_passes_its_slot_on():
    slots = StartSlots(1)
    order: list[int] = []

    async def use(ticket: int) -> None:
        async with slots.claim(ticket):
            order.append(ticket)
            await asyncio.sleep(0)

    t0 = slots.ticket()
    tickets = [slots.ticket() for _ in range(4)]
    holder = slots.claim(t0)
    await holder.__aenter__()
    tasks = {t: asyncio.create_task(use(t)) for t in reversed(tickets)}   # arrive in reverse order
    await asyncio.sleep(0)
    tasks[tickets[0]].cancel()
    await holder.__aexit__(None, None, None)
    await asyncio.gather(*tasks.values(), return_exceptions=True)
    assert order == tickets[1:]

    holder = slots.claim(slots.ticket())
    await holder.__aenter__()
    granted, after = slots.ticket(), slots.ticket()
    tasks = {t: asyncio.create_task(use(t)) for t in (granted, after)}
    await asyncio.sleep(0)
    await holder.__aexit__(None, None, None)         # hands the slot to `granted`...
    tasks[granted].cancel()                          # ...which is cancelled before it runs
    await asyncio.gather(*tasks.values(), return_exceptions=True)
    assert order[-1] == after
    async with slots.claim(slots.ticket()):          # and the slot came back
        pass
