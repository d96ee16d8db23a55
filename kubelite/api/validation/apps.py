"""apps/v1: Deployment, ReplicaSet, StatefulSet, DaemonSet, ControllerRevision.

All four workloads share one rule: the selector must be non-empty, valid, and must pick
the pod template it stamps out; on update (in apps/v1) it may not change at all.
"""

from __future__ import annotations

from typing import Any

from kubelite.api import names
from kubelite.api.errors import forbidden, invalid, not_supported, required
from kubelite.api.validation.fields import (
    NEGATIVE_MSG,
    Errors,
    as_dict,
    child,
    go_label_selector,
    go_string_map,
    int_or_percent_value,
    int_or_string,
    is_int,
    nonnegative,
)
from kubelite.api.validation.meta import (
    selector_converts,
    selector_is_empty,
    selector_matches,
    validate_annotations,
    validate_label_selector,
    validate_labels,
)
from kubelite.api.validation.pod import validate_pod_template_spec

_STS_MUTABLE = (
    "replicas",
    "ordinals",
    "template",
    "updateStrategy",
    "persistentVolumeClaimRetentionPolicy",
    "minReadySeconds",
)


# ---- shared pieces ------------------------------------------------------------------------


def _selector(spec: dict[str, Any], kind: str) -> Errors:
    selector = spec.get("selector")
    if selector is None:
        return [required("spec.selector")]
    errs = validate_label_selector(selector, "spec.selector")
    if selector_is_empty(selector):
        errs.append(
            invalid("spec.selector", go_label_selector(selector), f"empty selector is invalid for {kind}")
        )
    return errs


def _selector_or_template(spec: dict[str, Any], kind: str, detail: str = "invalid label selector") -> Errors:
    """Kubernetes checks the template only when the selector converts; else it reports that."""
    if not selector_converts(spec.get("selector")):
        return [invalid("spec.selector", go_label_selector(spec.get("selector")), detail)]
    return _template_matches(spec) + _always_restart(spec, kind)


def _template_matches(spec: dict[str, Any]) -> Errors:
    selector = spec.get("selector")
    labels = as_dict(as_dict(as_dict(spec.get("template")).get("metadata"))).get("labels")
    if selector is not None and not selector_is_empty(selector) and not selector_matches(selector, labels):
        return [
            invalid(
                "spec.template.metadata.labels",
                go_string_map(labels),
                "`selector` does not match template `labels`",
            )
        ]
    return []


def _always_restart(spec: dict[str, Any], kind: str, *, full: bool = True) -> Errors:
    # The template is a value, not a pointer, in Kubernetes: a missing one reads as empty.
    template = as_dict(spec.get("template"))
    errs = validate_pod_template_spec(template, "spec.template") if full else []
    pod_spec = as_dict(template.get("spec"))
    policy = pod_spec.get("restartPolicy")
    if policy != "Always":
        errs.append(not_supported("spec.template.spec.restartPolicy", policy or "", ["Always"]))
    if pod_spec.get("activeDeadlineSeconds") is not None:
        errs.append(
            forbidden(
                "spec.template.spec.activeDeadlineSeconds",
                f"activeDeadlineSeconds in {kind} is not Supported",
            )
        )
    return errs


def validate_positive_int_or_percent(value: Any, path: str) -> Errors:
    if isinstance(value, str):
        return [invalid(path, int_or_string(value), m) for m in names.is_valid_percent(value)]
    if is_int(value):
        return [invalid(path, value, NEGATIVE_MSG)] if value < 0 else []
    if value is None:
        return []
    return [invalid(path, value, "must be an integer or percentage (e.g '5%')")]


def not_more_than_100_percent(value: Any, path: str) -> Errors:
    number, is_percent = int_or_percent_value(value)
    if is_percent and number > 100:
        return [invalid(path, int_or_string(value), "must not be greater than 100%")]
    return []


def _selector_immutable(new: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    if old is None:
        return []
    new_sel, old_sel = as_dict(new.get("spec")).get("selector"), as_dict(old.get("spec")).get("selector")
    if new_sel != old_sel:
        return [invalid("spec.selector", go_label_selector(new_sel), "field is immutable")]
    return []


# ---- Deployment and ReplicaSet ------------------------------------------------------------


def validate_deployment(d: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    spec = as_dict(d.get("spec"))
    errs = nonnegative(spec.get("replicas"), "spec.replicas")
    errs += _selector(spec, "deployment")
    errs += _selector_or_template(spec, "ReplicaSet")
    errs += _deployment_strategy(as_dict(spec.get("strategy")))
    errs += nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    errs += nonnegative(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit")
    deadline = spec.get("progressDeadlineSeconds")
    if is_int(deadline):
        errs += nonnegative(deadline, "spec.progressDeadlineSeconds")
        min_ready = spec.get("minReadySeconds", 0)
        if is_int(min_ready) and deadline <= min_ready:
            errs.append(
                invalid("spec.progressDeadlineSeconds", deadline, "must be greater than minReadySeconds")
            )
    return errs + _selector_immutable(d, old)


def _deployment_strategy(strategy: dict[str, Any]) -> Errors:
    kind = strategy.get("type")
    if kind == "Recreate":
        if strategy.get("rollingUpdate") is not None:
            return [
                forbidden(
                    "spec.strategy.rollingUpdate", "may not be specified when strategy `type` is 'Recreate'"
                )
            ]
        return []
    if kind != "RollingUpdate":
        return [not_supported("spec.strategy", strategy, ["Recreate", "RollingUpdate"])]
    if strategy.get("rollingUpdate") is None:
        return [required("spec.strategy.rollingUpdate", "this should be defaulted and never be nil")]
    ru, path = as_dict(strategy.get("rollingUpdate")), "spec.strategy.rollingUpdate"
    unavailable, surge = ru.get("maxUnavailable"), ru.get("maxSurge")
    errs = validate_positive_int_or_percent(unavailable, child(path, "maxUnavailable"))
    errs += validate_positive_int_or_percent(surge, child(path, "maxSurge"))
    if int_or_percent_value(unavailable)[0] == 0 and int_or_percent_value(surge)[0] == 0:
        errs.append(
            invalid(
                child(path, "maxUnavailable"), int_or_string(unavailable), "may not be 0 when `maxSurge` is 0"
            )
        )
    return errs + not_more_than_100_percent(unavailable, child(path, "maxUnavailable"))


def validate_replica_set(rs: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    spec = as_dict(rs.get("spec"))
    errs = nonnegative(spec.get("replicas"), "spec.replicas")
    errs += nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    errs += _selector(spec, "deployment")  # Kubernetes reuses the Deployment wording here
    errs += _selector_or_template(spec, "ReplicaSet")
    return errs + _selector_immutable(rs, old)


# ---- StatefulSet --------------------------------------------------------------------------


def validate_stateful_set(sts: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    spec = as_dict(sts.get("spec"))
    errs: Errors = []
    policy = spec.get("podManagementPolicy")
    if not policy:
        errs.append(required("spec.podManagementPolicy"))
    elif policy not in ("OrderedReady", "Parallel"):
        errs.append(invalid("spec.podManagementPolicy", policy, "must be 'OrderedReady' or 'Parallel'"))
    errs += _sts_update_strategy(as_dict(spec.get("updateStrategy")))
    retention = spec.get("persistentVolumeClaimRetentionPolicy")
    if retention is not None:
        for field in ("whenDeleted", "whenScaled"):
            value = as_dict(retention).get(field, "")
            if value not in ("Retain", "Delete"):
                errs.append(
                    not_supported(
                        child("spec.persistentVolumeClaimRetentionPolicy", field), value, ["Retain", "Delete"]
                    )
                )
    errs += nonnegative(spec.get("replicas"), "spec.replicas")
    errs += nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    errs += _selector(spec, "statefulset")
    if not selector_converts(spec.get("selector")):
        errs.append(invalid("spec.selector", go_label_selector(spec.get("selector")), ""))
    else:
        errs += _template_matches(spec)
        # Kubernetes checks only the template's metadata here, not its pod spec.
        meta = as_dict(as_dict(spec.get("template")).get("metadata"))
        errs += validate_labels(meta.get("labels"), "spec.template.labels")
        errs += validate_annotations(meta.get("annotations"), "spec.template.annotations")
    errs += _always_restart(spec, "StatefulSet", full=False)
    if old is not None:
        errs += _sts_update(spec, as_dict(old.get("spec")))
    return errs


def _sts_update_strategy(strategy: dict[str, Any]) -> Errors:
    kind = strategy.get("type")
    path = "spec.updateStrategy"
    if not kind:
        return [required(path)]
    if kind == "OnDelete":
        if strategy.get("rollingUpdate") is not None:
            return [
                invalid(
                    child(path, "rollingUpdate"),
                    strategy["rollingUpdate"],
                    "only allowed for updateStrategy 'RollingUpdate'",
                )
            ]
        return []
    if kind != "RollingUpdate":
        return [invalid(path, strategy, "must be 'RollingUpdate' or 'OnDelete'")]
    ru = as_dict(strategy.get("rollingUpdate"))
    errs = nonnegative(ru.get("partition"), child(path, "rollingUpdate", "partition"))
    unavailable = ru.get("maxUnavailable")
    if unavailable is not None:
        p = child(path, "rollingUpdate", "maxUnavailable")
        errs += validate_positive_int_or_percent(unavailable, p)
        if int_or_percent_value(unavailable)[0] == 0:
            errs.append(invalid(p, int_or_string(unavailable), "cannot be 0"))
        errs += not_more_than_100_percent(unavailable, p)
    return errs


def _sts_update(spec: dict[str, Any], old: dict[str, Any]) -> Errors:
    def frozen(s: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in s.items() if k not in _STS_MUTABLE and v is not None}

    if frozen(spec) != frozen(old):
        fields = ", ".join(f"'{f}'" for f in _STS_MUTABLE[:-1])
        return [
            forbidden(
                "spec",
                f"updates to statefulset spec for fields other than {fields} and "
                f"'{_STS_MUTABLE[-1]}' are forbidden",
            )
        ]
    return []


# ---- DaemonSet and ControllerRevision -----------------------------------------------------


def validate_daemon_set(ds: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    spec = as_dict(ds.get("spec"))
    selector = spec.get("selector")
    errs = validate_label_selector(selector, "spec.selector")
    labels = as_dict(as_dict(as_dict(spec.get("template")).get("metadata"))).get("labels")
    if not selector_matches(selector, labels):
        errs.append(
            invalid(
                "spec.template.metadata.labels",
                go_string_map(labels),
                "`selector` does not match template `labels`",
            )
        )
    if selector is not None and selector_is_empty(selector):
        errs.append(
            invalid("spec.selector", go_label_selector(selector), "empty selector is invalid for daemonset")
        )
    elif selector is None:
        errs.append(required("spec.selector"))
    errs += _always_restart(spec, "DaemonSet")
    errs += nonnegative(spec.get("minReadySeconds"), "spec.minReadySeconds")
    errs += _ds_update_strategy(as_dict(spec.get("updateStrategy")))
    errs += nonnegative(spec.get("revisionHistoryLimit"), "spec.revisionHistoryLimit")
    return errs + _selector_immutable(ds, old)


def _ds_update_strategy(strategy: dict[str, Any]) -> Errors:
    kind, path = strategy.get("type"), "spec.updateStrategy"
    if kind == "OnDelete":
        return []
    if kind != "RollingUpdate":
        return [not_supported(path, strategy, ["RollingUpdate", "OnDelete"])]
    if strategy.get("rollingUpdate") is None:
        return [required(child(path, "rollingUpdate"))]
    ru, rp = as_dict(strategy["rollingUpdate"]), child(path, "rollingUpdate")
    unavailable, surge = ru.get("maxUnavailable"), ru.get("maxSurge")
    errs = validate_positive_int_or_percent(unavailable, child(rp, "maxUnavailable"))
    errs += validate_positive_int_or_percent(surge, child(rp, "maxSurge"))
    errs += not_more_than_100_percent(unavailable, child(rp, "maxUnavailable"))
    errs += not_more_than_100_percent(surge, child(rp, "maxSurge"))
    has_unavailable = int_or_percent_value(unavailable)[0] != 0
    has_surge = int_or_percent_value(surge)[0] != 0
    if has_unavailable and has_surge:
        errs.append(
            invalid(
                child(rp, "maxSurge"), int_or_string(surge), "may not be set when maxUnavailable is non-zero"
            )
        )
    elif not has_unavailable and not has_surge:
        errs.append(required(child(rp, "maxUnavailable"), "cannot be 0 when maxSurge is 0"))
    return errs


def validate_controller_revision(cr: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    errs = [] if cr.get("data") is not None else [required("data", "data is mandatory")]
    errs += nonnegative(cr.get("revision"), "revision")
    if old is not None and cr.get("data") != old.get("data"):
        errs.append(invalid("data", cr.get("data"), "field is immutable"))
    return errs
