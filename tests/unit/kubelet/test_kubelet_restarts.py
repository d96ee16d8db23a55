"""Restarts and back-offs in virtual time: minutes of CrashLoopBackOff and ImagePullBackOff
with the kubelet's default options (10 s doubling to 5 min), run in a fraction of a second.

Each test runs the kubelet's pod path (pod workers, syncer, PLEG, probes) as `Kubelet` wires
it, on a FakeRuntime and a FakeAPI, and reads the pod status the kubelet wrote.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
from pathlib import Path
from typing import Any

import pytest

from kubelite.kubelet.backoff import Backoff
from kubelite.kubelet.options import KubeletOptions
from kubelite.kubelet.pleg import PLEG
from kubelite.kubelet.pod_workers import PodWorkers, delete_pod_object, write_pod_status
from kubelite.kubelet.prober.manager import ProbeManager
from kubelite.kubelet.sync import PodSyncer
from kubelite.kubelet.testing import Behaviour, FakeAPI, FakeRuntime
from kubelite.util.clock import FakeClock

Obj = dict[str, Any]
IMAGE = "registry.local/busybox:1"
HOST_IP = "10.0.0.1"


class Node:
    """The kubelet's pod path with the default KubeletOptions, on fakes and a FakeClock."""

    def __init__(self) -> None:
        o = KubeletOptions()
        self.clock = FakeClock()
        self.runtime = FakeRuntime(self.clock, images=[IMAGE])
        self.api = FakeAPI()
        self.events: list[tuple[str, str]] = []  # (reason, message)
        pods = self.api.resource("pods")
        probes = ProbeManager(self.runtime, self.clock, on_change=lambda uid: self.workers.wake(uid))
        syncer = PodSyncer(
            self.runtime,
            clock=self.clock,
            probes=probes,
            record=self._record,
            crash_backoff=Backoff(
                self.clock,
                initial=o.crash_loop_backoff.initial,
                maximum=o.crash_loop_backoff.maximum,
                reset_after=o.backoff_reset_after,
            ),
            pull_backoff=Backoff(
                self.clock, initial=o.image_pull_backoff.initial, maximum=o.image_pull_backoff.maximum
            ),
            log_root=Path("/tmp/logs"),
            host_ip=HOST_IP,
            parallel_pod_starts=o.parallel_pod_starts,
        )
        self.workers = PodWorkers(
            runtime=self.runtime,
            syncer=syncer,
            probes=probes,
            clock=self.clock,
            record=self._record,
            status_writer=lambda pod, status: write_pod_status(pods, pod, status),
            delete_pod=lambda pod: delete_pod_object(pods, pod),
            host_ip=HOST_IP,
            runtime_name="fake",
            sync_frequency=o.sync_frequency,
        )
        self.pleg = PLEG(self.runtime, self.clock, self.workers.wake, o.pleg_relist_period)
        self.t0 = self.clock.now()

    def _record(self, pod: Obj, type_: str, reason: str, message: str) -> None:
        self.events.append((reason, message))

    async def run_pod(self, pod: Obj) -> None:
        stored = await self.api.resource("pods").create(pod, namespace="default")
        self._pleg = asyncio.create_task(self.pleg.run())
        self.workers.update(stored)
        await self.clock.settle()

    def status(self, name: str) -> Obj:
        return copy.deepcopy(self.api.objects[("pods", "default", name)].get("status") or {})

    def container(self, name: str) -> Obj:
        return self.status(name)["containerStatuses"][0]

    def at(self, method: str) -> list[float]:
        """The virtual times (from the pod's start) of every call to `method`."""
        return [t - self.t0 for t in self.runtime.times_of(method)]

    async def run_until(self, t: float, step: float = 1.0) -> None:
        while self.clock.now() - self.t0 < t - 1e-9:
            await self.clock.advance(min(step, t - (self.clock.now() - self.t0)))

    async def stop(self) -> None:
        self._pleg.cancel()
        await asyncio.gather(self._pleg, return_exceptions=True)
        await self.workers.shutdown()


def _pod(name: str, command: list[str], *, restart_policy: str = "Always", image: str = IMAGE) -> Obj:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "uid": f"uid-{name}"},
        "spec": {
            "restartPolicy": restart_policy,
            "nodeName": "node-1",
            "containers": [
                {"name": "app", "image": image, "imagePullPolicy": "IfNotPresent", "command": command}
            ],
        },
    }


def _gaps(times: list[float]) -> list[float]:
    return [round(b - a, 3) for a, b in itertools.pairwise(times)]


async def test_an_exit_within_ten_minutes_of_the_last_keeps_its_whole_delay_past_them():
    clock = FakeClock(start=0.0)
    b = Backoff(clock, initial=10, maximum=300, reset_after=600)
    assert [b.next("c", at=t) for t in range(7)] == [10, 20, 40, 80, 160, 300, 300]
    await clock.advance(800)
    assert b.backoff_since("c", 590) == 300  # 584 s after the last exit: back-off until 890
    assert b.backoff_since("c", 700) == 0  # 694 s after it: forgotten
    await clock.advance(90)
    assert b.backoff_since("c", 590) == 0  # waited out


@pytest.fixture
async def node():
    n = Node()
    yield n
    await n.stop()


async def test_a_crashing_container_is_restarted_after_10_20_40_80_160_300_300_seconds(node: Node):
    await node.run_pod(_pod("crasher", ["crash"]))
    await node.run_until(930)
    starts = node.at("start_container")
    # The first crash is restarted at once, as Kubernetes does (here: when the PLEG's 1 s
    # relist notices it); every later one waits out the doubling back-off from its exit.
    assert _gaps(starts) == [1, 10, 20, 40, 80, 160, 300, 300]


async def test_between_restarts_the_status_says_crash_loop_back_off_with_kubernetes_message(node: Node):
    await node.run_pod(_pod("crasher", ["crash"]))
    waits = []
    for gap_start, delay in [
        (1, "10s"),
        (11, "20s"),
        (31, "40s"),
        (71, "1m20s"),
        (151, "2m40s"),
        (311, "5m0s"),
        (611, "5m0s"),
    ]:
        await node.run_until(gap_start + 5)
        c = node.container("crasher")
        waits.append((delay, c["state"]["waiting"]))
        assert c["lastState"]["terminated"]["exitCode"] == 1
        assert c["lastState"]["terminated"]["reason"] == "Error"
        assert c["restartCount"] == len(node.at("start_container")) - 1
        assert node.status("crasher")["phase"] == "Running"
    pod = "pod=crasher_default(uid-crasher)"
    for delay, waiting in waits:
        assert waiting == {
            "reason": "CrashLoopBackOff",
            "message": f"back-off {delay} restarting failed container=app {pod}",
        }
    assert (
        "BackOff",
        "Back-off restarting failed container app in pod crasher_default(uid-crasher)",
    ) in node.events


async def test_a_container_that_ran_ten_minutes_is_restarted_at_once_and_backs_off_from_10s_again(node: Node):
    await node.run_pod(_pod("flaky", ["crash"]))
    await node.run_until(200)
    node.runtime.behaviours["app"] = Behaviour(runs_for=700, exit_code=1)  # the start at 311 runs fine
    await node.run_until(400)
    del node.runtime.behaviours["app"]  # then it crashes at once again
    await node.run_until(1030)
    assert node.at("start_container")[-3:] == pytest.approx([311, 1011, 1021], abs=0.01)


async def test_the_back_off_is_forgotten_ten_minutes_after_the_last_crash_as_kubernetes_measures_it(
    node: Node,
):
    """Kubernetes keeps a container's back-off while its crashes come within 10 min of each
    other, measured from exit to exit: one that ran long enough after its last crash is
    restarted at once, never left waiting for a back-off it has outgrown."""
    await node.run_pod(_pod("flaky", ["crash"]))
    await node.run_until(200)
    node.runtime.behaviours["app"] = Behaviour(runs_for=500, exit_code=1)  # starts at 311, exits at 811
    await node.run_until(400)
    del node.runtime.behaviours["app"]
    await node.run_until(815)  # 660 s since the crash before: a new crash loop, from 10 s
    assert node.at("start_container")[-2:] == pytest.approx([311, 811], abs=0.01)
    assert node.container("flaky")["state"]["waiting"]["message"].startswith("back-off 10s ")


OOM_KILLED = Behaviour(runs_for=5, exit_code=137, reason="OOMKilled")


@pytest.mark.parametrize(
    "policy, command, behaviour, phase, exit_code, reason",
    [
        ("Never", ["exit", "3"], None, "Failed", 3, "Error"),
        ("Never", ["sleep", "5"], None, "Succeeded", 0, "Completed"),
        ("OnFailure", ["sleep", "5"], None, "Succeeded", 0, "Completed"),
        ("OnFailure", ["sleep", "infinity"], OOM_KILLED, "Running", 137, "OOMKilled"),
    ],
)
async def test_restart_policy_gives_the_pod_phase_and_restarts_only_what_it_says(
    node: Node,
    policy: str,
    command: list[str],
    behaviour: Behaviour | None,
    phase: str,
    exit_code: int,
    reason: str,
):
    if behaviour is not None:
        node.runtime.behaviours["app"] = behaviour
    await node.run_pod(_pod("job", command, restart_policy=policy))
    await node.run_until(2)
    assert node.status("job")["phase"] == ("Failed" if command[0] == "exit" else "Running")
    await node.run_until(700)
    status = node.status("job")
    assert status["phase"] == phase
    c = status["containerStatuses"][0]
    terminated = c["state"].get("terminated") or c["lastState"]["terminated"]
    assert (terminated["exitCode"], terminated["reason"]) == (exit_code, reason)
    if phase == "Running":  # OnFailure restarts a failed container, with back-off
        assert _gaps(node.at("start_container"))[:3] == [5, 15, 25]
        return
    assert node.at("start_container") == [0]
    assert c["restartCount"] == 0 and not c["ready"]
    ready = next(x for x in status["conditions"] if x["type"] == "Ready")
    assert (ready["status"], ready["reason"]) == ("False", "PodCompleted")
    assert node.runtime.calls_to("stop_pod_sandbox")  # the finished pod's sandbox is stopped


async def test_a_failing_pull_is_retried_after_10_20_40_s_with_image_pull_back_off_in_between(node: Node):
    image = "registry.local/missing:1"
    node.runtime.fail_pull(image)
    await node.run_pod(_pod("puller", ["sleep", "infinity"], image=image))
    seen = []
    for t in [0.5, 5, 10.5, 20, 30.5, 50, 70.5, 110, 150.5, 230, 310.5, 460, 610.5, 760]:
        await node.run_until(t)
        waiting = node.container("puller")["state"]["waiting"]
        seen.append((waiting["reason"], waiting.get("message", "")))
    assert _gaps(node.at("pull_image")) == pytest.approx([10, 20, 40, 80, 160, 300], abs=0.1)
    failed = f'Failed to pull image "{image}": pull {image}: connection refused'
    assert seen[0::2] == [("ErrImagePull", failed)] * 7
    assert seen[1::2] == [("ImagePullBackOff", f'Back-off pulling image "{image}"')] * 7
    del node.runtime.pull_hooks[image]  # the registry is back
    await node.run_until(920)
    assert "running" in node.container("puller")["state"]
    assert node.status("puller")["phase"] == "Running"
