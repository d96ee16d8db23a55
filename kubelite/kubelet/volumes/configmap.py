"""configMap volumes: the configMap's keys (or its `items`) as files; missing and not
optional, the pod waits with FailedMount; missing and optional, the volume is empty."""

from __future__ import annotations

from kubelite.api.types import Object
from kubelite.kubelet.volumes.atomic_writer import Payload
from kubelite.kubelet.volumes.keys import project
from kubelite.kubelet.volumes.sources import VolumeSources, read_config_map


async def payload(sources: VolumeSources, namespace: str, source: Object) -> Payload:
    data = await read_config_map(sources, namespace, source)
    return {} if data is None else project(data, source, kind="configmap")
