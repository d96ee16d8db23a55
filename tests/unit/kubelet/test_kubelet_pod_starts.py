"""Starting pods: a burst comes up a few pods at a time, in the order the pods arrived."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from kubelite.kubelet.backoff import Backoff
from kubelite.kubelet.prober.manager import ProbeManager
from kubelite.kubelet.sync import PodSyncer
from kubelite.kubelet.testing import FakeRuntime
from kubelite.util.clock import FakeClock


def _pod(i: int) -> dict[str, Any]:
    return {
        "metadata": {"name": f"p{i}", "namespace": "default", "uid": f"uid-{i}"},
        "spec": {"containers": [{"name": "c", "image": "busybox:1", "imagePullPolicy": "IfNotPresent"}]},
    }


async def test_a_burst_of_pods_starts_at_most_parallel_pod_starts_at_once_in_arrival_order():
    clock = FakeClock()
    runtime = FakeRuntime(clock, images=["busybox:1"], interleave=True)
    syncer = PodSyncer(
        runtime,
        clock=clock,
        probes=ProbeManager(runtime, clock, on_change=lambda _: None),
        record=lambda *_: None,
        crash_backoff=Backoff(clock, initial=10, maximum=300),
        pull_backoff=Backoff(clock, initial=10, maximum=300),
        log_root=Path("/tmp/logs"),
        host_ip="10.0.0.1",
        parallel_pod_starts=2,
    )
    await asyncio.gather(*(syncer.sync(_pod(i)) for i in range(8)))
    assert runtime.most_starting == 2
    assert runtime.calls_to("start_container") == [f"p{i}/c" for i in range(8)]
