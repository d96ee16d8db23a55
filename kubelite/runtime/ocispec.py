"""The OCI runtime spec (a bundle's config.json) written from a CRI CreateContainer request.

What comes from where:

| spec field               | source                                                        |
|--------------------------|---------------------------------------------------------------|
| process.terminal         | CRI tty (the monitor receives the terminal from runc)         |
| process.args             | CRI command, else image Entrypoint; + CRI args, else image Cmd  |
| process.env              | image Env, then HOSTNAME, then CRI envs (later wins)          |
| process.cwd              | CRI working_dir, else image WorkingDir, else /                |
| process.user             | run_as_user/run_as_group, else image User (resolved in /etc/passwd) |
| process.capabilities     | the default set + add − drop (ALL: every one the runtime holds); |
|                          | privileged: every one the runtime holds                       |
| process.noNewPrivileges  | no_new_privs (allowPrivilegeEscalation: false)                |
| root                     | the container's overlay; read-only if readonly_rootfs         |
| mounts                   | /proc, /dev, /sys…, the sandbox's hostname/hosts/resolv.conf  |
|                          | (but not where a CRI mount goes: the kubelet's /etc/hosts), CRI mounts |
| linux.namespaces         | the sandbox's net/ipc/uts by path (none for host network/IPC), |
|                          | own mount; pid: own, the pod's (shared) or none (host PID)    |
| linux.resources          | CRI memory limit (no swap), cpu shares/quota/period, cpuset   |
| linux.cgroupsPath        | the sandbox's cgroup parent / kubelite-<container id>         |
| linux.sysctl             | the sandbox's sysctls (the pod's securityContext.sysctls)     |
| linux.seccomp            | seccomp.py: RuntimeDefault, Localhost or none                 |
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kubelite.cri import api_pb2 as pb
from kubelite.runtime import seccomp

DEFAULT_CAPS = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_FSETID",
    "CAP_FOWNER",
    "CAP_MKNOD",
    "CAP_NET_RAW",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETFCAP",
    "CAP_SETPCAP",
    "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT",
    "CAP_KILL",
    "CAP_AUDIT_WRITE",
]
# Every capability, in the order of their numbers (linux/capability.h).
ALL_CAPS = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
]
DEFAULT_PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
MASKED = [
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
]
READONLY = ["/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]


def _caps(name: str) -> str:
    name = name.upper()
    return name if name.startswith("CAP_") else f"CAP_{name}"


def held_capabilities(status: Path = Path("/proc/self/status")) -> list[str]:
    """The capabilities in the runtime's own bounding set: all a privileged container gets,
    as containerd gives it (a runtime in a container may lack some; runc could not grant them)."""
    try:
        line = next(x for x in status.read_text().splitlines() if x.startswith("CapBnd:"))
        mask = int(line.split()[1], 16)
    except (OSError, StopIteration, ValueError, IndexError):
        return list(ALL_CAPS)
    return [c for n, c in enumerate(ALL_CAPS) if mask >> n & 1]


def capabilities(c: pb.Capability) -> list[str]:
    """The runtime's default set, less what is dropped, plus what is added; `ALL` in drop
    starts from nothing, in add gives every capability (as containerd does)."""
    add = [_caps(x) for x in c.add_capabilities]
    drop = {_caps(x) for x in c.drop_capabilities}
    if "CAP_ALL" in add:
        return [x for x in held_capabilities() if x not in drop or x in add]
    base = [] if "CAP_ALL" in drop else [x for x in DEFAULT_CAPS if x not in drop]
    return list(dict.fromkeys(base + [x for x in add if x != "CAP_ALL"]))


def namespaces_for(options: pb.NamespaceOption, sandbox: dict[str, Path]) -> list[dict[str, Any]]:
    """The container's own mount namespace; the sandbox's network, IPC and UTS ones by
    path unless it uses the node's; and a PID namespace of its own, the pod's, or none."""
    ns: list[dict[str, Any]] = []
    if options.pid == pb.POD and "pid" in sandbox:
        ns.append({"type": "pid", "path": str(sandbox["pid"])})
    elif options.pid != pb.NODE:
        ns.append({"type": "pid"})
    ns.append({"type": "mount"})
    for kind, oci in (("net", "network"), ("ipc", "ipc"), ("uts", "uts")):
        if kind == "ipc" and options.ipc == pb.NODE:
            continue
        if kind in sandbox:
            ns.append({"type": oci, "path": str(sandbox[kind])})
    return ns


def process_args(config: pb.ContainerConfig, image: dict[str, Any]) -> list[str]:
    entrypoint = list(config.command) or list(image.get("Entrypoint") or [])
    if config.args:
        cmd = list(config.args)
    elif config.command:
        cmd = []  # an explicit command drops the image's Cmd, as Kubernetes does
    else:
        cmd = list(image.get("Cmd") or [])
    args = entrypoint + cmd
    if not args:
        raise ValueError("no command: the request and the image both leave it empty")
    return args


def merge_env(image: dict[str, Any], config: pb.ContainerConfig, hostname: str) -> list[str]:
    env: dict[str, str] = {}
    for item in [DEFAULT_PATH, *(image.get("Env") or []), f"HOSTNAME={hostname}"]:
        k, _, v = item.partition("=")
        env[k] = v
    for kv in config.envs:
        env[kv.key] = kv.value.decode() if isinstance(kv.value, bytes) else kv.value
    return [f"{k}={v}" for k, v in env.items()]


def resolve_user(rootfs: Path, sc: pb.LinuxContainerSecurityContext, image_user: str) -> dict[str, Any]:
    name, _, group = (image_user or "").partition(":")
    uid = gid = 0
    if sc.HasField("run_as_user"):
        uid = sc.run_as_user.value
        name = ""
    elif sc.run_as_username:
        name = sc.run_as_username
    if name:
        if name.isdigit():
            uid = int(name)
        else:
            for line in _read(rootfs / "etc/passwd"):
                f = line.split(":")
                if len(f) > 3 and f[0] == name:
                    uid, gid = int(f[2]), int(f[3])
                    break
            else:
                raise ValueError(f"user {name!r} not found in the image's /etc/passwd")
    if group.isdigit():
        gid = int(group)
    if sc.HasField("run_as_group"):
        gid = sc.run_as_group.value
    # As containerd: the primary group, the user's groups in /etc/group, then the pod's.
    member = [int(f[2]) for f in (x.split(":") for x in _read(rootfs / "etc/group")) if _lists(f, name)]
    gids = list(dict.fromkeys([gid, *member, *sc.supplemental_groups]))
    return {"uid": uid, "gid": gid, "additionalGids": gids}


def _lists(group: list[str], user: str) -> bool:
    """Whether an /etc/group entry names `user` among its members."""
    return bool(user) and len(group) > 3 and group[2].isdigit() and user in group[3].split(",")


def _read(path: Path) -> list[str]:
    try:
        return path.read_text().splitlines()
    except OSError:
        return []


def resources(res: pb.LinuxContainerResources) -> dict[str, Any]:
    out: dict[str, Any] = {"devices": [{"allow": False, "access": "rwm"}]}
    if res.memory_limit_in_bytes > 0:
        # no swap beyond the limit, so a container over its limit is OOM-killed
        swap = res.memory_swap_limit_in_bytes or res.memory_limit_in_bytes
        out["memory"] = {"limit": res.memory_limit_in_bytes, "swap": swap}
    cpu = {
        k: v
        for k, v in (
            ("shares", res.cpu_shares),
            ("quota", res.cpu_quota),
            ("period", res.cpu_period),
            ("cpus", res.cpuset_cpus),
            ("mems", res.cpuset_mems),
        )
        if v
    }
    if cpu:
        out["cpu"] = cpu
    return out


CAP_SYS_RESOURCE = 24


def allowed_oom_score_adj(wanted: int, status: Path = Path("/proc/self/status")) -> int:
    """The score asked for, but not below the runtime's own when it lacks CAP_SYS_RESOURCE
    (in a container, say): the kernel would refuse it and runc fail (containerd's
    `restrict_oom_score_adj` does the same)."""
    try:
        caps = next(x for x in status.read_text().splitlines() if x.startswith("CapEff:"))
        if int(caps.split()[1], 16) >> CAP_SYS_RESOURCE & 1:
            return wanted
        own = int((status.parent / "oom_score_adj").read_text())
    except (OSError, StopIteration, ValueError, IndexError):
        return wanted
    return max(wanted, own)


def base_mounts() -> list[dict[str, Any]]:
    return [
        {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]},
        {
            "destination": "/dev",
            "type": "tmpfs",
            "source": "tmpfs",
            "options": ["nosuid", "strictatime", "mode=755", "size=65536k"],
        },
        {
            "destination": "/dev/pts",
            "type": "devpts",
            "source": "devpts",
            "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"],
        },
        {
            "destination": "/dev/shm",
            "type": "tmpfs",
            "source": "shm",
            "options": ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"],
        },
        {
            "destination": "/dev/mqueue",
            "type": "mqueue",
            "source": "mqueue",
            "options": ["nosuid", "noexec", "nodev"],
        },
        {
            "destination": "/sys",
            "type": "sysfs",
            "source": "sysfs",
            "options": ["nosuid", "noexec", "nodev", "ro"],
        },
        {
            "destination": "/sys/fs/cgroup",
            "type": "cgroup",
            "source": "cgroup",
            "options": ["nosuid", "noexec", "nodev", "relatime", "ro"],
        },
    ]


def cri_mount(m: pb.Mount) -> dict[str, Any]:
    opts = ["rbind", "ro" if m.readonly else "rw"]
    opts.append(
        {
            pb.PROPAGATION_PRIVATE: "rprivate",
            pb.PROPAGATION_HOST_TO_CONTAINER: "rslave",
            pb.PROPAGATION_BIDIRECTIONAL: "rshared",
        }[m.propagation]
    )
    return {"destination": m.container_path, "type": "bind", "source": m.host_path, "options": opts}


def build(
    *,
    config: pb.ContainerConfig,
    image_config: dict[str, Any],
    rootfs: Path,
    sandbox_files: dict[str, Path],
    namespaces: dict[str, Path],
    hostname: str,
    cgroups_path: str,
    sysctls: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The config.json for one container (see the table in the module docstring)."""
    sc = config.linux.security_context
    privileged = sc.privileged
    caps = held_capabilities() if privileged else capabilities(sc.capabilities)
    process = {
        "terminal": config.tty,
        "user": resolve_user(rootfs, sc, str(image_config.get("User", ""))),
        "args": process_args(config, image_config),
        "env": merge_env(image_config, config, hostname),
        "cwd": config.working_dir or image_config.get("WorkingDir") or "/",
        "capabilities": {k: caps for k in ("bounding", "effective", "permitted")},
        "noNewPrivileges": sc.no_new_privs,
        "oomScoreAdj": allowed_oom_score_adj(config.linux.resources.oom_score_adj),
    }
    mounts = base_mounts()
    taken = {m.container_path for m in config.mounts}
    for dest, src in sandbox_files.items():
        if dest not in taken:
            mounts.append(
                {"destination": dest, "type": "bind", "source": str(src), "options": ["rbind", "rw"]}
            )
    mounts += [cri_mount(m) for m in config.mounts]
    linux: dict[str, Any] = {
        "namespaces": namespaces_for(sc.namespace_options, namespaces),
        "cgroupsPath": cgroups_path,
        "resources": resources(config.linux.resources),
    }
    if sysctls:
        linux["sysctl"] = dict(sysctls)
    if (profile := seccomp.for_container(sc, caps)) is not None:
        linux["seccomp"] = profile
    if not privileged:
        linux["maskedPaths"] = MASKED + list(sc.masked_paths)
        linux["readonlyPaths"] = READONLY + list(sc.readonly_paths)
    return {
        "ociVersion": "1.0.2",
        "process": process,
        "root": {"path": str(rootfs), "readonly": sc.readonly_rootfs},
        "mounts": mounts,
        "linux": linux,
        "annotations": dict(config.annotations),
    }
