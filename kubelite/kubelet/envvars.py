"""A container's environment as Kubernetes builds it: `envFrom` sources first (every key of
a configMap or secret, with an optional prefix), then `env` in order (later names win);
`value` with `$(VAR)` expanded from the variables defined before it, or `valueFrom`:
fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef; last the service link variables
(kubelite.kubelet.servicelinks) not defined otherwise. `$(VAR)` sees the container's own
variables first, then the service ones. The command and args are expanded with the result.

A missing source or key that is not optional stops the container from being created:
the caller shows CreateContainerConfigError with Kubernetes' message.
"""

from __future__ import annotations

from kubelite.api.types import Object
from kubelite.kubelet.servicelinks import service_env
from kubelite.kubelet.volumes.downwardapi import field_value, resource_value
from kubelite.kubelet.volumes.errors import VolumeError
from kubelite.kubelet.volumes.expansion import expand
from kubelite.kubelet.volumes.sources import VolumeSources, config_map_data, secret_data


class EnvError(Exception):
    pass


async def _source(sources: VolumeSources, ns: str, kind: str, name: str) -> dict[str, bytes] | None:
    if kind == "configmap":
        cm = await sources.config_map(ns, name)
        return None if cm is None else config_map_data(cm)
    secret = await sources.secret(ns, name)
    return None if secret is None else secret_data(secret)


async def _env_from(sources: VolumeSources, ns: str, c: Object, env: dict[str, str]) -> None:
    for src in c.get("envFrom") or []:
        kind, ref = (
            ("configmap", src["configMapRef"]) if "configMapRef" in src else ("secret", src.get("secretRef"))
        )
        if not ref:
            continue
        data = await _source(sources, ns, kind, ref.get("name", ""))
        if data is None:
            if ref.get("optional"):
                continue
            raise EnvError(f'{kind} "{ref.get("name", "")}" not found')
        for key, value in data.items():
            env[src.get("prefix", "") + key] = value.decode(errors="replace")


async def _key_ref(sources: VolumeSources, ns: str, kind: str, ref: Object) -> str | None:
    name, key = ref.get("name", ""), ref.get("key", "")
    data = await _source(sources, ns, kind, name)
    if data is None:
        if ref.get("optional"):
            return None
        raise EnvError(f'{kind} "{name}" not found')
    if key not in data:
        if ref.get("optional"):
            return None
        title = "ConfigMap" if kind == "configmap" else "Secret"
        raise EnvError(f"couldn't find key {key} in {title} {ns}/{name}")
    return data[key].decode(errors="replace")


async def container_env(
    pod: Object,
    c: Object,
    sources: VolumeSources,
    *,
    pod_ip: str = "",
    host_ip: str = "",
    allocatable: Object | None = None,
) -> dict[str, str]:
    ns = pod["metadata"].get("namespace", "default")
    services = sources.services()
    if services is None:
        raise EnvError("services have not yet been read at least once, cannot construct envvars")
    links = service_env(services, ns, (pod.get("spec") or {}).get("enableServiceLinks") is not False)
    env: dict[str, str] = {}
    await _env_from(sources, ns, c, env)
    status = {**(pod.get("status") or {}), "podIP": pod_ip, "hostIP": host_ip}
    view = {**pod, "status": status}
    for e in c.get("env") or []:
        src = e.get("valueFrom") or {}
        value: str | None
        try:
            if "fieldRef" in src:
                value = field_value(view, src["fieldRef"].get("fieldPath", ""))
            elif "resourceFieldRef" in src:
                value = resource_value(
                    pod, src["resourceFieldRef"], container=c["name"], allocatable=allocatable
                )
            elif "configMapKeyRef" in src:
                value = await _key_ref(sources, ns, "configmap", src["configMapKeyRef"])
            elif "secretKeyRef" in src:
                value = await _key_ref(sources, ns, "secret", src["secretKeyRef"])
            else:
                value = expand(str(e.get("value", "")), {**links, **env})
        except VolumeError as err:
            raise EnvError(err.reason) from None
        if value is not None:
            env[e["name"]] = value
    return {**links, **env}
