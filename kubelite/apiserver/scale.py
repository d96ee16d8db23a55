"""The `scale` subresource: a Scale (autoscaling/v1) view of a workload's replicas."""

from __future__ import annotations

from typing import Any

from kubelite.api import errors
from kubelite.api.resources import ResourceType


def to_scale(rt: ResourceType, obj: dict[str, Any]) -> dict[str, Any]:
    from kubelite.api.selectors import format_label_selector

    md = obj["metadata"]
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    selector = spec.get("selector")
    if rt.kind == "ReplicationController":
        # An RC's selector is a plain map.
        text = ",".join(f"{k}={v}" for k, v in sorted((selector or {}).items()))
    else:
        text = format_label_selector(selector or {})
    scale_md = {
        k: md[k] for k in ("name", "namespace", "uid", "resourceVersion", "creationTimestamp") if k in md
    }
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": scale_md,
        "spec": {"replicas": spec.get("replicas", 0)},
        "status": {"replicas": status.get("replicas", 0), "selector": text},
    }


def replicas_from(scale: dict[str, Any]) -> int:
    replicas = (scale.get("spec") or {}).get("replicas", 0)
    if not isinstance(replicas, int) or isinstance(replicas, bool):
        raise errors.BadRequest("spec.replicas must be an integer")
    if replicas < 0:
        raise errors.invalid_object(
            "Scale",
            "autoscaling",
            (scale.get("metadata") or {}).get("name", ""),
            [errors.invalid("spec.replicas", replicas, "must be greater than or equal to 0")],
        )
    return replicas


def parent_config(rt: ResourceType, config: dict[str, Any]) -> dict[str, Any]:
    """An apply configuration sent to `/scale` (a Scale), as the same intent for the parent
    object: the manager applies `spec.replicas` of the workload, recorded on the workload
    with subresource `scale` (as Kubernetes records it)."""
    api_version, kind = config.get("apiVersion"), config.get("kind")
    if (api_version, kind) != ("autoscaling/v1", "Scale"):
        raise errors.BadRequest(
            f"the API version in the data ({api_version}) and the kind "
            f"({kind}) do not match autoscaling/v1 Scale"
        )
    md = config.get("metadata") or {}
    out: dict[str, Any] = {
        "apiVersion": rt.api_version,
        "kind": rt.kind,
        "metadata": {k: md[k] for k in ("name", "namespace", "resourceVersion") if k in md},
    }
    if "replicas" in (config.get("spec") or {}):
        out["spec"] = {"replicas": replicas_from(config)}
    return out
