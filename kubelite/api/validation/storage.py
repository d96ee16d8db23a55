"""Storage and capacity: PersistentVolume, PersistentVolumeClaim, ResourceQuota, LimitRange.

Quantities are parsed with `kubelite.api.quantity`; a claim's spec is frozen once created
except for growing its storage request (and the one-time binding to a volume).
"""

from __future__ import annotations

from typing import Any

from kubelite.api import names
from kubelite.api.errors import duplicate, forbidden, invalid, not_supported, required
from kubelite.api.quantity import Quantity
from kubelite.api.validation import container as ctrs
from kubelite.api.validation.fields import (
    Errors,
    GoValue,
    as_dict,
    as_list,
    as_str,
    child,
    index,
    key,
    parse_quantity,
    quantity_errors,
)
from kubelite.api.validation.volumes import VOLUME_SOURCES

ACCESS_MODES = ["ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce", "ReadWriteOncePod"]
RECLAIM_POLICIES = ["Delete", "Recycle", "Retain"]
VOLUME_MODES = ["Block", "Filesystem"]
_QUOTA_SCOPES = (
    "Terminating",
    "NotTerminating",
    "BestEffort",
    "NotBestEffort",
    "PriorityClass",
    "CrossNamespacePodAffinity",
    "VolumeAttributesClass",
)


# ---- storage ------------------------------------------------------------------------------


def _access_modes(modes: Any, path: str, detail: str = "") -> Errors:
    modes = as_list(modes)
    if not modes:
        return [required(path, detail)]
    errs = [not_supported(path, m, ACCESS_MODES) for m in modes if m not in ACCESS_MODES]
    if "ReadWriteOncePod" in modes and any(m in ACCESS_MODES and m != "ReadWriteOncePod" for m in modes):
        errs.append(forbidden(path, "may not use ReadWriteOncePod with other access modes"))
    return errs


def validate_persistent_volume(pv: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    spec = as_dict(pv.get("spec"))
    errs = _access_modes(spec.get("accessModes"), "spec.accessModes")
    capacity = as_dict(spec.get("capacity"))
    if not capacity:
        errs.append(required("spec.capacity"))
    if "storage" not in capacity or len(capacity) > 1:
        errs.append(not_supported("spec.capacity", capacity, ["storage"]))
    for name, raw in capacity.items():
        q, qerrs = quantity_errors(raw, key("spec.capacity", name))
        errs += qerrs
        if q is not None and q.sign() <= 0:
            errs.append(invalid(key("spec.capacity", name), str(q), "must be greater than zero"))
    policy = spec.get("persistentVolumeReclaimPolicy")
    if policy and policy not in RECLAIM_POLICIES:
        errs.append(not_supported("spec.persistentVolumeReclaimPolicy", policy, RECLAIM_POLICIES))

    sources = [s for s in VOLUME_SOURCES + ("local",) if spec.get(s) is not None]
    if not sources:
        errs.append(required("spec", "must specify a volume type"))
    for s in sources[1:]:
        errs.append(forbidden(child("spec", s), "may not specify more than 1 volume type"))
    if spec.get("hostPath") is not None and not as_str(as_dict(spec["hostPath"]).get("path")):
        errs.append(required("spec.hostPath.path"))
    mode = spec.get("volumeMode")
    if mode is not None and mode not in VOLUME_MODES:
        errs.append(not_supported("spec.volumeMode", mode, VOLUME_MODES))
    if old is not None:
        old_spec = as_dict(old.get("spec"))
        if {s: spec.get(s) for s in sources} != {
            s: old_spec.get(s) for s in VOLUME_SOURCES + ("local",) if old_spec.get(s) is not None
        }:
            errs.append(
                forbidden(
                    "spec.persistentvolumesource", "spec.persistentvolumesource is immutable after creation"
                )
            )
    return errs


def validate_persistent_volume_claim(pvc: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    spec = as_dict(pvc.get("spec"))
    errs = _access_modes(spec.get("accessModes"), "spec.accessModes", "at least 1 access mode is required")
    storage = as_dict(as_dict(spec.get("resources")).get("requests")).get("storage")
    path = "spec.resources[storage]"
    if storage is None:
        errs.append(required(path))
    else:
        q, qerrs = quantity_errors(storage, path)
        errs += qerrs
        if q is not None and q.sign() <= 0:
            errs.append(invalid(path, str(q), "must be greater than zero"))
    mode = spec.get("volumeMode")
    if mode is not None and mode not in VOLUME_MODES:
        errs.append(not_supported("spec.volumeMode", mode, VOLUME_MODES))
    if old is not None:
        errs += _pvc_update(pvc, old)
    return errs


def _pvc_update(pvc: dict[str, Any], old: dict[str, Any]) -> Errors:
    new_spec, old_spec = dict(as_dict(pvc.get("spec"))), dict(as_dict(old.get("spec")))
    if not old_spec.get("volumeName"):
        old_spec["volumeName"] = new_spec.get("volumeName")  # binding may set it once
    for s in (new_spec, old_spec):
        s["resources"] = {k: v for k, v in as_dict(s.get("resources")).items() if k != "requests"}
    errs: Errors = []
    if _without_nulls(new_spec) != _without_nulls(old_spec):
        errs.append(
            forbidden(
                "spec",
                "spec is immutable after creation except resources.requests and "
                "volumeAttributesClassName for bound claims",
            )
        )
    new_q = _storage(pvc)
    old_q = _storage(old)
    if new_q is not None and old_q is not None and new_q < old_q:
        errs.append(forbidden("spec.resources.requests.storage", "field can not be less than previous value"))
    return errs


def _without_nulls(d: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in d.items() if v not in (None, {})}


def _storage(pvc: dict[str, Any]) -> Quantity | None:
    raw = as_dict(as_dict(as_dict(pvc.get("spec")).get("resources")).get("requests")).get("storage")
    return parse_quantity(raw) if raw is not None else None


# ---- quotas and limits --------------------------------------------------------------------


def validate_resource_quota(rq: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    spec = as_dict(rq.get("spec"))
    errs: Errors = []
    for name, raw in as_dict(spec.get("hard")).items():
        p = key("spec.hard", name)
        errs += ctrs.validate_resource_name(name, p)
        q, qerrs = quantity_errors(raw, p)
        errs += qerrs if q is None else ctrs.validate_quantity_value(name, q, p)
    scopes = as_list(spec.get("scopes"))
    if any(s not in _QUOTA_SCOPES for s in scopes):
        errs.append(invalid("spec.scopes", scopes, "unsupported scope"))
    for pair in (("BestEffort", "NotBestEffort"), ("Terminating", "NotTerminating")):
        if set(pair) <= set(scopes):
            errs.append(invalid("spec.scopes", scopes, "conflicting scopes"))
    if old is not None and set(scopes) != set(as_list(as_dict(old.get("spec")).get("scopes"))):
        errs.append(invalid("spec.scopes", scopes, "field is immutable"))
    return errs


def validate_limit_range(lr: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    errs: Errors = []
    types: set[str] = set()
    for i, item in enumerate(as_list(as_dict(lr.get("spec")).get("limits"))):
        p, item = index("spec.limits", i), as_dict(item)
        kind = as_str(item.get("type"))
        errs += [invalid(child(p, "type"), kind, m) for m in names.is_qualified_name(kind)]
        if kind in types:
            errs.append(duplicate(child(p, "type"), kind))
        types.add(kind)
        if kind == "Pod":
            for f in ("default", "defaultRequest"):
                if as_dict(item.get(f)):
                    errs.append(forbidden(child(p, f), "may not be specified when `type` is 'Pod'"))
        values: dict[str, dict[str, Quantity]] = {}
        for f in ("max", "min", "default", "defaultRequest", "maxLimitRequestRatio"):
            for name, raw in as_dict(item.get(f)).items():
                q, qerrs = quantity_errors(raw, key(child(p, f), name))
                errs += qerrs
                if q is not None:
                    values.setdefault(name, {})[f] = q
        errs += _limit_order(values, p)
    return errs


# The orders a LimitRange item's quantities must keep, as Kubernetes checks them in turn:
# (smaller, larger, the field the error names, the field whose value it shows, message).
_LIMIT_ORDER = (
    ("min", "max", "min", "min", "min value {min} is greater than max value {max}"),
    (
        "min",
        "defaultRequest",
        "defaultRequest",
        "defaultRequest",
        "min value {min} is greater than default request value {defaultRequest}",
    ),
    (
        "defaultRequest",
        "max",
        "defaultRequest",
        "defaultRequest",
        "default request value {defaultRequest} is greater than max value {max}",
    ),
    (
        "defaultRequest",
        "default",
        "defaultRequest",
        "defaultRequest",
        "default request value {defaultRequest} is greater than default limit value {default}",
    ),
    ("min", "default", "default", "min", "min value {min} is greater than default value {default}"),
    ("default", "max", "default", "max", "default value {default} is greater than max value {max}"),
)


def _limit_order(values: dict[str, dict[str, Quantity]], path: str) -> Errors:
    errs: Errors = []
    for name, v in values.items():
        shown = {field: str(q) for field, q in v.items()}
        for smaller, larger, field, value_of, message in _LIMIT_ORDER:
            a, b = v.get(smaller), v.get(larger)
            if a is not None and b is not None and a > b:
                path_of = key(child(path, field), name)
                errs.append(invalid(path_of, GoValue(shown[value_of]), message.format(**shown)))
        ratio = v.get("maxLimitRequestRatio")
        if ratio is not None and ratio < Quantity.from_int(1):
            errs.append(
                invalid(
                    key(child(path, "maxLimitRequestRatio"), name),
                    GoValue(str(ratio)),
                    f"ratio {ratio} is less than 1",
                )
            )
    return errs
