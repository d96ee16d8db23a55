"""secret volumes: the secret's keys (or its `items`) as files, decoded from base64;
`secretName` names it; missing and not optional, the pod waits with FailedMount."""

from __future__ import annotations

from kubelite.api.types import Object
from kubelite.kubelet.volumes.atomic_writer import Payload
from kubelite.kubelet.volumes.keys import project
from kubelite.kubelet.volumes.sources import VolumeSources, read_secret


async def payload(sources: VolumeSources, namespace: str, source: Object) -> Payload:
    data = await read_secret(sources, namespace, source, name_key="secretName")
    return {} if data is None else project(data, source, kind="secret")
