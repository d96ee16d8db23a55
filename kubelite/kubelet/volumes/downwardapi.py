"""downwardAPI volumes: the pod's own fields as files (name, namespace, uid, labels,
annotations) and its containers' resources (limits/requests, in units of `divisor`).

Labels and annotations are written one `key="value"` line each, sorted by key, the value
quoted as Go's %q does; they follow `kubectl label`/`annotate` on the next sync.
"""

from __future__ import annotations

import json
import math

from kubelite.api.quantity import parse_quantity
from kubelite.api.types import Object
from kubelite.kubelet.volumes.atomic_writer import FileProjection, Payload
from kubelite.kubelet.volumes.errors import VolumeError
from kubelite.kubelet.volumes.keys import DEFAULT_MODE


def format_map(m: dict[str, str]) -> str:
    return "\n".join(f"{k}={json.dumps(str(m[k]), ensure_ascii=False)}" for k in sorted(m))


def field_value(pod: Object, path: str) -> str:
    md, spec = pod["metadata"], pod.get("spec") or {}
    if path == "metadata.labels":
        return format_map(md.get("labels") or {})
    if path == "metadata.annotations":
        return format_map(md.get("annotations") or {})
    if path.startswith("metadata.labels['") and path.endswith("']"):
        return str((md.get("labels") or {}).get(path[17:-2], ""))
    if path.startswith("metadata.annotations['") and path.endswith("']"):
        return str((md.get("annotations") or {}).get(path[22:-2], ""))
    values = {
        "metadata.name": md.get("name", ""),
        "metadata.namespace": md.get("namespace", "default"),
        "metadata.uid": md.get("uid", ""),
        "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", ""),
        "status.podIP": (pod.get("status") or {}).get("podIP", ""),
        "status.hostIP": (pod.get("status") or {}).get("hostIP", ""),
    }
    if path not in values:
        raise VolumeError(f"unsupported fieldPath: {path}")
    return str(values[path])


def resource_value(pod: Object, ref: Object, container: str = "", allocatable: Object | None = None) -> str:
    """A container's limit or request in units of the divisor, rounded up; a limit not set
    is the node's allocatable, as Kubernetes fills it in."""
    name = ref.get("containerName") or container
    spec = pod.get("spec") or {}
    c = next((c for c in spec.get("containers") or [] if c.get("name") == name), None)
    if c is None:
        raise VolumeError(f"container {name!r} not found")
    resource = ref.get("resource", "")
    kind, _, res = resource.partition(".")
    resources = c.get("resources") or {}
    value = (resources.get(kind) or {}).get(res)
    if value is None and kind == "requests":
        value = (resources.get("limits") or {}).get(res)
    if value is None:
        value = (allocatable or {}).get(res, "0") if kind == "limits" else "0"
    divisor = parse_quantity(str(ref.get("divisor") or "1"))
    if divisor.milli_value() == 0:  # a zero divisor (Go clients send "0" for none) means 1
        divisor = parse_quantity("1")
    q = parse_quantity(str(value))
    if res == "cpu":
        return str(max(0, math.ceil(q.milli_value() / max(1, divisor.milli_value()))))
    return str(math.ceil(q.value() / max(1, divisor.value())))


def payload(pod: Object, source: Object, allocatable: Object | None = None) -> Payload:
    mode = source.get("defaultMode", DEFAULT_MODE)
    out: Payload = {}
    for item in source.get("items") or []:
        if "fieldRef" in item:
            text = field_value(pod, item["fieldRef"].get("fieldPath", ""))
        elif "resourceFieldRef" in item:
            text = resource_value(pod, item["resourceFieldRef"], allocatable=allocatable)
        else:
            continue
        out[item.get("path", "")] = FileProjection(text.encode(), item.get("mode", mode))
    return out
