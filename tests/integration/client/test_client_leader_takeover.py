"""Two candidate processes on one Lease: the leader is SIGKILLed and the standby takes over.

Durations are shortened (lease 3 s, renew deadline 2 s, retry 0.5 s) to keep the suite
fast; the protocol is the same as with Kubernetes' 15/10/2 defaults.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import yaml

from kubelite.util.testing import wait_for

LEASE, RENEW, RETRY = 3, 2, 0.5
# A standby notices the last renewal up to one jittered poll late and acts up to one poll
# after the lease expires on its clock.
POLL = RETRY * 2.2


def _intervals(log: Path, killed: str, killed_at: float) -> list[tuple[str, float, float]]:
    starts: dict[str, float] = {}
    out = []
    for line in log.read_text().splitlines():
        t, who, what = line.split()
        if what == "started":
            starts[who] = float(t)
        else:
            out.append((who, starts.pop(who), float(t)))
    for who, start in starts.items():
        out.append((who, start, killed_at if who == killed else float("inf")))
    return sorted(out, key=lambda i: i[1])


def test_standby_takes_over_from_a_killed_leader_and_two_never_lead_at_once(fresh_cluster, tmp_path):
    log = tmp_path / "leadership.log"
    log.touch()
    script = Path(__file__).with_name("lease_candidate.py")

    def spawn(identity: str) -> subprocess.Popen:
        return subprocess.Popen(
            [
                sys.executable,
                str(script),
                str(fresh_cluster.kubeconfig),
                identity,
                str(log),
                "demo",
                str(LEASE),
                str(RENEW),
                str(RETRY),
            ]
        )

    procs = {"one": spawn("one"), "two": spawn("two")}
    try:
        wait_for(lambda: "started" in log.read_text(), "a candidate to lead", interval=0.02)
        renew_times: set[str] = set()

        def renewed_twice() -> bool:  # while the standby keeps polling
            lease = fresh_cluster.kubectl("get", "lease", "demo", "-o", "jsonpath={.spec.renewTime}")
            renew_times.add(lease.stdout)
            return len(renew_times) >= 3

        wait_for(renewed_twice, "the leader to renew its lease twice", timeout=10 * RETRY)
        lines = log.read_text().splitlines()
        assert len(lines) == 1, lines
        leader = lines[0].split()[1]
        standby = "two" if leader == "one" else "one"

        procs[leader].kill()
        procs[leader].wait()
        killed_at = time.time()
        wait_for(
            lambda: f"{standby} started" in log.read_text(),
            f"{standby} to take over",
            timeout=LEASE + 2 * POLL + 5,
            interval=0.02,
        )

        intervals = _intervals(log, leader, killed_at)
        assert [who for who, _, _ in intervals] == [leader, standby]
        (_, _, end_old), (_, start_new, _) = intervals
        assert start_new >= end_old, "two leaders at once"
        assert start_new - killed_at <= LEASE + 2 * POLL, "takeover slower than the lease allows"

        lease = yaml.safe_load(fresh_cluster.kubectl("get", "lease", "demo", "-o", "yaml").stdout)
        assert lease["spec"]["holderIdentity"] == standby
        assert lease["spec"]["leaseTransitions"] == 1

        procs[standby].terminate()  # a clean stop releases the Lease
        procs[standby].wait(10)
        assert log.read_text().splitlines()[-1].endswith(f"{standby} stopped")
        lease = yaml.safe_load(fresh_cluster.kubectl("get", "lease", "demo", "-o", "yaml").stdout)
        assert not lease["spec"].get("holderIdentity")
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.kill()
                p.wait()
