"""Fixtures for the controllers' end-to-end tests: a real API server, simulated nodes
(`kubelite kubelet --simulated`), `kubelite scheduler`, `kubelite controller-manager`
processes, and the real kubectl.

The pods of these tests must be bound to nodes to run, so the scheduler is part of the
cluster.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kubelite.server.testing import LocalCluster
from kubelite.util.process import stop_process
from kubelite.util.testing import wait_for

NODES = 4
KUBECTL_POLL = 0.2  # seconds between two reads with kubectl (each read starts a process)
# Leader election quick enough for a test: a standby takes over within 4 s of the leader's death.
FAST_ELECTION = [
    "--leader-elect-lease-duration",
    "4s",
    "--leader-elect-renew-deadline",
    "3s",
    "--leader-elect-retry-period",
    "1s",
]


@dataclass
class ControllersCluster:
    cluster: LocalCluster
    tmp: Path
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = open(self.tmp / f"{name}.log", "ab")
        argv = [sys.executable, "-m", "kubelite", *args, "--kubeconfig", str(self.cluster.kubeconfig)]
        p = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
        self.processes[name] = p
        return p

    def controller_manager(self, name: str = "kcm", *extra: str) -> subprocess.Popen[bytes]:
        return self.start(name, "controller-manager", "--secure-port", "0", *FAST_ELECTION, *extra)

    def kubectl(
        self, *args: str, check: bool = True, timeout: float = 120.0
    ) -> subprocess.CompletedProcess[str]:
        return self.cluster.kubectl(*args, check=check, timeout=timeout)

    def json(self, *args: str) -> Any:
        return json.loads(self.kubectl(*args, "-o", "json").stdout)

    def log(self, name: str) -> str:
        return (self.tmp / f"{name}.log").read_text(errors="replace")[-4000:]

    def stop_all(self) -> None:
        for p in self.processes.values():
            stop_process(p)


@pytest.fixture
def cc(tmp_path: Path) -> Iterator[ControllersCluster]:
    cluster = LocalCluster(tmp_path / "cluster").start()
    c = ControllersCluster(cluster, tmp_path)
    try:
        c.start(
            "kubelet",
            "kubelet",
            "--simulated",
            str(NODES),
            "--simulated-start-latency",
            "0.5",
        )
        c.start("scheduler", "scheduler", "--secure-port", "0", "--no-leader-elect")
        wait_for(
            lambda: len(c.json("get", "nodes")["items"]) == NODES,
            "the simulated nodes to register",
            timeout=60,
            interval=KUBECTL_POLL,
        )
        yield c
    finally:
        c.stop_all()
        cluster.stop()
