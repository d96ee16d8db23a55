"""Seccomp for a container: the runtime's default profile, or a profile from a file.

    CRI seccomp              OCI linux.seccomp
    RuntimeDefault           `default_profile(caps)`: every syscall allowed except those
                             the Docker/containerd default profile keeps from containers,
                             each refused with EPERM (clone3 with ENOSYS, so C libraries
                             fall back to clone) unless the container holds the capability
                             that makes it legitimate (mount and unshare with SYS_ADMIN,
                             ptrace with SYS_PTRACE, ...)
    Localhost <path>         the JSON file at <path> (the kubelet's <root-dir>/seccomp/...),
                             in the Docker/OCI profile format
    Unconfined, privileged   none

kubelite's default is a deny list over the same syscalls rather than containerd's allow
list of ~350 names (docs/compatibility.md): the same calls fail, and a syscall newer
than the list is allowed instead of refused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kubelite.cri import api_pb2 as pb

EPERM, ENOSYS = 1, 38
ARCHITECTURES = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32", "SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]
# Refused whatever the capabilities: kernel keyrings, kexec, obsolete and module-query calls.
ALWAYS = [
    "add_key",
    "keyctl",
    "request_key",
    "kexec_load",
    "kexec_file_load",
    "create_module",
    "get_kernel_syms",
    "query_module",
    "nfsservctl",
    "uselib",
    "userfaultfd",
    "ustat",
    "sysfs",
    "_sysctl",
    "vm86",
    "vm86old",
    "lookup_dcookie",
]
# Refused unless the container holds the capability.
BY_CAPABILITY = {
    "CAP_SYS_ADMIN": [
        "bpf",
        "fanotify_init",
        "mount",
        "umount",
        "umount2",
        "pivot_root",
        "setns",
        "unshare",
        "name_to_handle_at",
        "perf_event_open",
        "quotactl",
        "setdomainname",
        "sethostname",
        "swapon",
        "swapoff",
        "fsopen",
        "fsconfig",
        "fsmount",
        "fspick",
        "move_mount",
        "open_tree",
    ],
    "CAP_SYS_BOOT": ["reboot"],
    "CAP_SYS_MODULE": ["init_module", "finit_module", "delete_module"],
    "CAP_SYS_PTRACE": ["ptrace", "process_vm_readv", "process_vm_writev", "kcmp"],
    "CAP_SYS_TIME": ["settimeofday", "stime", "clock_settime", "clock_adjtime"],
    "CAP_SYS_RAWIO": ["iopl", "ioperm"],
    "CAP_SYS_NICE": ["get_mempolicy", "set_mempolicy", "mbind", "move_pages"],
    "CAP_DAC_READ_SEARCH": ["open_by_handle_at"],
    "CAP_SYS_PACCT": ["acct"],
    "CAP_SYSLOG": ["syslog"],
}


def default_profile(capabilities: list[str]) -> dict[str, Any]:
    held = set(capabilities)
    denied = ALWAYS + [name for cap, names in BY_CAPABILITY.items() if cap not in held for name in names]
    syscalls: list[dict[str, Any]] = [{"names": denied, "action": "SCMP_ACT_ERRNO", "errnoRet": EPERM}]
    if "CAP_SYS_ADMIN" not in held:
        syscalls.append({"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": ENOSYS})
    return {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ARCHITECTURES, "syscalls": syscalls}


def from_file(path: str) -> dict[str, Any]:
    """A profile in the Docker/OCI JSON format; ValueError when it cannot be used."""
    try:
        raw = json.loads(Path(path).read_text())
    except (OSError, ValueError) as err:
        raise ValueError(f"cannot load seccomp profile {path!r}: {err}") from None
    if not isinstance(raw, dict) or "defaultAction" not in raw:
        raise ValueError(f"seccomp profile {path!r} has no defaultAction")
    arches = list(raw.get("architectures") or [])
    for entry in raw.get("archMap") or []:  # Docker's format: each architecture and its sub-architectures
        arches += [entry.get("architecture", ""), *(entry.get("subArchitectures") or [])]
    profile: dict[str, Any] = {
        "defaultAction": raw["defaultAction"],
        "architectures": [a for a in arches if a],
    }
    if "defaultErrnoRet" in raw:
        profile["defaultErrnoRet"] = raw["defaultErrnoRet"]
    profile["syscalls"] = [
        {k: v for k, v in s.items() if k in ("names", "action", "errnoRet", "args")}
        | ({"names": [s["name"]]} if "name" in s and "names" not in s else {})
        for s in raw.get("syscalls") or []
    ]
    return profile


def for_container(sc: pb.LinuxContainerSecurityContext, capabilities: list[str]) -> dict[str, Any] | None:
    """The container's linux.seccomp, or None for none."""
    if sc.privileged:
        return None
    # unset reads as RuntimeDefault (the enum's zero), so presence decides; else the older
    # string field: runtime/default, localhost/<path>
    legacy = sc.seccomp_profile_path
    if sc.HasField("seccomp"):
        kind, ref = sc.seccomp.profile_type, sc.seccomp.localhost_ref
    elif legacy in ("runtime/default", "docker/default"):
        kind, ref = pb.SecurityProfile.RuntimeDefault, ""
    elif legacy.startswith("localhost/"):
        kind, ref = pb.SecurityProfile.Localhost, legacy.removeprefix("localhost/")
    else:
        return None
    if kind == pb.SecurityProfile.RuntimeDefault:
        return default_profile(capabilities)
    if kind == pb.SecurityProfile.Localhost:
        return from_file(ref)
    return None
