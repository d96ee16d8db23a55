"""Image pulls and start slots: a slow, hanging or failing pull delays only its own pod."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from kubelite.cri import api_pb2 as pb
from kubelite.kubelet.backoff import Backoff
from kubelite.kubelet.prober.manager import ProbeManager
from kubelite.kubelet.start_slots import StartSlots
from kubelite.kubelet.sync import SHOW_ERR_IMAGE_PULL, PodSyncer
from kubelite.kubelet.testing import FakeRuntime
from kubelite.util.clock import FakeClock
from kubelite.util.testing import wait_for_async

PRESENT = "registry.local/busybox:1"


def _pod(name: str, image: str = PRESENT) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}"},
        "spec": {"containers": [{"name": "c", "image": image, "imagePullPolicy": "IfNotPresent"}]},
    }


def _runtime() -> FakeRuntime:
    """PRESENT is the only image present; other pulls succeed unless a test holds or fails them."""
    return FakeRuntime(FakeClock(), images=[PRESENT], interleave=True)


def _syncer(runtime: FakeRuntime, *, slots: int) -> PodSyncer:
    clock = runtime.clock
    return PodSyncer(
        runtime,
        clock=clock,
        probes=ProbeManager(runtime, clock, on_change=lambda _: None),
        record=lambda *_: None,
        crash_backoff=Backoff(clock, initial=10, maximum=300),
        pull_backoff=Backoff(clock, initial=10, maximum=300),
        log_root=Path("/tmp/logs"),
        host_ip="10.0.0.1",
        parallel_pod_starts=slots,
    )


async def test_a_pod_whose_image_pull_hangs_does_not_delay_the_other_pods_on_the_node():
    runtime = _runtime()
    runtime.hold_pull("unreachable.invalid:5000/big:1")  # and never let go
    syncer = _syncer(runtime, slots=1)
    stuck = asyncio.create_task(syncer.sync(_pod("stuck", "unreachable.invalid:5000/big:1")))
    await wait_for_async(lambda: runtime.calls_to("pull_image"), "a pull to start", interval=0, timeout=10)
    others = await asyncio.wait_for(asyncio.gather(*(syncer.sync(_pod(f"p{i}")) for i in range(5))), 10)
    assert runtime.calls_to("start_container") == [f"p{i}/c" for i in range(5)]
    assert all(not r.waiting for r in others)
    assert not stuck.done()
    stuck.cancel()
    await asyncio.gather(stuck, return_exceptions=True)


async def test_a_failed_pull_reports_err_image_pull_and_the_pod_gets_its_sandbox():
    runtime = _runtime()
    image = "registry.local/missing:1"
    runtime.fail_pull(image)
    syncer = _syncer(runtime, slots=1)
    result = await syncer.sync(_pod("broken", image))
    assert result.waiting["c"][0] == "ErrImagePull"
    assert result.state.ready_sandbox is not None
    assert syncer.images.backoff.remaining(("uid-broken", image)) == pytest.approx(10)
    assert result.retry_in == pytest.approx(SHOW_ERR_IMAGE_PULL)  # then ImagePullBackOff shows
    again = await syncer.sync(_pod("broken", image))  # in back-off: no second pull
    assert again.waiting["c"][0] == "ImagePullBackOff"
    assert runtime.calls_to("pull_image") == [image]


async def test_a_pod_back_from_a_slow_pull_starts_before_pods_that_arrived_after_it():
    runtime = _runtime()
    slow = "registry.local/slow:1"
    pulled = runtime.hold_pull(slow)
    busy_sandbox = runtime.hold_sandbox("busy")
    syncer = _syncer(runtime, slots=1)
    first = asyncio.create_task(syncer.sync(_pod("first", slow)))
    await wait_for_async(lambda: runtime.calls_to("pull_image"), "a pull to start", interval=0, timeout=10)
    busy = asyncio.create_task(syncer.sync(_pod("busy")))  # takes the only slot and keeps it
    later = []
    for i in range(3):
        later.append(asyncio.create_task(syncer.sync(_pod(f"later{i}"))))
        await wait_for_async(
            lambda i=i: syncer.start_slots.waiting == i + 1,
            f"{i + 1} pods to wait for a slot",
            interval=0,
            timeout=10,
        )
    pulled.set()  # "first" waits for the slot too
    await wait_for_async(
        lambda: syncer.start_slots.waiting == 4, "4 pods to wait for a slot", interval=0, timeout=10
    )
    busy_sandbox.set()
    await asyncio.wait_for(asyncio.gather(first, busy, *later), 10)
    assert runtime.calls_to("start_container") == ["busy/c", "first/c", "later0/c", "later1/c", "later2/c"]


async def test_a_pull_while_recreating_a_sandbox_lets_the_start_slot_go():
    runtime = _runtime()
    image = "registry.local/gone:1"
    syncer = _syncer(runtime, slots=1)
    runtime.add_image(image)
    await syncer.sync(_pod("restarted", image))
    await runtime.remove_image(pb.ImageSpec(image=image))  # the image was removed meanwhile
    for sandbox_id in list(runtime.sandboxes):  # and the sandbox died
        await runtime.stop_pod_sandbox(sandbox_id)
    pulled = runtime.hold_pull(image)
    restarted = asyncio.create_task(syncer.sync(_pod("restarted", image)))
    await wait_for_async(lambda: runtime.calls_to("pull_image"), "a pull to start", interval=0, timeout=10)
    await asyncio.wait_for(syncer.sync(_pod("other")), 10)
    assert runtime.calls_to("start_container")[-1] == "other/c"
    pulled.set()
    await asyncio.wait_for(restarted, 10)
    assert runtime.calls_to("start_container")[-1] == "restarted/c"


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
    tasks = {t: asyncio.create_task(use(t)) for t in reversed(tickets)}  # arrive in reverse order
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
    await holder.__aexit__(None, None, None)  # hands the slot to `granted`...
    tasks[granted].cancel()  # ...which is cancelled before it runs
    await asyncio.gather(*tasks.values(), return_exceptions=True)
    assert order[-1] == after
    async with slots.claim(slots.ticket()):  # and the slot came back
        pass
