"""Pod sandbox stats: pods deleted while the stats are read are left out, never an error."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kubelite.cri import api_pb2 as pb
from kubelite.cri.errors import NotFound
from kubelite.runtime import stats
from kubelite.runtime.process import RuntimeOptions
from kubelite.runtime.records import ContainerRecord, SandboxRecord
from kubelite.runtime.runtime_service import Runtime


class Node:
    """A runtime's index and records on disk, with cgroup v2 files under a fake /sys/fs/cgroup."""

    def __init__(self, tmp: Path) -> None:
        self.cgroups = tmp / "cgroup"
        self.rt = Runtime(RuntimeOptions(root=tmp / "root", socket=tmp / "sock"), None)  # type: ignore[arg-type]

    def cgroup(self, path: str) -> None:
        d = self.cgroups / path.lstrip("/")
        d.mkdir(parents=True)
        (d / "cpu.stat").write_text("usage_usec 5\n")
        (d / "memory.current").write_text("4096\n")
        (d / "memory.stat").write_text("inactive_file 1024\n")

    def sandbox(self, sid: str, name: str) -> None:
        d = self.rt.sandbox_dir(sid)
        d.mkdir(parents=True)
        cfg = pb.PodSandboxConfig(metadata=pb.PodSandboxMetadata(name=name, uid=sid), labels={"app": name})
        (d / "config.pb").write_bytes(cfg.SerializeToString())
        self.rt.sandboxes[sid] = SandboxRecord(
            id=sid,
            name=name,
            namespace="default",
            uid=sid,
            attempt=0,
            created_at=1,
            cgroup_parent=f"/kubelite/{sid}",
        )
        self.cgroup(f"/kubelite/{sid}")

    def container(self, cid: str, sid: str) -> None:
        d = self.rt.container_dir(cid)
        d.mkdir(parents=True)
        cfg = pb.ContainerConfig(metadata=pb.ContainerMetadata(name=cid))
        (d / "config.pb").write_bytes(cfg.SerializeToString())
        self.rt.containers[cid] = ContainerRecord(
            id=cid,
            sandbox_id=sid,
            name=cid,
            attempt=0,
            image="i",
            image_id="i",
            created_at=1,
            cgroup=f"/kubelite/{sid}/{cid}",
            started_at=2,
        )
        self.cgroup(f"/kubelite/{sid}/{cid}")

    def delete_container(self, cid: str) -> None:
        """What removing a container does to the disk and the cgroups, the index last (as if
        this happened in another thread while the index was being read)."""
        rec = self.rt.containers[cid]
        shutil.rmtree(self.rt.container_dir(cid))
        shutil.rmtree(self.cgroups / rec.cgroup.lstrip("/"))
        self.rt.containers.pop(cid)

    def delete_sandbox(self, sid: str) -> None:
        for cid in [c.id for c in self.rt.containers.values() if c.sandbox_id == sid]:
            self.delete_container(cid)
        shutil.rmtree(self.rt.sandbox_dir(sid))
        shutil.rmtree(self.cgroups / "kubelite" / sid)
        self.rt.sandboxes.pop(sid)


@pytest.fixture
def node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Node:
    n = Node(tmp_path)
    monkeypatch.setattr(stats, "CGROUP", n.cgroups)
    n.sandbox("sb-web", "web")
    for cid in ("web-a", "web-b", "web-c"):
        n.container(cid, "sb-web")
    n.sandbox("sb-db", "db")
    n.container("db-a", "sb-db")
    return n


def _delete_while_reading(node: Node, monkeypatch: pytest.MonkeyPatch, when: str, *delete: str) -> None:
    """While the cgroup `when` is read, the containers and sandboxes `delete` go away."""
    fill = stats.fill

    def racing_fill(cgroup: str, cpu: pb.CpuUsage, mem: pb.MemoryUsage) -> bool:
        if cgroup.endswith(when):
            for what in delete:
                node.delete_sandbox(what) if what.startswith("sb-") else node.delete_container(what)
        return fill(cgroup, cpu, mem)

    monkeypatch.setattr(stats, "fill", racing_fill)


async def test_pod_stats_report_cpu_and_memory_of_the_pod_and_its_running_containers(node):
    s = await node.rt.pod_sandbox_stats("sb-web")
    assert s.attributes.metadata.name == "web"
    assert s.linux.cpu.usage_core_nano_seconds.value == 5000
    assert s.linux.memory.working_set_bytes.value == 3072
    assert [c.attributes.id for c in s.linux.containers] == ["web-a", "web-b", "web-c"]


async def test_containers_removed_while_pod_stats_are_read_are_left_out(node, monkeypatch):
    node.rt.container_config("web-b")  # its config is cached: only its cgroup is gone
    _delete_while_reading(node, monkeypatch, "/web-a", "web-b", "web-c")
    s = await node.rt.pod_sandbox_stats("sb-web")
    assert [c.attributes.id for c in s.linux.containers] == ["web-a"]


async def test_listing_pod_stats_leaves_out_pods_deleted_meanwhile(node, monkeypatch):
    _delete_while_reading(node, monkeypatch, "/web-a", "web-c", "sb-db")
    listed = await node.rt.list_pod_sandbox_stats()
    assert [(s.attributes.id, [c.attributes.id for c in s.linux.containers]) for s in listed] == [
        ("sb-web", ["web-a", "web-b"])
    ]


async def test_listing_pod_stats_filters_by_id_prefix_and_labels(node):
    by_id = pb.PodSandboxStatsFilter(id="sb-d")
    assert [s.attributes.id for s in await node.rt.list_pod_sandbox_stats(by_id)] == ["sb-db"]
    by_label = pb.PodSandboxStatsFilter(label_selector={"app": "web"})
    assert [s.attributes.id for s in await node.rt.list_pod_sandbox_stats(by_label)] == ["sb-web"]


async def test_stats_of_one_container_or_pod_that_is_gone_are_not_found(node):
    node.delete_container("web-a")
    with pytest.raises(NotFound):
        await node.rt.container_stats("web-a")
    node.delete_sandbox("sb-db")
    with pytest.raises(NotFound):
        await node.rt.pod_sandbox_stats("sb-db")
