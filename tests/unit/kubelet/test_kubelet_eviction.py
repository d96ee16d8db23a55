"""Local storage eviction: an emptyDir over its sizeLimit evicts its pod, with Kubernetes'
message; Memory emptyDirs and volumes without a limit are left alone."""

from __future__ import annotations

from pathlib import Path

from kubelite.kubelet.eviction import EvictionManager, disk_usage, over_limit
from kubelite.util.clock import FakeClock


def _pod(name: str, *volumes: dict) -> dict:
    return {"metadata": {"name": name, "namespace": "ns", "uid": name}, "spec": {"volumes": list(volumes)}}


class FakePods:
    def __init__(self, pods: list[dict]) -> None:
        self.pods = pods
        self.evicted: list[tuple[str, str, str]] = []

    def running_pods(self) -> list[dict]:
        return self.pods

    def evict(self, pod: dict, reason: str, message: str) -> None:
        self.evicted.append((pod["metadata"]["name"], reason, message))


def test_disk_usage_counts_blocks_of_files_and_hard_links_once(tmp_path: Path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "f").write_bytes(b"x" * 100_000)
    (tmp_path / "link").hardlink_to(tmp_path / "d" / "f")
    used = disk_usage(tmp_path)
    assert 100_000 <= used < 200_000
    assert disk_usage(tmp_path / "missing") == 0


async def test_a_pod_whose_empty_dir_outgrows_its_size_limit_is_evicted_with_kubernetes_message(
    tmp_path: Path,
):
    for name, size in (("big", 2_000_000), ("small", 1000), ("mem", 5_000_000), ("nolimit", 5_000_000)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "data").write_bytes(b"x" * size)
    pods = FakePods(
        [
            _pod(
                "a",
                {"name": "small", "emptyDir": {"sizeLimit": "1Mi"}},
                {"name": "big", "emptyDir": {"sizeLimit": "1Mi"}},
            ),
            _pod("b", {"name": "mem", "emptyDir": {"medium": "Memory", "sizeLimit": "1Mi"}}),
            _pod("c", {"name": "nolimit", "emptyDir": {}}, {"name": "h", "hostPath": {"path": "/"}}),
        ]
    )
    events: list[tuple[str, str, str]] = []
    clock = FakeClock()
    manager = EvictionManager(
        pods,
        lambda pod, v: tmp_path / v["name"],
        lambda p, t, r, m: events.append((t, r, m)),
        clock,
        period=2,
    )
    assert await manager.check() == ["a"]
    message = 'Usage of EmptyDir volume "big" exceeds the limit "1Mi". '
    assert pods.evicted == [("a", "Evicted", message)]
    assert events == [("Warning", "Evicted", message)]
    assert over_limit(pods.pods[1], lambda pod, v: tmp_path / v["name"], disk_usage) is None
