"""Pod sysctls the kubelet admits: the safe set, plus what `--allowed-unsafe-sysctls` lists.

A pod's `securityContext.sysctls` are set inside its own namespaces, so only sysctls the
kernel namespaces (IPC: kernel.shm*, kernel.msg*, kernel.sem, fs.mqueue.*; network: net.*)
can be allowed at all, and not in a namespace the pod shares with the node (hostIPC,
hostNetwork) when it is a safe one. A pod asking for any other is rejected before it
starts: phase Failed, reason SysctlForbidden, as Kubernetes' kubelet admission does.
Names may be written with slashes (`net/ipv4/ip_local_port_range`).
"""

from __future__ import annotations

from collections.abc import Iterable

from kubelite.api.types import Object

FORBIDDEN_REASON = "SysctlForbidden"
SAFE_SYSCTLS = (
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.ip_local_reserved_ports",
)
_EXACT = {"kernel.sem": "ipc"}
_PREFIXES = {"kernel.shm": "ipc", "kernel.msg": "ipc", "fs.mqueue.": "ipc", "net.": "net"}


def dotted(name: str) -> str:
    """`a/b.c/d` → `a.b/c.d`: slashes and dots swap when the first separator is a slash."""
    sep = next((ch for ch in name if ch in "./"), ".")
    return name if sep == "." else name.translate(str.maketrans("./", "/."))


def namespace_of(name: str) -> str:
    """The namespace ("ipc" or "net") that holds a sysctl; "" when it is node-wide."""
    if name in _EXACT:
        return _EXACT[name]
    return next((ns for p, ns in _PREFIXES.items() if name.startswith(p)), "")


class Allowlist:
    def __init__(self, unsafe: Iterable[str] = ()) -> None:
        """`unsafe`: names or patterns ending in `*`; ValueError for one not namespaced."""
        self.exact: dict[str, str] = {s: namespace_of(s) for s in SAFE_SYSCTLS}
        self.prefixes: dict[str, str] = {}
        for pattern in (dotted(p) for p in unsafe):
            prefix = pattern.removesuffix("*")
            ns = namespace_of(prefix)
            if not ns:
                raise ValueError(f"the sysctl {pattern!r} is not known to be namespaced")
            (self.prefixes if pattern.endswith("*") else self.exact)[prefix] = ns

    def check(self, name: str, host_network: bool, host_ipc: bool) -> str | None:
        """Why the sysctl is refused, in Kubernetes' words; None when it is allowed."""
        name = dotted(name)
        ns = self.exact.get(name)
        if ns is None:
            ns = next((n for p, n in self.prefixes.items() if name.startswith(p)), None)
        if ns is None:
            return f'"{name}" not allowlisted'
        if (ns == "ipc" and host_ipc) or (ns == "net" and host_network):
            return f'"{name}" not allowed with host {ns} enabled'
        return None

    def admit(self, pod: Object) -> str | None:
        """The rejection message for a pod with a forbidden sysctl, else None."""
        spec = pod.get("spec") or {}
        for s in (spec.get("securityContext") or {}).get("sysctls") or []:
            why = self.check(str(s.get("name", "")), bool(spec.get("hostNetwork")), bool(spec.get("hostIPC")))
            if why is not None:
                return f"forbidden sysctl: {why}"
        return None


def pod_sysctls(pod: Object) -> dict[str, str]:
    """The sysctls the runtime sets in the pod's namespaces (dotted names)."""
    sc = (pod.get("spec") or {}).get("securityContext") or {}
    return {dotted(str(s["name"])): str(s.get("value", "")) for s in sc.get("sysctls") or [] if s.get("name")}
