"""fsGroup: a pod's volumes made writable by one group its containers all belong to.

With `spec.securityContext.fsGroup: G`, as Kubernetes' SetVolumeOwnership does, after a
volume is set up every file and directory in it gets group G (the owner is left alone),
files gain group read (and write, unless the volume is read-only: configMap, secret,
downwardAPI, projected), directories gain group search and the setgid bit so what the
containers create there belongs to G too. G joins every container's supplemental groups.

    fsGroupChangePolicy: Always (default)   walk the whole volume at each set-up
                         OnRootMismatch     skip when the volume's root already has group G,
                                            the setgid bit and the group permissions

Applied to emptyDir, the API data volumes, and claims bound to `local` PersistentVolumes;
hostPath volumes and claims on hostPath PersistentVolumes are left as they are, as in
Kubernetes (the hostPath plugin does not manage ownership).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from kubelite.api.types import Object

RW, RO, EXEC = 0o660, 0o440, 0o110


def fs_group(pod: Object) -> int | None:
    value = ((pod.get("spec") or {}).get("securityContext") or {}).get("fsGroup")
    return None if value is None else int(value)


def supplemental_groups(pod: Object) -> list[int]:
    """The pod's supplementalGroups, then its fsGroup (once), for every container."""
    sc = (pod.get("spec") or {}).get("securityContext") or {}
    groups = [int(g) for g in sc.get("supplementalGroups") or []]
    group = fs_group(pod)
    if group is not None and group not in groups:
        groups.append(group)
    return groups


def _root_matches(path: Path, group: int, read_only: bool) -> bool:
    st = path.stat()
    mask = (RO if read_only else RW) | EXEC
    return st.st_gid == group and bool(st.st_mode & stat.S_ISGID) and st.st_mode & mask == mask


def _change(path: str, group: int, read_only: bool) -> None:
    st = os.lstat(path)
    os.lchown(path, -1, group)
    if stat.S_ISLNK(st.st_mode):
        return
    mask = RO if read_only else RW
    if stat.S_ISDIR(st.st_mode):
        mask |= stat.S_ISGID | EXEC
    os.chmod(path, stat.S_IMODE(st.st_mode) | mask)


def apply(path: Path, pod: Object, *, read_only: bool = False) -> bool:
    """Give the volume at `path` to the pod's fsGroup; False when there is none to apply."""
    group = fs_group(pod)
    if group is None or not path.exists():
        return False
    policy = ((pod.get("spec") or {}).get("securityContext") or {}).get("fsGroupChangePolicy") or "Always"
    if policy == "OnRootMismatch" and _root_matches(path, group, read_only):
        return False
    root_dev = path.stat().st_dev
    _change(str(path), group, read_only)
    for top, dirs, files in os.walk(path):
        dirs[:] = [d for d in dirs if os.lstat(os.path.join(top, d)).st_dev == root_dev]
        for name in [*dirs, *files]:
            _change(os.path.join(top, name), group, read_only)
    return True
