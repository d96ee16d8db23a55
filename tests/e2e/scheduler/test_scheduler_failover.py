"""Several schedulers, one active: the standby takes over when the leader is killed."""

from __future__ import annotations

import json
import signal
from collections.abc import Iterator

import pytest

from kubelite.server.testing import LocalCluster

from .conftest import SchedulerCluster, SchedulerProcess, wait_for

FAST_ELECTION = (
    "--leader-elect-lease-duration=4s",
    "--leader-elect-renew-deadline=3s",
    "--leader-elect-retry-period=500ms",
)


@pytest.fixture
def two(tmp_path) -> Iterator[SchedulerCluster]:
    c = SchedulerCluster(LocalCluster(tmp_path / "cluster").start(), tmp_path)
    try:
        c.start_nodes(2)
        c.start_scheduler(*FAST_ELECTION)
        c.start_scheduler(*FAST_ELECTION)
        yield c
    finally:
        c.stop_all()


def leader(c: SchedulerCluster) -> SchedulerProcess | None:
    leading = [
        s for s in c.schedulers if s.process.poll() is None and s.metric("leader_election_master_status") == 1
    ]
    return leading[0] if len(leading) == 1 else None


def test_the_standby_binds_the_next_pods_when_the_active_scheduler_is_killed(two: SchedulerCluster):
    first = wait_for(lambda: leader(two), "one scheduler to lead")
    standby = next(s for s in two.schedulers if s is not first)
    assert standby.metric("leader_election_master_status") == 0
    assert standby.get("/readyz")[0] == 200  # warm: caches synced while standing by
    lease = json.loads(
        two.kubectl("get", "lease", "kube-scheduler", "-n", "kube-system", "-o", "json").stdout
    )
    assert lease["spec"]["leaseDurationSeconds"] == 4

    two.kubectl("run", "before", "--image=busybox", "--restart=Never")
    two.node_of("before", "default")

    first.process.send_signal(signal.SIGKILL)  # no chance to release the lease
    first.process.wait()
    assert wait_for(lambda: leader(two), "the standby to take over", timeout=30) is standby
    two.kubectl("run", "after", "--image=busybox", "--restart=Never")
    assert two.node_of("after", "default").startswith("sim-node-")
    holder = json.loads(
        two.kubectl("get", "lease", "kube-scheduler", "-n", "kube-system", "-o", "json").stdout
    )
    assert holder["spec"]["holderIdentity"] != lease["spec"]["holderIdentity"]
    assert holder["spec"]["leaseTransitions"] == lease["spec"].get("leaseTransitions", 0) + 1
