"""Fixtures for the controllers' end-to-end tests: a real API server, simulated nodes
(`kubelite kubelet --simulated`), `kubelite scheduler`, `kubelite controller-manager`
processes, and the real kubectl.

The pods of these tests must be bound to nodes to run, so the scheduler is part of the
cluster; without it (a checkout that does not have `kubelite scheduler` yet) the tests are
skipped, saying why.
"""

from __future__ import annotations

import importlib.util
import json
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kubelite.server.testing import LocalCluster

NODES = 4
# Leader election quick enough for a test: a standby takes over within 4 s of the leader's death.
FAST_ELECTION = [
    "--leader-elect-lease-duration",
    "4s",
    "--leader-elect-renew-deadline",
    "3s",
    "--leader-elect-retry-period",
    "1s",
]


def has_scheduler() -> bool:
    return importlib.util.find_spec("kubelite.scheduler") is not None


def wait_for(fn: Callable[[], Any], what: str, timeout: float = 60.0, every: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(every)


def stop(p: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


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
            stop(p)


@pytest.fixture
def cc(tmp_path: Path) -> Iterator[ControllersCluster]:
    if not has_scheduler():
        pytest.skip("needs `kubelite scheduler` to bind pods to the simulated nodes")
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
        )
        yield c
    finally:
        c.stop_all()
        cluster.stop()
