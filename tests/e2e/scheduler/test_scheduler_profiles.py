"""Profiles from a KubeSchedulerConfiguration file, chosen by schedulerName, and a plugin of
one's own loaded by import path."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kubelite.server.testing import LocalCluster

from .conftest import SchedulerCluster

CONFIG = """
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
leaderElection: {leaderElect: false}
pluginPaths:
  NodeLabelPreference: kubelite.scheduler.examples.nodelabel:NodeLabelPreference
profiles:
- schedulerName: default-scheduler
- schedulerName: bin-packer
  plugins:
    score:
      disabled: [{name: NodeResourcesBalancedAllocation}]
  pluginConfig:
  - name: NodeResourcesFit
    args: {scoringStrategy: {type: MostAllocated}}
- schedulerName: labelled
  plugins:
    multiPoint:
      enabled: [{name: NodeLabelPreference, weight: 5}]
  pluginConfig:
  - name: NodeLabelPreference
    args: {label: example.com/fast-disk, required: true}
"""


@pytest.fixture(scope="module")
def profiles(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SchedulerCluster]:
    tmp = tmp_path_factory.mktemp("profiles")
    c = SchedulerCluster(LocalCluster(tmp / "cluster").start(), tmp)
    try:
        c.start_nodes(3)
        config = tmp / "config.yaml"
        config.write_text(CONFIG)
        c.start_scheduler("--config", str(config))
        yield c
    finally:
        c.stop_all()


def run(c: SchedulerCluster, name: str, scheduler: str, cpu: str = "1") -> None:
    c.kubectl(
        "run",
        name,
        "--image=busybox",
        "--restart=Never",
        f'--overrides={{"spec":{{"schedulerName":"{scheduler}","containers":[{{"name":"{name}","image":"busybox",'
        f'"resources":{{"requests":{{"cpu":"{cpu}"}}}}}}]}}}}',
    )


def test_a_most_allocated_profile_packs_pods_while_the_default_spreads_them(profiles: SchedulerCluster):
    for i in range(4):
        run(profiles, f"packed{i}", "bin-packer")
        profiles.node_of(f"packed{i}", "default")
    assert len({profiles.node_of(f"packed{i}", "default") for i in range(4)}) == 1
    for i in range(3):
        run(profiles, f"spread{i}", "default-scheduler", cpu="100m")
    assert len({profiles.node_of(f"spread{i}", "default") for i in range(3)}) > 1


def test_a_plugin_of_ones_own_filters_and_says_why(profiles: SchedulerCluster):
    run(profiles, "fast", "labelled", cpu="100m")
    assert profiles.failed_scheduling("fast", "default") == (
        "0/3 nodes are available: 3 node(s) didn't have label example.com/fast-disk. "
        "preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling."
    )
    try:
        profiles.kubectl("label", "node", "sim-node-2", "example.com/fast-disk=yes")
        assert profiles.node_of("fast", "default") == "sim-node-2"  # the label event retried it
    finally:
        profiles.kubectl("label", "node", "sim-node-2", "example.com/fast-disk-")
