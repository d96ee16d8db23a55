"""The Pod Security Standards as checks: what the baseline and restricted levels forbid.

Each check reads a pod's metadata and spec and answers None (allowed) or a `Violation`: a
short reason and a detail naming the offenders, in Kubernetes' words, e.g.

    privileged (container "app" must not set securityContext.privileged=true)

A level's checks run in Kubernetes' order: the baseline checks, then (for restricted) the
restricted ones; a restricted check replaces the baseline check it tightens
(capabilities, seccomp profile, hostPath -> all restricted volume types).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

Obj = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Violation:
    reason: str
    detail: str

    def __str__(self) -> str:
        return f"{self.reason} ({self.detail})" if self.detail else self.reason


Check = Callable[[Obj, Obj], Violation | None]


def _plural(one: str, many: str, n: int) -> str:
    return one if n == 1 else many


def _quote(items: list[str]) -> str:
    return ", ".join(f'"{i}"' for i in items)


def _named(items: list[str], one: str = "container", many: str = "containers") -> str:
    return f"{_plural(one, many, len(items))} {_quote(items)}"


def _containers(spec: Obj) -> Iterator[Obj]:
    for field in ("initContainers", "containers", "ephemeralContainers"):
        yield from spec.get(field) or []


def _sc(obj: Obj) -> Obj:
    return obj.get("securityContext") or {}


def _windows(spec: Obj) -> bool:
    return ((spec.get("os") or {}).get("name")) == "windows"


# ---- baseline --------------------------------------------------------------------------

_BASELINE_CAPABILITIES = frozenset(
    "AUDIT_WRITE CHOWN DAC_OVERRIDE FOWNER FSETID KILL MKNOD NET_BIND_SERVICE SETFCAP SETGID SETPCAP "
    "SETUID SYS_CHROOT".split()
)
_SAFE_SYSCTLS = frozenset(
    {
        "kernel.shm_rmid_forced",
        "net.ipv4.ip_local_port_range",
        "net.ipv4.ip_unprivileged_port_start",
        "net.ipv4.tcp_syncookies",
        "net.ipv4.ping_group_range",
        "net.ipv4.ip_local_reserved_ports",
        "net.ipv4.tcp_keepalive_time",
        "net.ipv4.tcp_fin_timeout",
        "net.ipv4.tcp_keepalive_intvl",
        "net.ipv4.tcp_keepalive_probes",
    }
)
_SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})


def capabilities_baseline(meta: Obj, spec: Obj) -> Violation | None:
    bad: list[str] = []
    caps: set[str] = set()
    for c in _containers(spec):
        added = [str(x) for x in ((_sc(c).get("capabilities") or {}).get("add") or [])]
        extra = [x for x in added if x not in _BASELINE_CAPABILITIES]
        if extra:
            bad.append(c.get("name", ""))
            caps.update(extra)
    if not bad:
        return None
    return Violation(
        "non-default capabilities",
        f"{_named(bad)} must not include {_quote(sorted(caps))} in securityContext.capabilities.add",
    )


def host_namespaces(meta: Obj, spec: Obj) -> Violation | None:
    used = [f"{f}=true" for f in ("hostNetwork", "hostPID", "hostIPC") if spec.get(f)]
    return Violation("host namespaces", ", ".join(used)) if used else None


def host_path_volumes(meta: Obj, spec: Obj) -> Violation | None:
    bad = [v.get("name", "") for v in spec.get("volumes") or [] if "hostPath" in v]
    return Violation("hostPath volumes", _named(bad, "volume", "volumes")) if bad else None


def host_ports(meta: Obj, spec: Obj) -> Violation | None:
    bad: list[str] = []
    ports: set[int] = set()
    for c in _containers(spec):
        used = [int(p["hostPort"]) for p in c.get("ports") or [] if p.get("hostPort")]
        if used:
            bad.append(c.get("name", ""))
            ports.update(used)
    if not bad:
        return None
    listed = ", ".join(sorted(str(p) for p in ports))
    uses = _plural("uses", "use", len(bad))
    return Violation(
        "hostPort", f"{_named(bad)} {uses} {_plural('hostPort', 'hostPorts', len(ports))} {listed}"
    )


def privileged(meta: Obj, spec: Obj) -> Violation | None:
    bad = [c.get("name", "") for c in _containers(spec) if _sc(c).get("privileged") is True]
    return (
        Violation("privileged", f"{_named(bad)} must not set securityContext.privileged=true")
        if bad
        else None
    )


def proc_mount(meta: Obj, spec: Obj) -> Violation | None:
    bad: list[str] = []
    values: set[str] = set()
    for c in _containers(spec):
        pm = _sc(c).get("procMount")
        if pm not in (None, "", "Default"):
            bad.append(c.get("name", ""))
            values.add(str(pm))
    if not bad:
        return None
    return Violation(
        "procMount", f"{_named(bad)} must not set securityContext.procMount to {_quote(sorted(values))}"
    )


def _selinux_problems(opts: Obj, types: set[str], users: set[str], roles: set[str]) -> bool:
    bad = False
    if opts.get("type", "") not in _SELINUX_TYPES:
        types.add(str(opts["type"]))
        bad = True
    if opts.get("user"):
        users.add(str(opts["user"]))
        bad = True
    if opts.get("role"):
        roles.add(str(opts["role"]))
        bad = True
    return bad


def selinux_options(meta: Obj, spec: Obj) -> Violation | None:
    types: set[str] = set()
    users: set[str] = set()
    roles: set[str] = set()
    setters: list[str] = []
    if _selinux_problems(_sc(spec).get("seLinuxOptions") or {}, types, users, roles):
        setters.append("pod")
    bad = [
        c.get("name", "")
        for c in _containers(spec)
        if _selinux_problems(_sc(c).get("seLinuxOptions") or {}, types, users, roles)
    ]
    if bad:
        setters.append(_named(bad))
    if not setters:
        return None
    parts = []
    if types:
        parts.append(f"{_plural('type', 'types', len(types))} {_quote(sorted(types))}")
    if users:
        parts.append(f"{_plural('user', 'users', len(users))} {_quote(sorted(users))}")
    if roles:
        parts.append(f"{_plural('role', 'roles', len(roles))} {_quote(sorted(roles))}")
    return Violation(
        "seLinuxOptions",
        f"{' and '.join(setters)} set forbidden securityContext.seLinuxOptions: {'; '.join(parts)}",
    )


def seccomp_baseline(meta: Obj, spec: Obj) -> Violation | None:
    setters: list[str] = []
    if ((_sc(spec).get("seccompProfile") or {}).get("type")) == "Unconfined":
        setters.append("pod")
    bad = [
        c.get("name", "")
        for c in _containers(spec)
        if (_sc(c).get("seccompProfile") or {}).get("type") == "Unconfined"
    ]
    if bad:
        setters.append(_named(bad))
    if not setters:
        return None
    return Violation(
        "seccompProfile",
        f'{" and ".join(setters)} must not set securityContext.seccompProfile.type to "Unconfined"',
    )


def sysctls(meta: Obj, spec: Obj) -> Violation | None:
    bad = [
        str(s.get("name", "")) for s in _sc(spec).get("sysctls") or [] if s.get("name") not in _SAFE_SYSCTLS
    ]
    return Violation("forbidden sysctls", ", ".join(bad)) if bad else None


def windows_host_process(meta: Obj, spec: Obj) -> Violation | None:
    setters: list[str] = []
    if (_sc(spec).get("windowsOptions") or {}).get("hostProcess") is True:
        setters.append("pod")
    bad = [
        c.get("name", "")
        for c in _containers(spec)
        if (_sc(c).get("windowsOptions") or {}).get("hostProcess") is True
    ]
    if bad:
        setters.append(_named(bad))
    if not setters:
        return None
    return Violation(
        "hostProcess", f"{' and '.join(setters)} must not set securityContext.windowsOptions.hostProcess=true"
    )


# ---- restricted ------------------------------------------------------------------------


def allow_privilege_escalation(meta: Obj, spec: Obj) -> Violation | None:
    if _windows(spec):
        return None
    bad = [
        c.get("name", "") for c in _containers(spec) if _sc(c).get("allowPrivilegeEscalation") is not False
    ]
    if not bad:
        return None
    return Violation(
        "allowPrivilegeEscalation != false",
        f"{_named(bad)} must set securityContext.allowPrivilegeEscalation=false",
    )


def capabilities_restricted(meta: Obj, spec: Obj) -> Violation | None:
    if _windows(spec):
        return None
    missing_drop: list[str] = []
    adding: list[str] = []
    caps: set[str] = set()
    for c in _containers(spec):
        capabilities = _sc(c).get("capabilities")
        if capabilities is None:
            missing_drop.append(c.get("name", ""))
            continue
        if "ALL" not in (capabilities.get("drop") or []):
            missing_drop.append(c.get("name", ""))
        extra = [str(x) for x in capabilities.get("add") or [] if x != "NET_BIND_SERVICE"]
        if extra:
            adding.append(c.get("name", ""))
            caps.update(extra)
    details = []
    if missing_drop:
        details.append(f'{_named(missing_drop)} must set securityContext.capabilities.drop=["ALL"]')
    if adding:
        details.append(
            f"{_named(adding)} must not include {_quote(sorted(caps))} in securityContext.capabilities.add"
        )
    return Violation("unrestricted capabilities", "; ".join(details)) if details else None


_ALLOWED_VOLUMES = (
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
)
_RESTRICTED_VOLUMES = (
    "hostPath gcePersistentDisk awsElasticBlockStore gitRepo nfs iscsi glusterfs rbd flexVolume cinder "
    "cephfs flocker fc azureFile vsphereVolume quobyte azureDisk photonPersistentDisk portworxVolume "
    "scaleIO storageos"
).split()


def restricted_volumes(meta: Obj, spec: Obj) -> Violation | None:
    bad: list[str] = []
    types: set[str] = set()
    for v in spec.get("volumes") or []:
        if any(k in v for k in _ALLOWED_VOLUMES):
            continue
        bad.append(v.get("name", ""))
        types.add(next((t for t in _RESTRICTED_VOLUMES if t in v), "unknown"))
    if not bad:
        return None
    return Violation(
        "restricted volume types",
        f"{_named(bad, 'volume', 'volumes')} {_plural('uses', 'use', len(bad))} "
        f"{_plural('restricted volume type', 'restricted volume types', len(types))} {_quote(sorted(types))}",
    )


def _pod_or_containers(
    spec: Obj, field: str, good: Callable[[Any], bool], reason: str, must_not: str, must: str
) -> Violation | None:
    # `must_not` and `must` hold one `%s`: who set the bad value, or who set none.
    """The shape of runAsNonRoot and seccompProfile: the pod's value covers containers that
    set none; an explicit bad value anywhere is named first."""
    setters: list[str] = []
    pod_value = _sc(spec).get(field)
    pod_ok = False
    if pod_value is not None:
        if good(pod_value):
            pod_ok = True
        else:
            setters.append("pod")
    explicit: list[str] = []
    implicit: list[str] = []
    for c in _containers(spec):
        value = _sc(c).get(field)
        if value is not None:
            if not good(value):
                explicit.append(c.get("name", ""))
        elif not pod_ok:
            implicit.append(c.get("name", ""))
    if explicit:
        setters.append(_named(explicit))
    if setters:
        return Violation(reason, must_not % " and ".join(setters))
    if implicit:
        return Violation(reason, must % _named(implicit))
    return None


def run_as_non_root(meta: Obj, spec: Obj) -> Violation | None:
    if spec.get("hostUsers") is False:
        return None
    return _pod_or_containers(
        spec,
        "runAsNonRoot",
        lambda v: v is True,
        "runAsNonRoot != true",
        "%s must not set securityContext.runAsNonRoot=false",
        "pod or %s must set securityContext.runAsNonRoot=true",
    )


def run_as_user(meta: Obj, spec: Obj) -> Violation | None:
    if spec.get("hostUsers") is False:
        return None
    setters: list[str] = []
    if _sc(spec).get("runAsUser") == 0:
        setters.append("pod")
    bad = [c.get("name", "") for c in _containers(spec) if _sc(c).get("runAsUser") == 0]
    if bad:
        setters.append(_named(bad))
    return Violation("runAsUser=0", f"{' and '.join(setters)} must not set runAsUser=0") if setters else None


def seccomp_restricted(meta: Obj, spec: Obj) -> Violation | None:
    if _windows(spec):
        return None
    bad_values = sorted(
        {
            str((v.get("seccompProfile") or {}).get("type"))
            for v in [_sc(spec), *(_sc(c) for c in _containers(spec))]
            if v.get("seccompProfile") is not None
            and (v["seccompProfile"] or {}).get("type") not in ("RuntimeDefault", "Localhost")
        }
    )
    return _pod_or_containers(
        spec,
        "seccompProfile",
        lambda v: (v or {}).get("type") in ("RuntimeDefault", "Localhost"),
        "seccompProfile",
        "%s must not set securityContext.seccompProfile.type to " + _quote(bad_values).replace("%", "%%"),
        'pod or %s must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"',
    )


BASELINE: list[tuple[str, Check]] = [
    ("capabilities_baseline", capabilities_baseline),
    ("hostNamespaces", host_namespaces),
    ("hostPathVolumes", host_path_volumes),
    ("hostPorts", host_ports),
    ("privileged", privileged),
    ("procMount", proc_mount),
    ("seLinuxOptions", selinux_options),
    ("seccompProfile_baseline", seccomp_baseline),
    ("sysctls", sysctls),
    ("windowsHostProcess", windows_host_process),
]
RESTRICTED: list[tuple[str, Check]] = [
    ("allowPrivilegeEscalation", allow_privilege_escalation),
    ("capabilities_restricted", capabilities_restricted),
    ("restrictedVolumes", restricted_volumes),
    ("runAsNonRoot", run_as_non_root),
    ("runAsUser", run_as_user),
    ("seccompProfile_restricted", seccomp_restricted),
]
_OVERRIDDEN_IN_RESTRICTED = frozenset({"capabilities_baseline", "hostPathVolumes", "seccompProfile_baseline"})


def evaluate(level: str, meta: Obj, spec: Obj) -> list[Violation]:
    """The violations of `level` ("privileged", "baseline" or "restricted"), in order."""
    if level == "privileged":
        return []
    checks = BASELINE
    if level == "restricted":
        checks = [c for c in BASELINE if c[0] not in _OVERRIDDEN_IN_RESTRICTED] + RESTRICTED
    return [v for _, check in checks if (v := check(meta, spec)) is not None]
