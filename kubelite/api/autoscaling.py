"""HorizontalPodAutoscalers between autoscaling/v1 and autoscaling/v2.

Objects are stored as autoscaling/v2 and served in both versions. v1 knows only a CPU
utilization target, so, as Kubernetes does, a v1 answer carries the rest of the v2 object in
annotations (JSON in v1's older metric shapes), and a v1 write brings them back:

    v2 spec.metrics (CPU utilization)      <-> v1 spec.targetCPUUtilizationPercentage
    v2 spec.metrics (every other metric)   <-> autoscaling.alpha.kubernetes.io/metrics
    v2 spec.behavior                       <-> autoscaling.alpha.kubernetes.io/behavior
    v2 status.currentMetrics               <-> autoscaling.alpha.kubernetes.io/current-metrics
    v2 status.conditions                   <-> autoscaling.alpha.kubernetes.io/conditions

A v1 object without any target gets the implicit 80% CPU target v1 always had.
`to_v1` and `to_v2` never change their argument.
"""

from __future__ import annotations

import copy
import json
from typing import Any

METRICS_ANNOTATION = "autoscaling.alpha.kubernetes.io/metrics"
CURRENT_METRICS_ANNOTATION = "autoscaling.alpha.kubernetes.io/current-metrics"
CONDITIONS_ANNOTATION = "autoscaling.alpha.kubernetes.io/conditions"
BEHAVIOR_ANNOTATION = "autoscaling.alpha.kubernetes.io/behavior"
ROUND_TRIP_ANNOTATIONS = (
    METRICS_ANNOTATION,
    CURRENT_METRICS_ANNOTATION,
    CONDITIONS_ANNOTATION,
    BEHAVIOR_ANNOTATION,
)
DEFAULT_CPU_UTILIZATION = 80
_EMPTY: dict[str, Any] = {}


def _d(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else _EMPTY


def _dump(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def _metadata(obj: dict[str, Any], api_version: str) -> dict[str, Any]:
    """A shallow copy of the object with its own metadata and no round-trip annotations."""
    md = dict(_d(obj.get("metadata")))
    notes = {k: v for k, v in _d(md.get("annotations")).items() if k not in ROUND_TRIP_ANNOTATIONS}
    if notes:
        md["annotations"] = notes
    else:
        md.pop("annotations", None)
    return {"kind": "HorizontalPodAutoscaler", "apiVersion": api_version, "metadata": md}


def _is_cpu_utilization(metric: dict[str, Any]) -> bool:
    resource = _d(metric.get("resource"))
    return (
        metric.get("type") == "Resource"
        and resource.get("name") == "cpu"
        and _d(resource.get("target")).get("averageUtilization") is not None
    )


# ---- v2 -> v1 ---------------------------------------------------------------------------------


def to_v1(hpa: dict[str, Any]) -> dict[str, Any]:
    out = _metadata(hpa, "autoscaling/v1")
    spec, status = _d(hpa.get("spec")), _d(hpa.get("status"))
    v1_spec: dict[str, Any] = {"scaleTargetRef": copy.deepcopy(spec.get("scaleTargetRef") or {})}
    for key in ("minReplicas", "maxReplicas"):
        if key in spec:
            v1_spec[key] = spec[key]
    metrics = [_d(m) for m in spec.get("metrics") or ()]
    cpu = next((m for m in metrics if _is_cpu_utilization(m)), None)
    if cpu is not None:
        v1_spec["targetCPUUtilizationPercentage"] = cpu["resource"]["target"]["averageUtilization"]
    out["spec"] = v1_spec
    notes: dict[str, str] = {}
    others = [_metric_spec_to_v1(m) for m in metrics if not _is_cpu_utilization(m)]
    if others:
        notes[METRICS_ANNOTATION] = _dump(others)
    current = [_metric_status_to_v1(_d(m)) for m in status.get("currentMetrics") or ()]
    if current:
        notes[CURRENT_METRICS_ANNOTATION] = _dump(current)
    if spec.get("behavior") is not None:
        notes[BEHAVIOR_ANNOTATION] = _dump(spec["behavior"])
    if status.get("conditions"):
        notes[CONDITIONS_ANNOTATION] = _dump(status["conditions"])
    if notes:
        out["metadata"]["annotations"] = {**_d(out["metadata"].get("annotations")), **notes}
    if "status" in hpa:
        out["status"] = _status_to_v1(status)
    return out


def _status_to_v1(status: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {k: status[k] for k in ("observedGeneration", "lastScaleTime") if k in status}
    out["currentReplicas"] = status.get("currentReplicas", 0)
    out["desiredReplicas"] = status.get("desiredReplicas", 0)
    for metric in status.get("currentMetrics") or ():
        resource = _d(_d(metric).get("resource"))
        utilization = _d(resource.get("current")).get("averageUtilization")
        if _d(metric).get("type") == "Resource" and resource.get("name") == "cpu" and utilization is not None:
            out["currentCPUUtilizationPercentage"] = utilization
    return out


def _set(out: dict[str, Any], key: str, value: Any) -> None:
    if value is not None:
        out[key] = copy.deepcopy(value)


def _metric_spec_to_v1(metric: dict[str, Any]) -> dict[str, Any]:
    kind = metric.get("type")
    out: dict[str, Any] = {"type": kind}
    if "resource" in metric or "containerResource" in metric:
        field = "resource" if "resource" in metric else "containerResource"
        src = _d(metric[field])
        target = _d(src.get("target"))
        res: dict[str, Any] = {"name": src.get("name", "")}
        _set(res, "container", src.get("container"))
        _set(res, "targetAverageUtilization", target.get("averageUtilization"))
        _set(res, "targetAverageValue", target.get("averageValue"))
        out[field] = res
    if "pods" in metric:
        src = _d(metric["pods"])
        ident, target = _d(src.get("metric")), _d(src.get("target"))
        pods: dict[str, Any] = {
            "metricName": ident.get("name", ""),
            "targetAverageValue": target.get("averageValue"),
        }
        _set(pods, "selector", ident.get("selector"))
        out["pods"] = pods
    if "object" in metric:
        src = _d(metric["object"])
        ident, target = _d(src.get("metric")), _d(src.get("target"))
        obj: dict[str, Any] = {
            "target": copy.deepcopy(src.get("describedObject") or {}),
            "metricName": ident.get("name", ""),
            "targetValue": target.get("value"),
        }
        _set(obj, "selector", ident.get("selector"))
        _set(obj, "averageValue", target.get("averageValue"))
        out["object"] = obj
    if "external" in metric:
        src = _d(metric["external"])
        ident, target = _d(src.get("metric")), _d(src.get("target"))
        ext: dict[str, Any] = {"metricName": ident.get("name", "")}
        _set(ext, "metricSelector", ident.get("selector"))
        _set(ext, "targetValue", target.get("value"))
        _set(ext, "targetAverageValue", target.get("averageValue"))
        out["external"] = ext
    return out


def _metric_status_to_v1(metric: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": metric.get("type")}
    for field in ("resource", "containerResource"):
        if field in metric:
            src = _d(metric[field])
            current = _d(src.get("current"))
            res: dict[str, Any] = {
                "name": src.get("name", ""),
                "currentAverageValue": current.get("averageValue"),
            }
            _set(res, "container", src.get("container"))
            _set(res, "currentAverageUtilization", current.get("averageUtilization"))
            out[field] = res
    for field, value_key in (("pods", "currentAverageValue"), ("external", "currentValue")):
        if field in metric:
            src = _d(metric[field])
            ident, current = _d(src.get("metric")), _d(src.get("current"))
            entry: dict[str, Any] = {"metricName": ident.get("name", "")}
            if field == "pods":
                entry[value_key] = current.get("averageValue")
                _set(entry, "selector", ident.get("selector"))
            else:
                entry[value_key] = current.get("value")
                _set(entry, "currentAverageValue", current.get("averageValue"))
                _set(entry, "metricSelector", ident.get("selector"))
            out[field] = entry
    if "object" in metric:
        src = _d(metric["object"])
        ident, current = _d(src.get("metric")), _d(src.get("current"))
        obj: dict[str, Any] = {
            "target": copy.deepcopy(src.get("describedObject") or {}),
            "metricName": ident.get("name", ""),
            "currentValue": current.get("value"),
        }
        _set(obj, "selector", ident.get("selector"))
        _set(obj, "averageValue", current.get("averageValue"))
        out["object"] = obj
    return out


# ---- v1 -> v2 ---------------------------------------------------------------------------------


def _loads(text: Any) -> Any:
    try:
        return json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return None


def to_v2(hpa: dict[str, Any]) -> dict[str, Any]:
    notes = _d(_d(hpa.get("metadata")).get("annotations"))
    out = _metadata(hpa, "autoscaling/v2")
    spec, status = _d(hpa.get("spec")), _d(hpa.get("status"))
    v2_spec: dict[str, Any] = {"scaleTargetRef": copy.deepcopy(spec.get("scaleTargetRef") or {})}
    for key in ("minReplicas", "maxReplicas"):
        if key in spec:
            v2_spec[key] = spec[key]
    others = _loads(notes.get(METRICS_ANNOTATION))
    metrics = [_metric_spec_to_v2(_d(m)) for m in others] if isinstance(others, list) else []
    target = spec.get("targetCPUUtilizationPercentage")
    if target is not None or not metrics:
        utilization = DEFAULT_CPU_UTILIZATION if target is None else target
        metrics.append(_cpu_metric(utilization))
    v2_spec["metrics"] = metrics
    behavior = _loads(notes.get(BEHAVIOR_ANNOTATION))
    if isinstance(behavior, dict) and behavior:
        v2_spec["behavior"] = behavior
    out["spec"] = v2_spec
    if "status" in hpa:
        out["status"] = _status_to_v2(status, notes)
    return out


def _cpu_metric(utilization: Any) -> dict[str, Any]:
    target = {"type": "Utilization", "averageUtilization": utilization}
    return {"type": "Resource", "resource": {"name": "cpu", "target": target}}


def _status_to_v2(status: dict[str, Any], notes: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {k: status[k] for k in ("observedGeneration", "lastScaleTime") if k in status}
    out["currentReplicas"] = status.get("currentReplicas", 0)
    out["desiredReplicas"] = status.get("desiredReplicas", 0)
    current = _loads(notes.get(CURRENT_METRICS_ANNOTATION))
    if isinstance(current, list):
        out["currentMetrics"] = [_metric_status_to_v2(_d(m)) for m in current]
    elif status.get("currentCPUUtilizationPercentage") is not None:
        out["currentMetrics"] = [
            {
                "type": "Resource",
                "resource": {
                    "name": "cpu",
                    "current": {"averageUtilization": status["currentCPUUtilizationPercentage"]},
                },
            }
        ]
    conditions = _loads(notes.get(CONDITIONS_ANNOTATION))
    if isinstance(conditions, list):
        out["conditions"] = conditions
    return out


def _target(**values: Any) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _identifier(name: Any, selector: Any) -> dict[str, Any]:
    return _target(name=name or "", selector=selector)


def _metric_spec_to_v2(metric: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": metric.get("type")}
    for field in ("resource", "containerResource"):
        if field in metric:
            src = _d(metric[field])
            utilization, value = src.get("targetAverageUtilization"), src.get("targetAverageValue")
            kind = "Utilization" if utilization is not None else "AverageValue"
            entry = _target(name=src.get("name", ""), container=src.get("container"))
            entry["target"] = _target(type=kind, averageUtilization=utilization, averageValue=value)
            out[field] = entry
    if "pods" in metric:
        src = _d(metric["pods"])
        out["pods"] = {
            "metric": _identifier(src.get("metricName"), src.get("selector")),
            "target": _target(type="AverageValue", averageValue=src.get("targetAverageValue")),
        }
    if "object" in metric:
        src = _d(metric["object"])
        average = src.get("averageValue")
        out["object"] = {
            "describedObject": copy.deepcopy(src.get("target") or {}),
            "metric": _identifier(src.get("metricName"), src.get("selector")),
            "target": _target(
                type="AverageValue" if average is not None else "Value",
                value=src.get("targetValue"),
                averageValue=average,
            ),
        }
    if "external" in metric:
        src = _d(metric["external"])
        value, average = src.get("targetValue"), src.get("targetAverageValue")
        out["external"] = {
            "metric": _identifier(src.get("metricName"), src.get("metricSelector")),
            "target": _target(
                type="Value" if value is not None else "AverageValue", value=value, averageValue=average
            ),
        }
    return out


def _metric_status_to_v2(metric: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": metric.get("type")}
    for field in ("resource", "containerResource"):
        if field in metric:
            src = _d(metric[field])
            entry = _target(name=src.get("name", ""), container=src.get("container"))
            entry["current"] = _target(
                averageUtilization=src.get("currentAverageUtilization"),
                averageValue=src.get("currentAverageValue"),
            )
            out[field] = entry
    if "pods" in metric:
        src = _d(metric["pods"])
        out["pods"] = {
            "metric": _identifier(src.get("metricName"), src.get("selector")),
            "current": _target(averageValue=src.get("currentAverageValue")),
        }
    if "object" in metric:
        src = _d(metric["object"])
        out["object"] = {
            "describedObject": copy.deepcopy(src.get("target") or {}),
            "metric": _identifier(src.get("metricName"), src.get("selector")),
            "current": _target(value=src.get("currentValue"), averageValue=src.get("averageValue")),
        }
    if "external" in metric:
        src = _d(metric["external"])
        out["external"] = {
            "metric": _identifier(src.get("metricName"), src.get("metricSelector")),
            "current": _target(value=src.get("currentValue"), averageValue=src.get("currentAverageValue")),
        }
    return out
