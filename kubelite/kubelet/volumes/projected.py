"""projected volumes: configMaps, secrets, downwardAPI items and service account tokens
merged into one directory (the ServiceAccount admission plugin's kube-api-access-* volume
is one: token, ca.crt from kube-root-ca.crt, and the namespace)."""

from __future__ import annotations

from kubelite.api.types import Object
from kubelite.kubelet.volumes import downwardapi
from kubelite.kubelet.volumes.atomic_writer import FileProjection, Payload
from kubelite.kubelet.volumes.keys import DEFAULT_MODE, project
from kubelite.kubelet.volumes.sources import VolumeSources, read_config_map, read_secret
from kubelite.kubelet.volumes.tokens import TokenManager


async def payload(
    sources: VolumeSources,
    tokens: TokenManager,
    pod: Object,
    source: Object,
    allocatable: Object | None = None,
) -> Payload:
    ns = pod["metadata"].get("namespace", "default")
    mode = source.get("defaultMode", DEFAULT_MODE)
    out: Payload = {}
    for p in source.get("sources") or []:
        if "configMap" in p:
            data = await read_config_map(sources, ns, p["configMap"])
            if data is not None:
                out.update(project(data, p["configMap"], kind="configmap", default_mode=mode))
        elif "secret" in p:
            data = await read_secret(sources, ns, p["secret"])
            if data is not None:
                out.update(project(data, p["secret"], kind="secret", default_mode=mode))
        elif "downwardAPI" in p:
            out.update(downwardapi.payload(pod, {"defaultMode": mode, **p["downwardAPI"]}, allocatable))
        elif "serviceAccountToken" in p:
            t = p["serviceAccountToken"]
            sa = (pod.get("spec") or {}).get("serviceAccountName") or "default"
            ttl = int(t.get("expirationSeconds") or 3600)
            token = await tokens.token(pod, sa, t.get("audience", ""), ttl)
            out[t.get("path", "token")] = FileProjection(token.encode(), mode)
    return out
