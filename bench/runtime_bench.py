"""Sandbox + container start latency of `kubelite runtime`, over N pods, image present.

Run as root with the runtime's e2e tools installed (scripts/install-deps):
    python bench/runtime_bench.py [--pods 50]
Starts a local registry and a runtime (the harnesses the e2e tests use:
kubelite.image.testing, kubelite.runtime.testing), pulls busybox once,
then for each pod times RunPodSandbox + CreateContainer + StartContainer, and prints
p50/p99 (target: p50 <= 0.5 s, p99 <= 1 s).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from kubelite.cri import api_pb2 as pb
from kubelite.cri.client import RemoteRuntime
from kubelite.cri.testing import container_config, sandbox_config
from kubelite.image.testing import LocalRegistry, build_busybox_layout
from kubelite.runtime.testing import RuntimeProcess


async def bench(pods: int, work: Path, registry: str) -> list[float]:
    rt = RuntimeProcess(work / "rt", 240)
    try:
        async with RemoteRuntime(rt.start().endpoint) as cri:
            image = f"{registry}/busybox:latest"
            await cri.pull_image(pb.ImageSpec(image=image))
            times, sandboxes = [], []
            for i in range(pods):
                cfg = sandbox_config(f"bench-{i}")
                t0 = time.perf_counter()
                sid = await cri.run_pod_sandbox(cfg)
                cid = await cri.create_container(sid, container_config("c", image, "exec sleep 600"), cfg)
                await cri.start_container(cid)
                times.append(time.perf_counter() - t0)
                sandboxes.append(sid)
            for sid in sandboxes:
                await cri.remove_pod_sandbox(sid)
            return times
    finally:
        rt.cleanup()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--pods", type=int, default=50)
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        with LocalRegistry(work / "registry") as registry:
            registry.push(build_busybox_layout(work), "busybox")
            times = asyncio.run(bench(args.pods, work, registry.address))
    q = statistics.quantiles(times, n=100)
    print(f"{'pods':>6} {'p50 s':>8} {'p99 s':>8} {'max s':>8}")
    print(f"{len(times):>6} {q[49]:>8.3f} {q[98]:>8.3f} {max(times):>8.3f}")


if __name__ == "__main__":
    main()
