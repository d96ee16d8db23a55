"""The fields a field selector can test, per resource.

`object_fields(rt, obj)` returns them as strings, the way Kubernetes' registries expose
them: booleans as "true"/"false", counts as decimal, unset fields as "" (or as the
default the API server would have filled in on read, such as a pod's restartPolicy).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kubelite.api.resources import ResourceType

_NO_FIELDS: dict[str, Any] = {}

FieldGetter = Callable[[dict[str, Any]], dict[str, str]]


def _bool(value: Any) -> str:
    return "true" if value else "false"


def _pod_fields(obj: dict[str, Any]) -> dict[str, str]:
    spec = obj.get("spec") or _NO_FIELDS
    status = obj.get("status") or _NO_FIELDS
    pod_ips = status.get("podIPs")
    # Kubernetes reads the first of podIPs; older writers set only podIP.
    pod_ip = (pod_ips[0].get("ip") or "") if pod_ips else (status.get("podIP") or "")
    return {
        "spec.nodeName": spec.get("nodeName") or "",
        "spec.restartPolicy": spec.get("restartPolicy") or "Always",
        "spec.schedulerName": spec.get("schedulerName") or "default-scheduler",
        "spec.serviceAccountName": spec.get("serviceAccountName") or "",
        "spec.hostNetwork": _bool(spec.get("hostNetwork")),
        "status.phase": status.get("phase") or "",
        "status.podIP": pod_ip,
        "status.nominatedNodeName": status.get("nominatedNodeName") or "",
    }


def _event_source(obj: dict[str, Any], reporter: str) -> str:
    source = obj.get("source") or obj.get("deprecatedSource") or _NO_FIELDS
    return source.get("component") or reporter


def _core_event_fields(obj: dict[str, Any]) -> dict[str, str]:
    ref = obj.get("involvedObject") or obj.get("regarding") or _NO_FIELDS
    reporter = obj.get("reportingComponent") or obj.get("reportingController") or ""
    return {
        "involvedObject.kind": ref.get("kind") or "",
        "involvedObject.namespace": ref.get("namespace") or "",
        "involvedObject.name": ref.get("name") or "",
        "involvedObject.uid": ref.get("uid") or "",
        "involvedObject.apiVersion": ref.get("apiVersion") or "",
        "involvedObject.resourceVersion": ref.get("resourceVersion") or "",
        "involvedObject.fieldPath": ref.get("fieldPath") or "",
        "reason": obj.get("reason") or "",
        "reportingComponent": reporter,
        "source": _event_source(obj, reporter),
        "type": obj.get("type") or "",
    }


def _events_v1_fields(obj: dict[str, Any]) -> dict[str, str]:
    # events.k8s.io/v1 objects are stored as core/v1 Events; read either shape.
    ref = obj.get("regarding") or obj.get("involvedObject") or _NO_FIELDS
    reporter = obj.get("reportingController") or obj.get("reportingComponent") or ""
    return {
        "regarding.kind": ref.get("kind") or "",
        "regarding.namespace": ref.get("namespace") or "",
        "regarding.name": ref.get("name") or "",
        "regarding.uid": ref.get("uid") or "",
        "regarding.apiVersion": ref.get("apiVersion") or "",
        "regarding.resourceVersion": ref.get("resourceVersion") or "",
        "regarding.fieldPath": ref.get("fieldPath") or "",
        "reason": obj.get("reason") or "",
        "reportingController": reporter,
        "source": _event_source(obj, reporter),
        "type": obj.get("type") or "",
    }


def _section(obj: dict[str, Any], name: str) -> dict[str, Any]:
    return obj.get(name) or _NO_FIELDS


_FIELD_GETTERS: dict[tuple[str, str], FieldGetter] = {
    ("", "pods"): _pod_fields,
    ("", "events"): _core_event_fields,
    ("events.k8s.io", "events"): _events_v1_fields,
    ("", "nodes"): lambda o: {"spec.unschedulable": _bool(_section(o, "spec").get("unschedulable"))},
    ("", "namespaces"): lambda o: {"status.phase": _section(o, "status").get("phase") or "Active"},
    ("", "secrets"): lambda o: {"type": o.get("type") or "Opaque"},
    ("", "services"): lambda o: {
        "spec.clusterIP": _section(o, "spec").get("clusterIP") or "",
        "spec.type": _section(o, "spec").get("type") or "ClusterIP",
    },
    ("", "replicationcontrollers"): lambda o: {
        "status.replicas": str(_section(o, "status").get("replicas") or 0)
    },
    ("batch", "jobs"): lambda o: {"status.successful": str(_section(o, "status").get("succeeded") or 0)},
    ("discovery.k8s.io", "endpointslices"): lambda o: {"addressType": o.get("addressType") or ""},
}


def _path_fields(paths: tuple[str, ...]) -> FieldGetter:
    """Fields read by dotted path: custom resources' `selectableFields`."""
    split = tuple((p, p.split(".")) for p in paths)

    def read(obj: dict[str, Any]) -> dict[str, str]:
        out = {}
        for path, parts in split:
            value: Any = obj
            for part in parts:
                value = value.get(part) if isinstance(value, dict) else None
            out[path] = _bool(value) if isinstance(value, bool) else "" if value is None else str(value)
        return out

    return read


_PATH_GETTERS: dict[tuple[str, ...], FieldGetter] = {}


def object_fields(rt: ResourceType, obj: dict[str, Any]) -> dict[str, str]:
    """The values a field selector tests for `obj`, a `rt` object; missing ones are ""."""
    md = obj.get("metadata") or _NO_FIELDS
    getter = _FIELD_GETTERS.get((rt.group, rt.plural))
    if getter is None and rt.field_selectors:
        getter = _PATH_GETTERS.get(rt.field_selectors)
        if getter is None:
            getter = _PATH_GETTERS.setdefault(rt.field_selectors, _path_fields(rt.field_selectors))
    fields = getter(obj) if getter is not None else {}
    fields["metadata.name"] = md.get("name") or ""
    if rt.namespaced:
        fields["metadata.namespace"] = md.get("namespace") or ""
    return fields
