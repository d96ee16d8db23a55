"""A pod's shared namespaces, kept alive by bind mounts rather than by a pause process.

`create()` makes new network, IPC and UTS namespaces with `unshare`, binds each to a file
under the sandbox's directory (`ns/net`, `ns/ipc`, `ns/uts`) and sets the pod's hostname
inside the UTS one. Containers join them by path in their OCI spec; CNI configures the
network one by path. The namespaces live until `destroy()` unmounts the files, so they
survive the runtime's restart. The directory holding the files is made a private mount,
as `ip netns` does, so the binds do not propagate.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

KINDS = ("net", "ipc", "uts")


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


def destroy(ns_dir: Path) -> None:
    """Unmount and remove the namespace files. Idempotent."""
    for k in KINDS:
        p = ns_dir / k
        if p.exists():
            subprocess.run(["umount", "-l", str(p)], capture_output=True)
            p.unlink(missing_ok=True)
