"""autoscaling/v2: HorizontalPodAutoscaler (autoscaling/v1 writes are validated as the v2
object they are stored as, so their errors name v2 paths, as in Kubernetes)."""

from __future__ import annotations

from typing import Any

from kubelite.api import names
from kubelite.api.errors import forbidden, invalid, not_supported, required
from kubelite.api.validation.container import validate_container_resource_name
from kubelite.api.validation.fields import (
    Errors,
    as_dict,
    as_list,
    as_str,
    child,
    index,
    is_int,
    nonnegative,
    parse_quantity,
)

METRIC_TYPES = ["ContainerResource", "External", "Object", "Pods", "Resource"]
_SOURCE_FIELDS = {
    "Object": "object",
    "Pods": "pods",
    "Resource": "resource",
    "External": "external",
    "ContainerResource": "containerResource",
}
SELECT_POLICIES = ["Disabled", "Max", "Min"]
POLICY_TYPES = ["Percent", "Pods"]
_MAX_STABILIZATION = 3600
_MAX_PERIOD = 1800


def validate_hpa(hpa: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    spec = as_dict(hpa.get("spec"))
    lower = 1
    if old is not None and as_dict(old.get("spec")).get("minReplicas") == 0:
        lower = 0
    errs = _spec(spec, "spec", lower)
    if old is not None:
        status = as_dict(hpa.get("status"))
        errs += nonnegative(status.get("currentReplicas"), "status.currentReplicas")
        errs += nonnegative(status.get("desiredReplicas"), "status.desiredReplicas")
    return errs


def _spec(spec: dict[str, Any], path: str, lower: int) -> Errors:
    errs: Errors = []
    low, high = spec.get("minReplicas"), spec.get("maxReplicas")
    if is_int(low) and low < lower:
        errs.append(invalid(child(path, "minReplicas"), low, f"must be greater than or equal to {lower}"))
    high_n = high if is_int(high) else 0
    if high_n < 1:
        errs.append(invalid(child(path, "maxReplicas"), high_n, "must be greater than 0"))
    if is_int(low) and high_n < low:
        errs.append(
            invalid(child(path, "maxReplicas"), high_n, "must be greater than or equal to `minReplicas`")
        )
    errs += object_reference(as_dict(spec.get("scaleTargetRef")), child(path, "scaleTargetRef"))
    errs += _metrics(spec.get("metrics"), child(path, "metrics"), low)
    if spec.get("behavior") is not None:
        behavior = as_dict(spec["behavior"])
        for rules in ("scaleUp", "scaleDown"):
            errs += _scaling_rules(behavior.get(rules), child(path, "behavior", rules))
    return errs


def object_reference(ref: dict[str, Any], path: str) -> Errors:
    errs: Errors = []
    for field in ("kind", "name"):
        value = as_str(ref.get(field))
        if not value:
            errs.append(required(child(path, field)))
        else:
            errs += [invalid(child(path, field), value, m) for m in names.is_path_segment_name(value)]
    return errs


def _metrics(metrics: Any, path: str, min_replicas: Any) -> Errors:
    errs: Errors = []
    kinds = set()
    for i, metric in enumerate(as_list(metrics)):
        metric = as_dict(metric)
        kinds.add(metric.get("type"))
        errs += _metric(metric, index(path, i))
    if min_replicas == 0 and not kinds & {"Object", "External"}:
        errs.append(
            forbidden(
                path,
                "must specify at least one Object or External metric to support scaling to zero replicas",
            )
        )
    return errs


def _metric(metric: dict[str, Any], path: str) -> Errors:
    errs: Errors = []
    kind = metric.get("type")
    if not kind:
        errs.append(required(child(path, "type"), "must specify a metric source type"))
    if kind not in METRIC_TYPES:
        errs.append(not_supported(child(path, "type"), kind or "", METRIC_TYPES))
    present = [f for f in _SOURCE_FIELDS.values() if metric.get(f) is not None]
    if present:
        first = present[0]
        errs += _SOURCES[first](as_dict(metric[first]), child(path, first))
    expected = _SOURCE_FIELDS.get(as_str(kind))
    if expected is not None and metric.get(expected) is None:
        errs.append(required(child(path, expected), "must populate information for the given metric source"))
    for field in present:
        if field != expected and expected is not None:
            errs.append(forbidden(child(path, field), "must populate the given metric source only"))
    return errs


def _target(target: dict[str, Any], path: str) -> Errors:
    errs: Errors = []
    kind = target.get("type")
    if not kind:
        errs.append(required(child(path, "type"), "must specify a metric target type"))
    if kind not in ("Utilization", "Value", "AverageValue"):
        errs.append(
            invalid(child(path, "type"), kind or "", "must be either Utilization, Value, or AverageValue")
        )
    for field in ("value", "averageValue"):
        if target.get(field) is not None:
            q = parse_quantity(target[field])
            if q is None or q.sign() != 1:
                errs.append(invalid(child(path, field), target[field], "must be positive"))
    utilization = target.get("averageUtilization")
    if is_int(utilization) and utilization < 1:
        errs.append(invalid(child(path, "averageUtilization"), utilization, "must be greater than 0"))
    return errs


def _identifier(ident: dict[str, Any], path: str) -> Errors:
    name = as_str(ident.get("name"))
    if not name:
        return [required(child(path, "name"), "must specify a metric name")]
    return [invalid(child(path, "name"), name, m) for m in names.is_path_segment_name(name)]


def _object_source(src: dict[str, Any], path: str) -> Errors:
    target = as_dict(src.get("target"))
    errs = object_reference(as_dict(src.get("describedObject")), child(path, "describedObject"))
    errs += _identifier(as_dict(src.get("metric")), child(path, "metric"))
    errs += _target(target, child(path, "target"))
    if target.get("value") is None and target.get("averageValue") is None:
        errs.append(
            required(child(path, "target", "averageValue"), "must set either a target value or averageValue")
        )
    return errs


def _external_source(src: dict[str, Any], path: str) -> Errors:
    target = as_dict(src.get("target"))
    errs = _identifier(as_dict(src.get("metric")), child(path, "metric"))
    errs += _target(target, child(path, "target"))
    value, average = target.get("value"), target.get("averageValue")
    if value is None and average is None:
        errs.append(
            required(
                child(path, "target", "averageValue"),
                "must set either a target value for metric or a per-pod target",
            )
        )
    if value is not None and average is not None:
        errs.append(
            forbidden(
                child(path, "target", "value"),
                "may not set both a target value for metric and a per-pod target",
            )
        )
    return errs


def _pods_source(src: dict[str, Any], path: str) -> Errors:
    target = as_dict(src.get("target"))
    errs = _identifier(as_dict(src.get("metric")), child(path, "metric"))
    errs += _target(target, child(path, "target"))
    if target.get("averageValue") is None:
        errs.append(
            required(child(path, "target", "averageValue"), "must specify a positive target averageValue")
        )
    return errs


def _utilization_or_value(target: dict[str, Any], path: str) -> Errors:
    errs: Errors = []
    utilization, average = target.get("averageUtilization"), target.get("averageValue")
    if utilization is None and average is None:
        errs.append(
            required(
                child(path, "target", "averageUtilization"),
                "must set either a target raw value or a target utilization",
            )
        )
    if utilization is not None and average is not None:
        errs.append(
            forbidden(
                child(path, "target", "averageValue"),
                "may not set both a target raw value and a target utilization",
            )
        )
    return errs


def _resource_source(src: dict[str, Any], path: str) -> Errors:
    target = as_dict(src.get("target"))
    errs: Errors = []
    if not as_str(src.get("name")):
        errs.append(required(child(path, "name"), "must specify a resource name"))
    errs += _target(target, child(path, "target"))
    return errs + _utilization_or_value(target, path)


def _container_resource_source(src: dict[str, Any], path: str) -> Errors:
    target = as_dict(src.get("target"))
    errs: Errors = []
    name = as_str(src.get("name"))
    if not name:
        errs.append(required(child(path, "name"), "must specify a resource name"))
    else:
        errs += validate_container_resource_name(name, child(path, "name"))
    container = as_str(src.get("container"))
    if not container:
        errs.append(required(child(path, "container"), "must specify a container"))
    else:
        errs += [invalid(child(path, "container"), container, m) for m in names.is_dns1123_label(container)]
    errs += _target(target, child(path, "target"))
    return errs + _utilization_or_value(target, path)


_SOURCES = {
    "object": _object_source,
    "pods": _pods_source,
    "resource": _resource_source,
    "external": _external_source,
    "containerResource": _container_resource_source,
}


def _scaling_rules(rules: Any, path: str) -> Errors:
    if rules is None:
        return []
    rules = as_dict(rules)
    errs: Errors = []
    window = rules.get("stabilizationWindowSeconds")
    if is_int(window):
        if window < 0:
            errs.append(
                invalid(
                    child(path, "stabilizationWindowSeconds"), window, "must be greater than or equal to zero"
                )
            )
        elif window > _MAX_STABILIZATION:
            errs.append(
                invalid(
                    child(path, "stabilizationWindowSeconds"),
                    window,
                    f"must be less than or equal to {_MAX_STABILIZATION}",
                )
            )
    select = rules.get("selectPolicy")
    if select is not None and select not in SELECT_POLICIES:
        errs.append(not_supported(child(path, "selectPolicy"), select, SELECT_POLICIES))
    policies = as_list(rules.get("policies"))
    if not policies:
        errs.append(required(child(path, "policies"), "must specify at least one Policy"))
    for i, policy in enumerate(policies):
        errs += _policy(as_dict(policy), index(child(path, "policies"), i))
    return errs


def _policy(policy: dict[str, Any], path: str) -> Errors:
    errs: Errors = []
    kind = policy.get("type")
    if kind not in POLICY_TYPES:
        errs.append(not_supported(child(path, "type"), kind or "", POLICY_TYPES))
    value = policy.get("value")
    if not is_int(value) or value <= 0:
        errs.append(invalid(child(path, "value"), value if is_int(value) else 0, "must be greater than zero"))
    period = policy.get("periodSeconds")
    if not is_int(period) or period <= 0:
        errs.append(
            invalid(
                child(path, "periodSeconds"), period if is_int(period) else 0, "must be greater than zero"
            )
        )
    elif period > _MAX_PERIOD:
        errs.append(
            invalid(child(path, "periodSeconds"), period, f"must be less than or equal to {_MAX_PERIOD}")
        )
    return errs
