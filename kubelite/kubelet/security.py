"""A pod's securityContext as the runtime receives it: the CRI security contexts.

The effective context of a container is the pod's with the container's fields on top
(Kubernetes' DetermineEffectiveSecurityContext): runAsUser, runAsGroup, runAsNonRoot,
seccompProfile and seLinuxOptions may come from either, the container winning;
capabilities, privileged, readOnlyRootFilesystem and allowPrivilegeEscalation only from
the container; supplementalGroups, fsGroup and sysctls only from the pod.

    field                          CRI (LinuxContainerSecurityContext)
    runAsUser / runAsGroup         run_as_user / run_as_group
    supplementalGroups, fsGroup    supplemental_groups (volumes/ownership.py)
    capabilities.add / drop        capabilities.add_capabilities / drop_capabilities
    privileged                     privileged
    readOnlyRootFilesystem         readonly_rootfs
    allowPrivilegeEscalation:false no_new_privs (unset: privilege escalation is allowed)
    seccompProfile                 seccomp: RuntimeDefault, Localhost (<root-dir>/seccomp/<file>),
                                   else Unconfined (the kubelet's seccompDefault is off)

`verify_run_as_non_root` is the kubelet's own check before it creates a container: the
runtime only runs what it is given, so a root user must be refused here, with
Kubernetes' words, as a CreateContainerConfigError.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kubelite.api.types import Object
from kubelite.cri import api_pb2 as pb
from kubelite.kubelet.volumes.ownership import supplemental_groups

_POD_AND_CONTAINER = ("runAsUser", "runAsGroup", "runAsNonRoot", "seccompProfile", "seLinuxOptions")
_CONTAINER_ONLY = ("capabilities", "privileged", "readOnlyRootFilesystem", "allowPrivilegeEscalation")


def effective(pod: Object, container: Object) -> dict[str, Any]:
    """The container's securityContext with the pod's fields under it."""
    pod_sc = (pod.get("spec") or {}).get("securityContext") or {}
    c_sc = container.get("securityContext") or {}
    out = {k: pod_sc[k] for k in _POD_AND_CONTAINER if pod_sc.get(k) is not None}
    out.update({k: v for k, v in c_sc.items() if v is not None and k in _POD_AND_CONTAINER + _CONTAINER_ONLY})
    return out


def seccomp_profile(profile: Object | None, seccomp_root: Path) -> pb.SecurityProfile:
    kind = (profile or {}).get("type", "Unconfined")
    if kind == "RuntimeDefault":
        return pb.SecurityProfile(profile_type=pb.SecurityProfile.RuntimeDefault)
    if kind == "Localhost":
        ref = str(seccomp_root / str(profile.get("localhostProfile", "")))  # type: ignore[union-attr]
        return pb.SecurityProfile(profile_type=pb.SecurityProfile.Localhost, localhost_ref=ref)
    return pb.SecurityProfile(profile_type=pb.SecurityProfile.Unconfined)


def container_security_context(
    pod: Object, container: Object, *, seccomp_root: Path
) -> pb.LinuxContainerSecurityContext:
    sc = effective(pod, container)
    out = pb.LinuxContainerSecurityContext()
    if sc.get("runAsUser") is not None:
        out.run_as_user.value = int(sc["runAsUser"])
    if sc.get("runAsGroup") is not None:
        out.run_as_group.value = int(sc["runAsGroup"])
    out.supplemental_groups.extend(supplemental_groups(pod))
    caps = sc.get("capabilities") or {}
    out.capabilities.add_capabilities.extend(str(c) for c in caps.get("add") or [])
    out.capabilities.drop_capabilities.extend(str(c) for c in caps.get("drop") or [])
    out.privileged = bool(sc.get("privileged"))
    out.readonly_rootfs = bool(sc.get("readOnlyRootFilesystem"))
    out.no_new_privs = sc.get("allowPrivilegeEscalation") is False
    out.seccomp.CopyFrom(seccomp_profile(sc.get("seccompProfile"), seccomp_root))
    return out


def sandbox_security_context(
    pod: Object, *, seccomp_root: Path, into: pb.LinuxSandboxSecurityContext
) -> None:
    """The pod-wide part (what the pause container runs with on runtimes that have one)."""
    spec = pod.get("spec") or {}
    pod_sc = spec.get("securityContext") or {}
    if pod_sc.get("runAsUser") is not None:
        into.run_as_user.value = int(pod_sc["runAsUser"])
    if pod_sc.get("runAsGroup") is not None:
        into.run_as_group.value = int(pod_sc["runAsGroup"])
    into.supplemental_groups.extend(supplemental_groups(pod))
    every = [*(spec.get("initContainers") or []), *(spec.get("containers") or [])]
    into.privileged = any((c.get("securityContext") or {}).get("privileged") for c in every)
    into.seccomp.CopyFrom(seccomp_profile(pod_sc.get("seccompProfile"), seccomp_root))


def pod_ref(pod: Object) -> str:
    """How Kubernetes' messages name a pod: `name_namespace(uid)`."""
    md = pod["metadata"]
    return f"{md['name']}_{md.get('namespace', 'default')}({md.get('uid', '')})"


def verify_run_as_non_root(pod: Object, container: Object, uid: int | None, username: str) -> str | None:
    """Why the container may not run under runAsNonRoot (None: it may). `uid` and
    `username` are the image's user as the runtime reports it; neither means root."""
    sc = effective(pod, container)
    if not sc.get("runAsNonRoot"):
        return None
    name = container["name"]
    if sc.get("runAsUser") is not None:
        if int(sc["runAsUser"]) == 0:
            return f'container\'s runAsUser breaks non-root policy (pod: "{pod_ref(pod)}", container: {name})'
        return None
    if uid is None and username:
        return (
            f"container has runAsNonRoot and image has non-numeric user ({username}), "
            f'cannot verify user is non-root (pod: "{pod_ref(pod)}", container: {name})'
        )
    if not uid:
        where = f'(pod: "{pod_ref(pod)}", container: {name})'
        return f"container has runAsNonRoot and image will run as root {where}"
    return None


def image_user(image: pb.Image | None) -> tuple[int | None, str]:
    """The image's user from ImageStatus: (uid, "") or (None, name); no user is root."""
    if image is not None and image.HasField("uid"):
        return image.uid.value, ""
    if image is not None and image.username:
        return None, image.username
    return 0, ""
