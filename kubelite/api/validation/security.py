"""securityContext validation, for a pod spec and each of its containers, as Kubernetes'.

User and group IDs lie in 0..2147483647; a seccompProfile needs a known type, and a
localhostProfile exactly when the type is Localhost (a relative path without `..`); sysctl
names follow the kernel's form (segments of lowercase alphanumerics, `-` and `_`, joined by
`.` or `/`, at most 253 characters) and appear once; a pod cannot share its process
namespace and use the node's at once. Whether a sysctl is allowed is the kubelet's call
(kubelet/sysctls.py), not validation's.
"""

from __future__ import annotations

import re
from typing import Any

from kubelite.api import names
from kubelite.api.errors import duplicate, invalid, not_supported, required
from kubelite.api.validation.fields import Errors, as_dict, as_list, as_str, child, index, is_int

MAX_ID = 2**31 - 1
SECCOMP_TYPES = ["Localhost", "RuntimeDefault", "Unconfined"]
_SEGMENT = "[a-z0-9]([-_a-z0-9]*[a-z0-9])?"
SYSCTL_PATTERN = f"^({_SEGMENT}[\\./])*{_SEGMENT}$"
SYSCTL_MAX_LENGTH = 253
_SYSCTL = re.compile(SYSCTL_PATTERN)


def _ids(sc: dict[str, Any], fields: tuple[str, ...], path: str) -> Errors:
    return [
        invalid(child(path, f), sc[f], names.inclusive_range_error(0, MAX_ID))
        for f in fields
        if is_int(sc.get(f)) and not 0 <= sc[f] <= MAX_ID
    ]


def validate_seccomp_profile(profile: Any, path: str) -> Errors:
    if profile is None:
        return []
    p = as_dict(profile)
    kind = as_str(p.get("type"))
    errs: Errors = []
    if not kind:
        errs.append(required(child(path, "type"), "type is required when seccompProfile is set"))
    elif kind not in SECCOMP_TYPES:
        errs.append(not_supported(child(path, "type"), kind, SECCOMP_TYPES))
    local = p.get("localhostProfile")
    if kind == "Localhost":
        if local is None:
            errs.append(
                required(child(path, "localhostProfile"), "must be set when seccomp type is Localhost")
            )
        else:
            errs += validate_local_descending_path(as_str(local), child(path, "localhostProfile"))
    elif local is not None:
        errs.append(
            invalid(child(path, "localhostProfile"), p, "can only be set when seccomp type is Localhost")
        )
    return errs


def validate_local_descending_path(value: str, path: str) -> Errors:
    """A relative path that stays below where it starts (subPath, a Localhost seccomp profile)."""
    errs: Errors = []
    if value.startswith("/"):
        errs.append(invalid(path, value, "must be a relative path"))
    if ".." in value.replace("\\", "/").split("/"):
        errs.append(invalid(path, value, "must not contain '..'"))
    return errs


def validate_sysctls(sysctls: Any, path: str) -> Errors:
    errs: Errors = []
    seen: set[str] = set()
    for i, s in enumerate(as_list(sysctls)):
        name = as_str(as_dict(s).get("name"))
        at = child(index(path, i), "name")
        if not name:
            errs.append(required(at))
        elif len(name) > SYSCTL_MAX_LENGTH or not _SYSCTL.match(name):
            message = f"must have at most {SYSCTL_MAX_LENGTH} characters and match regex {SYSCTL_PATTERN}"
            errs.append(invalid(at, name, message))
        elif name in seen:
            errs.append(duplicate(at, name))
        seen.add(name)
    return errs


def validate_pod_security_context(spec: dict[str, Any], path: str) -> Errors:
    """`path`: the spec's securityContext (shareProcessNamespace is reported under it)."""
    sc = as_dict(spec.get("securityContext"))
    errs = _ids(sc, ("fsGroup", "runAsUser", "runAsGroup"), path)
    for i, gid in enumerate(as_list(sc.get("supplementalGroups"))):
        if is_int(gid) and not 0 <= gid <= MAX_ID:
            errs.append(
                invalid(
                    index(child(path, "supplementalGroups"), i), gid, names.inclusive_range_error(0, MAX_ID)
                )
            )
    if spec.get("shareProcessNamespace") and spec.get("hostPID"):
        errs.append(
            invalid(
                child(path, "shareProcessNamespace"),
                True,
                "ShareProcessNamespace and HostPID cannot both be enabled",
            )
        )
    errs += validate_sysctls(sc.get("sysctls"), child(path, "sysctls"))
    errs += validate_seccomp_profile(sc.get("seccompProfile"), child(path, "seccompProfile"))
    return errs


def validate_container_security_context(sc: dict[str, Any], path: str) -> Errors:
    errs = _ids(sc, ("runAsUser", "runAsGroup"), path)
    errs += validate_seccomp_profile(sc.get("seccompProfile"), child(path, "seccompProfile"))
    if sc.get("allowPrivilegeEscalation") is False:
        if sc.get("privileged") is True:
            errs.append(
                invalid(path, sc, "cannot set `allowPrivilegeEscalation` to false and `privileged` to true")
            )
        if "CAP_SYS_ADMIN" in as_list(as_dict(sc.get("capabilities")).get("add")):
            errs.append(
                invalid(
                    path,
                    sc,
                    "cannot set `allowPrivilegeEscalation` to false and `capabilities.Add` CAP_SYS_ADMIN",
                )
            )
    return errs
