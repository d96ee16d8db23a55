"""Test helpers for storage: a real, private etcd server.

`EtcdServer` runs the `etcd` binary (Debian package etcd-server) on free 127.0.0.1 ports
with its data in a directory the caller owns, so tests exercise the real thing. It can be
stopped and started again on the same data, to test restarts::

    server = EtcdServer(tmp_path)
    endpoint = server.start()        # "127.0.0.1:PORT", once etcd reports healthy
    ...
    server.restart()                 # same data dir, same ports
    server.stop()                    # SIGTERM, then SIGKILL after a grace period

or, for one-shot use, `endpoint, stop = start_etcd(tmp_path)`.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.request
from collections.abc import Callable
from pathlib import Path

from kubelite.util.net import free_port
from kubelite.util.process import stop_process
from kubelite.util.testing import wait_for

ETCD_BINARY = "/usr/bin/etcd"
INSTALL_HINT = "the etcd binary is missing: install it with `apt-get install etcd-server`"


def etcd_binary() -> str:
    """The path of the etcd binary; RuntimeError telling how to install it if absent."""
    found = ETCD_BINARY if os.access(ETCD_BINARY, os.X_OK) else shutil.which("etcd")
    if not found:
        raise RuntimeError(INSTALL_HINT)
    return found


class EtcdServer:
    """One single-member etcd cluster whose data lives in `workdir`."""

    def __init__(self, workdir: str | os.PathLike[str], *, startup_timeout: float = 20.0) -> None:
        self.workdir = Path(workdir)
        self.data_dir = self.workdir / "etcd-data"
        self.client_port = free_port()
        self.peer_port = free_port()
        self.startup_timeout = startup_timeout
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.client_port}"

    def start(self) -> str:
        """Start etcd and wait until it is healthy; returns its client endpoint."""
        if self._proc is not None:
            return self.endpoint
        self.workdir.mkdir(parents=True, exist_ok=True)
        client = f"http://127.0.0.1:{self.client_port}"
        peer = f"http://127.0.0.1:{self.peer_port}"
        with open(self.workdir / "etcd.log", "ab") as log_file:
            self._proc = subprocess.Popen(
                [
                    etcd_binary(),
                    "--name",
                    "kubelite-test",
                    "--data-dir",
                    str(self.data_dir),
                    "--listen-client-urls",
                    client,
                    "--advertise-client-urls",
                    client,
                    "--listen-peer-urls",
                    peer,
                    "--initial-advertise-peer-urls",
                    peer,
                    "--initial-cluster",
                    f"kubelite-test={peer}",
                    "--logger",
                    "zap",
                    "--log-level",
                    "warn",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=log_file,
            )
        try:
            self._wait_healthy()
        except BaseException:
            self.stop()
            raise
        return self.endpoint

    def stop(self, *, grace: float = 10.0) -> None:
        """SIGTERM, then SIGKILL if etcd has not exited within `grace` seconds."""
        proc, self._proc = self._proc, None
        stop_process(proc, grace)

    def restart(self) -> str:
        self.stop()
        return self.start()

    def _wait_healthy(self) -> None:
        """Until etcd reports itself healthy; fails at once if it exits first."""
        proc = self._proc
        assert proc is not None
        url = f"http://127.0.0.1:{self.client_port}/health"
        log = self.workdir / "etcd.log"

        def healthy() -> bool:
            if proc.poll() is not None:
                raise RuntimeError(f"etcd exited with {proc.returncode}; see {log}")
            with urllib.request.urlopen(url, timeout=1) as resp:
                return bool(json.load(resp).get("health") == "true")

        # Not listening yet, an error status (URLError is an OSError), or not JSON yet.
        wait_for(
            healthy,
            f"etcd to be healthy (see {log})",
            timeout=self.startup_timeout,
            interval=0.02,
            ignoring=(OSError, ValueError),
        )


def start_etcd(workdir: str | os.PathLike[str]) -> tuple[str, Callable[[], None]]:
    """Start a private etcd with its data in `workdir`: returns (endpoint, stop)."""
    server = EtcdServer(workdir)
    return server.start(), server.stop
