"""Where the kubelet puts each pod's cgroup, and removing it afterwards."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubelite.kubelet.cgroups import pod_cgroup, remove_cgroup


def _pod(**resources):
    return {"metadata": {"uid": "u1"}, "spec": {"containers": [{"name": "c", "resources": resources}]}}


@pytest.mark.parametrize(
    "resources, root, want",
    [
        ({}, "/", "/kubepods/besteffort/podu1"),
        ({"requests": {"cpu": "10m"}}, "/", "/kubepods/burstable/podu1"),
        ({"limits": {"cpu": "1", "memory": "64Mi"}}, "/", "/kubepods/podu1"),
        ({}, "/nodes/n1/", "/nodes/n1/kubepods/besteffort/podu1"),
    ],
)
def test_a_pod_goes_in_its_qos_class_cgroup(resources, root, want):
    assert pod_cgroup(_pod(**resources), root) == want


def test_removal_takes_the_pod_cgroup_and_empty_ones_under_it_in_every_v1_hierarchy(tmp_path: Path):
    for controller in ("memory", "cpu,cpuacct", "pids"):
        (tmp_path / controller / "kubepods/besteffort/podu1/ctr").mkdir(parents=True)
    (tmp_path / "memory/kubepods/besteffort/other").mkdir()
    remove_cgroup("/kubepods/besteffort/podu1", base=tmp_path)
    left = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert not any("podu1" in p for p in left)
    assert "memory/kubepods/besteffort/other" in left


def test_removal_in_a_unified_v2_tree(tmp_path: Path):
    (tmp_path / "cgroup.controllers").write_text("cpu memory\n")
    (tmp_path / "kubepods/podu1").mkdir(parents=True)
    remove_cgroup("/kubepods/podu1", base=tmp_path)
    assert not (tmp_path / "kubepods/podu1").exists() and (tmp_path / "kubepods").is_dir()
