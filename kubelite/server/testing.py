"""A real control plane in a temporary directory, for tests and benchmarks.

`LocalCluster` runs `kubelite apiserver` as a child process exactly as `kubelite up`
would (same certificates, token file and kubeconfig), on a free loopback port, and can
stop it gracefully, kill it with SIGKILL and start it again on the same state.
`UpCluster` runs `kubelite up` itself, with its local node on a runtime the test owns.

LocalCluster's API server runs alone, without the controller manager whose controllers two
admission plugins rely on: the service account controller (every namespace's `default`
ServiceAccount, which ServiceAccount admission requires of pods) and the node lifecycle
controller (which takes TaintNodesByCondition's not-ready taint off Ready nodes). So unless
`controller_manager` is set (a test that runs those controllers too), both plugins are left
out, as a kube-apiserver run without a controller manager would need.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import os
import ssl
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kubelite.server.up import UpOptions, prepare
from kubelite.util.net import free_port
from kubelite.util.process import exit_with_parent, stop_process
from kubelite.util.testing import wait_for

# What a server that is starting answers: nothing (refused, reset), or an error status.
_NOT_UP = (OSError, http.client.HTTPException)


@dataclass
class LocalCluster:
    data_dir: Path
    store: str = ""  # "" = SQLite in data_dir; or etcd://...
    port: int = 0
    extra_args: list[str] = field(default_factory=list)
    controller_manager: bool = False
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    def __post_init__(self) -> None:
        self.port = self.port or free_port()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        opts = UpOptions(
            data_dir=self.data_dir,
            port=self.port,
            store=self.store,
            extra_args={"apiserver": self._apiserver_args()},
        )
        self.argv = prepare(opts)[0].argv
        self.log_path = self.data_dir / "apiserver.log"

    def _apiserver_args(self) -> list[str]:
        if self.controller_manager or any(
            a.startswith("--disable-admission-plugins") for a in self.extra_args
        ):
            return list(self.extra_args)
        return ["--disable-admission-plugins=ServiceAccount,TaintNodesByCondition", *self.extra_args]

    @property
    def kubeconfig(self) -> Path:
        return self.data_dir / "kubeconfig"

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def env(self) -> dict[str, str]:
        """Environment for running kubectl against this cluster."""
        env = dict(os.environ)
        env["KUBECONFIG"] = str(self.kubeconfig)
        env["HOME"] = str(self.data_dir)  # kubectl's discovery cache stays per cluster
        return env

    def start(self, timeout: float = 30.0) -> LocalCluster:
        assert self.log_path is not None
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            self.argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=exit_with_parent(),
        )
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Until /readyz answers 200; fails with the server's log at once if it exits first."""
        ctx = ssl.create_default_context(cafile=str(self.data_dir / "pki" / "ca.crt"))

        def ready() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"apiserver exited with {self.process.returncode}; log:\n" + self.log())
            with urllib.request.urlopen(f"{self.url}/readyz", context=ctx, timeout=2) as r:
                return bool(r.status == 200)

        try:  # not listening yet, or not ready yet (an HTTP error status)
            wait_for(ready, "the API server to be ready", timeout=timeout, interval=0.05, ignoring=_NOT_UP)
        except AssertionError as err:
            raise AssertionError(f"{err}\n{self.log()}") from None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:] if self.log_path else ""

    def stop(self, timeout: float = 15.0) -> None:
        stop_process(self.process, timeout)

    def kill(self) -> None:
        """SIGKILL: nothing gets a chance to flush or clean up."""
        p = self.process
        if p is not None and p.poll() is None:
            p.kill()
            p.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def kubectl(
        self,
        *args: str,
        binary: str = "kubectl",
        input: str | None = None,
        check: bool = True,
        timeout: float = 60.0,
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [binary, *args], env=self.env(), input=input, capture_output=True, text=True, timeout=timeout
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"kubectl {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result

    def __enter__(self) -> LocalCluster:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class UpCluster:
    """`kubelite up` as a child process, its local node's kubelet on the CRI runtime at
    `runtime_endpoint` (a test's own kubelite runtime or containerd, see
    kubelite.runtime.testing), for tests through the real kubectl. `start` returns once the
    node is Ready; `stop` stops `up` (the runtime is the caller's to clean up)."""

    data_dir: Path
    runtime_endpoint: str
    pod_cidr: str
    cgroup_root: str
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    kubelet_args: tuple[str, ...] = ()  # more flags for the local node's kubelet
    up_args: tuple[str, ...] = ()  # more flags for `kubelite up` (e.g. --nodes 3)
    nodes: int = 1  # how many nodes `start` waits to be Ready

    def __post_init__(self) -> None:
        self.port = self.port or free_port()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.data_dir.parent / f"{self.data_dir.name}-up.log"

    @property
    def kubeconfig(self) -> Path:
        return self.data_dir / "kubeconfig"

    def env(self) -> dict[str, str]:
        return {**os.environ, "KUBECONFIG": str(self.kubeconfig), "HOME": str(self.data_dir)}

    def start(self, timeout: float = 90.0) -> UpCluster:
        argv = [
            sys.executable,
            "-m",
            "kubelite",
            "up",
            "--data-dir",
            str(self.data_dir),
            "--port",
            str(self.port),
        ]
        argv += ["--container-runtime-endpoint", self.runtime_endpoint]
        argv += [
            f"--kubelet-arg=--default-pod-cidr={self.pod_cidr}",
            f"--kubelet-arg=--cgroup-root={self.cgroup_root}",
            *(f"--kubelet-arg={a}" for a in self.kubelet_args),
            # cluster DNS on free ports: tests never take fixed ones (53, 8080, 8181, 9153)
            *(f"--dns-arg=--{p}-port=0" for p in ("health", "ready", "metrics")),
            "--dns-arg=--port=0",
            *self.up_args,
        ]
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, preexec_fn=exit_with_parent()
            )

        def node_ready() -> bool:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"kubelite up exited; log:\n{self.log()}")
            r = self.kubectl(
                "get",
                "nodes",
                "-o",
                "jsonpath={.items[*].status.conditions[?(@.type=='Ready')].status}",
                check=False,
            )
            return r.returncode == 0 and r.stdout.split() == ["True"] * self.nodes

        try:
            wait_for(node_ready, f"{self.nodes} node(s) to be Ready", timeout=timeout, interval=0.3)
        except AssertionError as err:
            raise AssertionError(f"{err}\n{self.log()}") from None
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-5000:] if self.log_path.exists() else ""

    def kubectl(
        self,
        *args: str,
        binary: str = "kubectl",
        input: str | None = None,
        check: bool = True,
        timeout: float = 60.0,
    ) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [binary, *args], env=self.env(), input=input, capture_output=True, text=True, timeout=timeout
        )
        if check and result.returncode != 0:
            raise AssertionError(
                f"{binary} {' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
            )
        return result

    def stop(self, timeout: float = 30.0) -> None:
        """Stop `up`; the local node's pods stay with the runtime (a kubelet that stops leaves
        them running), but their volumes' tmpfs mounts under the data dir are released."""
        stop_process(self.process, timeout)
        from kubelite.util.mounts import unmount_under

        unmount_under(self.data_dir / "kubelet")


@contextlib.contextmanager
def up_on_test_runtime(
    kind: str,
    work: Path,
    registry: str,
    pause_image: str,
    kubelet_args: tuple[str, ...] = (),
    up_args: tuple[str, ...] = (),
    nodes: int = 1,
) -> Iterator[UpCluster]:
    """`kubelite up` whose local node uses a runtime of the test's own - kubelite's
    (`kind` "kubelite") or the real containerd ("containerd") - with its own bridge, pod
    CIDR and cgroup root; pods, sandboxes, the runtime and the cgroups go afterwards."""
    from kubelite.kubelet.cgroups import remove_cgroup
    from kubelite.runtime.testing import (
        ContainerdProcess,
        RuntimeProcess,
        next_index,
        remove_all_sandboxes,
        set_pod_cidr,
    )

    index = next_index()
    runtime: RuntimeProcess | ContainerdProcess
    if kind == "kubelite":
        runtime = RuntimeProcess(work / "runtime", index, default_route=nodes > 1)
    else:
        runtime = ContainerdProcess(
            work / "containerd", index=index, registry=registry, sandbox_image=pause_image
        )
    runtime.start()
    cgroup_root = f"/kubelite-e2e-up-{os.getpid()}-{index}"
    up = UpCluster(
        work / "data",
        runtime.endpoint,
        runtime.pod_cidr,
        cgroup_root,
        kubelet_args=kubelet_args,
        up_args=up_args,
        nodes=nodes,
    )
    try:
        asyncio.run(set_pod_cidr(runtime.endpoint, runtime.pod_cidr))
        up.start()
        yield up
    finally:
        up.kubectl("delete", "pods", "--all", "--grace-period=0", "--force", "--wait=false", check=False)
        up.stop()
        asyncio.run(remove_all_sandboxes(runtime.endpoint))
        runtime.cleanup()
        remove_cgroup(cgroup_root)
