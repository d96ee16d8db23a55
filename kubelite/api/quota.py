"""Resource quota accounting: what an object counts against a ResourceQuota.

Shared by the ResourceQuota admission plugin (which charges a write before it is stored)
and the resource quota controller (which recounts a namespace into `status.used`), so both
count the same way, as Kubernetes' quota evaluators do:

    pods                      pods not yet Succeeded/Failed: `pods`, `count/pods`, and
                              cpu/memory/ephemeral-storage/extended requests and limits
                              (`requests.cpu` = `cpu`, `limits.memory`, ...; a pod asks for
                              the larger of its app containers' sum and its largest init
                              container, plus its overhead)
    services                  `services`, `services.nodeports` (one per port with a node
                              port), `services.loadbalancers`
    persistentvolumeclaims    `persistentvolumeclaims`, `requests.storage`,
                              `<class>.storageclass.storage.k8s.io/requests.storage` and
                              `.../persistentvolumeclaims`
    everything else           `count/<resource>[.<group>]`; the legacy names `secrets`,
                              `configmaps`, `replicationcontrollers`, `resourcequotas`

Scopes narrow which pods a quota sees: Terminating / NotTerminating
(activeDeadlineSeconds), BestEffort / NotBestEffort (QoS), PriorityClass (scopeSelector).
"""

from __future__ import annotations

from typing import Any

from kubelite.api.pods import is_terminal, qos_class
from kubelite.api.quantity import Quantity, QuantityError

Usage = dict[str, Quantity]

LEGACY_COUNTS = {
    ("", "pods"): "pods",
    ("", "services"): "services",
    ("", "secrets"): "secrets",
    ("", "configmaps"): "configmaps",
    ("", "replicationcontrollers"): "replicationcontrollers",
    ("", "resourcequotas"): "resourcequotas",
    ("", "persistentvolumeclaims"): "persistentvolumeclaims",
}
# What each container must state when a quota limits it (Kubernetes' validation set).
_MUST_SPECIFY = ("cpu", "limits.cpu", "limits.memory", "memory", "requests.cpu", "requests.memory")
_ONE = Quantity.from_int(1)


def count_name(group: str, plural: str) -> str:
    return f"count/{plural}" if not group else f"count/{plural}.{group}"


def parse(values: Any) -> Usage:
    out: Usage = {}
    for name, raw in (values or {}).items() if isinstance(values, dict) else ():
        try:
            out[name] = Quantity.parse(raw)
        except QuantityError:
            continue
    return out


def add(total: Usage, more: Usage) -> Usage:
    out = dict(total)
    for name, q in more.items():
        out[name] = out[name] + q if name in out else q
    return out


def subtract(total: Usage, less: Usage) -> Usage:
    out = dict(total)
    for name, q in less.items():
        out[name] = out[name] - q if name in out else -q
    return out


def pod_resources(spec: dict[str, Any], field: str) -> Usage:
    """A pod's requests or limits: max(sum of app containers, largest init container) + overhead."""
    total: Usage = {}
    for c in spec.get("containers") or []:
        total = add(total, parse((c.get("resources") or {}).get(field)))
    for c in spec.get("initContainers") or []:
        for name, q in parse((c.get("resources") or {}).get(field)).items():
            if name not in total or q > total[name]:
                total[name] = q
    return add(total, parse(spec.get("overhead"))) if total or spec.get("overhead") else total


def _pod_usage(pod: dict[str, Any]) -> Usage:
    if is_terminal(pod):
        return {}
    spec = pod.get("spec") or {}
    usage: Usage = {"pods": _ONE, "count/pods": _ONE}
    for name, q in pod_resources(spec, "requests").items():
        usage[f"requests.{name}"] = q
        if name in ("cpu", "memory", "ephemeral-storage"):
            usage[name] = q
    for name, q in pod_resources(spec, "limits").items():
        usage[f"limits.{name}"] = q
    return usage


def _service_usage(svc: dict[str, Any]) -> Usage:
    spec = svc.get("spec") or {}
    usage: Usage = {"services": _ONE, "count/services": _ONE}
    kind = spec.get("type") or "ClusterIP"
    if kind in ("NodePort", "LoadBalancer"):
        ports = len(spec.get("ports") or [])
        usage["services.nodeports"] = Quantity.from_int(ports)
    if kind == "LoadBalancer":
        usage["services.loadbalancers"] = _ONE
    return usage


def _claim_usage(pvc: dict[str, Any]) -> Usage:
    spec = pvc.get("spec") or {}
    usage: Usage = {"persistentvolumeclaims": _ONE, "count/persistentvolumeclaims": _ONE}
    storage = parse((spec.get("resources") or {}).get("requests")).get("storage")
    cls = spec.get("storageClassName") or ""
    if storage is not None:
        usage["requests.storage"] = storage
    if cls:
        usage[f"{cls}.storageclass.storage.k8s.io/persistentvolumeclaims"] = _ONE
        if storage is not None:
            usage[f"{cls}.storageclass.storage.k8s.io/requests.storage"] = storage
    return usage


def usage(group: str, plural: str, obj: dict[str, Any]) -> Usage:
    """What one object counts."""
    if group == "" and plural == "pods":
        return _pod_usage(obj)
    if group == "" and plural == "services":
        return _service_usage(obj)
    if group == "" and plural == "persistentvolumeclaims":
        return _claim_usage(obj)
    out: Usage = {count_name(group, plural): _ONE}
    legacy = LEGACY_COUNTS.get((group, plural))
    if legacy:
        out[legacy] = _ONE
    return out


def _scope_matches(scope: str, operator: str, values: list[str], pod: dict[str, Any]) -> bool:
    spec = pod.get("spec") or {}
    if scope == "Terminating":
        return spec.get("activeDeadlineSeconds") is not None
    if scope == "NotTerminating":
        return spec.get("activeDeadlineSeconds") is None
    if scope == "BestEffort":
        return qos_class(pod) == "BestEffort"
    if scope == "NotBestEffort":
        return qos_class(pod) != "BestEffort"
    if scope == "PriorityClass":
        name = spec.get("priorityClassName") or ""
        if operator == "In":
            return name in values
        if operator == "NotIn":
            return name not in values
        if operator == "Exists":
            return bool(name)
        if operator == "DoesNotExist":
            return not name
    return False  # CrossNamespacePodAffinity: kubelite has no cross-namespace affinity terms


def scopes(quota: dict[str, Any]) -> list[tuple[str, str, list[str]]]:
    spec = quota.get("spec") or {}
    out: list[tuple[str, str, list[str]]] = [(s, "Exists", []) for s in spec.get("scopes") or []]
    for expr in (spec.get("scopeSelector") or {}).get("matchExpressions") or []:
        out.append((expr.get("scopeName", ""), expr.get("operator", ""), list(expr.get("values") or [])))
    return out


def matches(quota: dict[str, Any], group: str, plural: str, obj: dict[str, Any]) -> bool:
    """Whether the quota's scopes select the object (scoped quotas only see pods)."""
    wanted = scopes(quota)
    if not wanted:
        return True
    if group != "" or plural != "pods":
        return False
    return all(_scope_matches(s, op, vals, obj) for s, op, vals in wanted)


def restrict(usage_: Usage, quota: dict[str, Any]) -> Usage:
    """The part of a usage the quota limits (a BestEffort-scoped quota only tracks pods)."""
    hard = (quota.get("spec") or {}).get("hard") or {}
    return {name: q for name, q in usage_.items() if name in hard}


def missing_specifications(hard: dict[str, Any], pod: dict[str, Any]) -> str:
    """Kubernetes' "must specify" rule: when a quota limits cpu or memory, every container
    must state that request or limit. "" when nothing is missing."""
    required = [r for r in _MUST_SPECIFY if r in hard]
    if not required:
        return ""
    missing: dict[str, set[str]] = {}
    spec = pod.get("spec") or {}
    for c in [*(spec.get("containers") or []), *(spec.get("initContainers") or [])]:
        res = c.get("resources") or {}
        for r in required:
            field, name = (
                ("limits", r[7:]) if r.startswith("limits.") else ("requests", r.removeprefix("requests."))
            )
            if name not in (res.get(field) or {}):
                missing.setdefault(r, set()).add(c.get("name", ""))
    if not missing:
        return ""
    return "must specify " + "; ".join(f"{r} for: {','.join(sorted(missing[r]))}" for r in sorted(missing))


def pretty(values: Usage) -> str:
    return ",".join(f"{name}={values[name]}" for name in sorted(values))


def to_json(values: Usage) -> dict[str, str]:
    return {name: str(q) for name, q in sorted(values.items())}
