"""Fixtures for the scheduler's end-to-end tests: a real API server, simulated nodes
(`kubelite kubelet --simulated`), `kubelite scheduler` processes, and the real kubectl."""

from __future__ import annotations

import json
import signal
import ssl
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from kubelite.server.testing import LocalCluster
from kubelite.util.net import free_port
from kubelite.util.testing import wait_for

NODES = 3
KUBECTL_POLL = 0.3  # seconds between two kubectl reads (each starts a process)

__all__ = ["SchedulerCluster", "SchedulerProcess", "wait_for"]


def start(argv: list[str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(argv, stdout=open(log, "ab"), stderr=subprocess.STDOUT)


def stop(p: subprocess.Popen[bytes]) -> None:
    if p.poll() is None:
        p.send_signal(signal.SIGTERM)
        try:
            p.wait(15)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


@dataclass
class SchedulerProcess:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def get(self, path: str) -> tuple[int, str]:
        ctx = ssl.create_default_context()
        ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        try:
            with urllib.request.urlopen(f"https://127.0.0.1:{self.port}{path}", context=ctx, timeout=2) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.read().decode()
        except OSError:
            return 0, ""

    def metric(self, line_start: str) -> float | None:
        _, body = self.get("/metrics")
        for line in body.splitlines():
            if line.startswith(line_start + " ") or line.startswith(line_start + "{"):
                return float(line.rsplit(" ", 1)[1])
        return None


@dataclass
class SchedulerCluster:
    cluster: LocalCluster
    tmp: Path
    kubelet: subprocess.Popen[bytes] | None = None
    schedulers: list[SchedulerProcess] = field(default_factory=list)

    def kubectl(
        self, *args: str, input: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        return self.cluster.kubectl(*args, input=input, check=check)

    def start_scheduler(self, *flags: str) -> SchedulerProcess:
        port = free_port()
        log = self.tmp / f"scheduler-{len(self.schedulers)}.log"
        argv = [
            sys.executable,
            "-m",
            "kubelite",
            "scheduler",
            "--kubeconfig",
            str(self.cluster.kubeconfig),
            "--secure-port",
            str(port),
            *flags,
        ]
        s = SchedulerProcess(start(argv, log), port, log)
        self.schedulers.append(s)
        wait_for(
            lambda: s.get("/healthz")[0] == 200 or s.process.poll() is not None, "the scheduler to serve"
        )
        assert s.process.poll() is None, log.read_text()
        return s

    def start_nodes(self, count: int = NODES) -> None:
        argv = [
            sys.executable,
            "-m",
            "kubelite",
            "kubelet",
            "--kubeconfig",
            str(self.cluster.kubeconfig),
            "--simulated",
            str(count),
            "--lease-renew-interval",
            "2",
        ]
        self.kubelet = start(argv, self.tmp / "kubelet.log")
        wait_for(
            lambda: len(self.ready_nodes()) >= count,
            f"{count} simulated nodes",
            timeout=60,
            interval=KUBECTL_POLL,
        )

    def ready_nodes(self) -> list[str]:
        items = json.loads(self.kubectl("get", "nodes", "-o", "json").stdout)["items"]
        return sorted(
            n["metadata"]["name"]
            for n in items
            if any(c["type"] == "Ready" and c["status"] == "True" for c in n["status"].get("conditions", []))
        )

    def pod(self, name: str, namespace: str) -> dict[str, Any]:
        return json.loads(self.kubectl("get", "pod", name, "-n", namespace, "-o", "json").stdout)

    def node_of(self, name: str, namespace: str, timeout: float = 30) -> str:
        return str(
            wait_for(
                lambda: self.pod(name, namespace)["spec"].get("nodeName"),
                f"pod {namespace}/{name} to be bound",
                timeout=timeout,
                interval=KUBECTL_POLL,
            )
        )

    def failed_scheduling(self, name: str, namespace: str, timeout: float = 30) -> str:
        """The newest FailedScheduling message of the pod, as `kubectl describe` shows it."""

        def message() -> str:
            out = self.kubectl("describe", "pod", name, "-n", namespace).stdout.splitlines()
            header = next((line for line in out if line.strip().startswith("Type") and "Message" in line), "")
            lines = [line for line in out if "FailedScheduling" in line]
            return lines[-1][header.index("Message") :].strip() if lines and header else ""

        return str(
            wait_for(
                message,
                f"a FailedScheduling event for {namespace}/{name}",
                timeout=timeout,
                interval=KUBECTL_POLL,
            )
        )

    def stop_all(self) -> None:
        for s in self.schedulers:
            stop(s.process)
        if self.kubelet is not None:
            stop(self.kubelet)
        self.cluster.stop()


@pytest.fixture(scope="module")
def sched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SchedulerCluster]:
    """One API server, three simulated nodes and one scheduler for a test module."""
    tmp = tmp_path_factory.mktemp("sched")
    c = SchedulerCluster(LocalCluster(tmp / "cluster").start(), tmp)
    try:
        c.start_nodes()
        c.start_scheduler()
        yield c
    finally:
        c.stop_all()


@pytest.fixture
def ns(sched: SchedulerCluster, request: pytest.FixtureRequest) -> Iterator[str]:
    """A namespace of the test's own; its pods are deleted (and gone) when the test ends, so the
    nodes are equal again for the next test."""
    name = request.node.name.replace("_", "-")[:50].strip("-").lower()
    sched.kubectl("create", "namespace", name)
    yield name
    sched.kubectl(
        "delete", "pods", "--all", "-n", name, "--grace-period=0", "--force", "--wait=true", check=False
    )
    wait_for(
        lambda: not json.loads(sched.kubectl("get", "pods", "-n", name, "-o", "json").stdout)["items"],
        "the test's pods to be gone",
        interval=KUBECTL_POLL,
    )
