"""A pod's shared namespaces, kept alive by bind mounts rather than by a pause process.

`create()` makes new network, IPC and UTS namespaces with `unshare`, binds each to a file
under the sandbox's directory (`ns/net`, `ns/ipc`, `ns/uts`) and sets the pod's hostname
inside the UTS one. Containers join them by path in their OCI spec; CNI configures the
network one by path. The namespaces live until `destroy()` unmounts the files, so they
survive the runtime's restart. The directory holding the files is made a private mount,
as `ip netns` does, so the binds do not propagate.

A PID namespace is the exception: it dies with its first process, so a pod that shares
one (shareProcessNamespace) gets a holder, `hold_pid_namespace()`: a tiny init (the pause
container's job elsewhere) that is PID 1 there, reaps the orphans the containers leave,
and is stopped with the sandbox, killing every process left in the namespace.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

KINDS = ("net", "ipc", "uts")
# PID 1 of a shared PID namespace: reap every child, exit on SIGTERM or SIGINT.
_PAUSE = """
import os, signal
wanted = {signal.SIGCHLD, signal.SIGTERM, signal.SIGINT}
signal.pthread_sigmask(signal.SIG_BLOCK, wanted)
while True:
    try:
        while os.waitpid(-1, os.WNOHANG)[0] > 0:
            pass
    except ChildProcessError:
        pass
    if signal.sigwait(wanted) != signal.SIGCHLD:
        break
"""


def _is_mountpoint(path: Path) -> bool:
    target = str(path.resolve())
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == target for line in f)


def ensure_private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if not _is_mountpoint(path):
        subprocess.run(["mount", "--bind", str(path), str(path)], check=True)
    subprocess.run(["mount", "--make-private", str(path)], check=True)


def create(ns_dir: Path, hostname: str, kinds: tuple[str, ...] = KINDS) -> dict[str, Path]:
    """New namespaces of the given kinds, bound under `ns_dir`; returns kind → path."""
    ns_dir.mkdir(parents=True, exist_ok=True)
    paths = {k: ns_dir / k for k in kinds}
    for p in paths.values():
        p.touch()
    cmd = ["unshare", *(f"--{k}={p}" for k, p in paths.items())]
    cmd += ["hostname", hostname] if "uts" in kinds and hostname else ["true"]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if result.returncode != 0:
        destroy(ns_dir)
        raise RuntimeError(f"creating namespaces failed: {result.stderr.strip()}")
    return paths


def hold_pid_namespace(ns_dir: Path, timeout: float = 10.0) -> int:
    """A new PID namespace bound at `ns_dir/pid`, held by its own init; returns the pid of
    the holder (`unshare`, which kills the init when it is stopped)."""
    path = ns_dir / "pid"
    path.touch()
    proc = subprocess.Popen(
        ["unshare", f"--pid={path}", "--fork", "--kill-child", sys.executable, "-I", "-S", "-c", _PAUSE],
        start_new_session=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    threading.Thread(target=proc.wait, daemon=True).start()  # reaped whenever it ends
    deadline = time.monotonic() + timeout
    while not _is_mountpoint(path):
        if proc.poll() is not None or time.monotonic() > deadline:
            release_pid_namespace(proc.pid)
            raise RuntimeError("could not create the pod's PID namespace")
        time.sleep(0.005)
    return proc.pid


def release_pid_namespace(holder: int) -> None:
    """Stop a PID namespace's holder (its init, and so every process in it, dies)."""
    if holder <= 0:
        return
    try:
        os.kill(holder, signal.SIGTERM)
    except ProcessLookupError:
        pass


def destroy(ns_dir: Path) -> None:
    """Unmount and remove the namespace files. Idempotent."""
    for k in (*KINDS, "pid"):
        p = ns_dir / k
        if p.exists():
            subprocess.run(["umount", "-l", str(p)], capture_output=True)
            p.unlink(missing_ok=True)
