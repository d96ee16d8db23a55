"""Defaulting for the cluster-configuration APIs: storage.k8s.io, autoscaling,
admissionregistration.k8s.io, flowcontrol.apiserver.k8s.io, apiregistration.k8s.io and
apiextensions.k8s.io (CustomResourceDefinitions).

Kubernetes' `SetDefaults_*` values for these kinds, applied to unset fields only, in the
stored version (an autoscaling/v1 HorizontalPodAutoscaler is defaulted as the v2 object it
is stored as). `defaults.py` merges `DEFAULTERS` into its table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kubelite.api.crd.definition import apply_crd_defaults


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _dict_at(obj: dict[str, Any], key: str) -> dict[str, Any] | None:
    value = obj.get(key)
    return value if isinstance(value, dict) else None


# ---- storage.k8s.io ----------------------------------------------------------------------------


def _storage_class(sc: dict[str, Any]) -> None:
    sc.setdefault("reclaimPolicy", "Delete")
    sc.setdefault("volumeBindingMode", "Immediate")


def _csi_driver(driver: dict[str, Any]) -> None:
    spec = driver.setdefault("spec", {})
    if not isinstance(spec, dict):
        return
    spec.setdefault("attachRequired", True)
    spec.setdefault("podInfoOnMount", False)
    spec.setdefault("storageCapacity", False)
    spec.setdefault("fsGroupPolicy", "ReadWriteOnceWithFSType")
    if not spec.get("volumeLifecycleModes"):
        spec["volumeLifecycleModes"] = ["Persistent"]
    spec.setdefault("requiresRepublish", False)
    spec.setdefault("seLinuxMount", False)


# ---- autoscaling -------------------------------------------------------------------------------

_SCALE_UP = {
    "stabilizationWindowSeconds": 0,
    "selectPolicy": "Max",
    "policies": [
        {"type": "Pods", "value": 4, "periodSeconds": 15},
        {"type": "Percent", "value": 100, "periodSeconds": 15},
    ],
}
_SCALE_DOWN = {
    "stabilizationWindowSeconds": 300,
    "selectPolicy": "Max",
    "policies": [{"type": "Percent", "value": 100, "periodSeconds": 15}],
}


def _scaling_rules(behavior: dict[str, Any], key: str, defaults: dict[str, Any]) -> None:
    rules = behavior.get(key)
    if not isinstance(rules, dict):
        behavior[key] = {k: (list(map(dict, v)) if isinstance(v, list) else v) for k, v in defaults.items()}
        return
    for field, value in defaults.items():
        if rules.get(field) is None:
            rules[field] = [dict(p) for p in value] if isinstance(value, list) else value


def _hpa(hpa: dict[str, Any]) -> None:
    spec = hpa.get("spec")
    if not isinstance(spec, dict):
        return
    spec.setdefault("minReplicas", 1)
    if not spec.get("metrics"):
        target = {"type": "Utilization", "averageUtilization": 80}
        spec["metrics"] = [{"type": "Resource", "resource": {"name": "cpu", "target": target}}]
    behavior = _dict_at(spec, "behavior")
    if behavior is not None:
        _scaling_rules(behavior, "scaleUp", _SCALE_UP)
        _scaling_rules(behavior, "scaleDown", _SCALE_DOWN)


# ---- admissionregistration.k8s.io -------------------------------------------------------------


def _rules(rules: Any) -> None:
    for rule in _dicts(rules):
        rule.setdefault("scope", "*")


def _webhook(hook: dict[str, Any], *, mutating: bool) -> None:
    hook.setdefault("failurePolicy", "Fail")
    hook.setdefault("matchPolicy", "Equivalent")
    hook.setdefault("namespaceSelector", {})
    hook.setdefault("objectSelector", {})
    hook.setdefault("timeoutSeconds", 10)
    if mutating:
        hook.setdefault("reinvocationPolicy", "Never")
    _rules(hook.get("rules"))
    config = _dict_at(hook, "clientConfig")
    service = None if config is None else _dict_at(config, "service")
    if service is not None:
        service.setdefault("port", 443)


def _validating_webhooks(obj: dict[str, Any]) -> None:
    for hook in _dicts(obj.get("webhooks")):
        _webhook(hook, mutating=False)


def _mutating_webhooks(obj: dict[str, Any]) -> None:
    for hook in _dicts(obj.get("webhooks")):
        _webhook(hook, mutating=True)


def _match_resources(mc: dict[str, Any] | None) -> None:
    if mc is None:
        return
    mc.setdefault("matchPolicy", "Equivalent")
    mc.setdefault("namespaceSelector", {})
    mc.setdefault("objectSelector", {})
    _rules(mc.get("resourceRules"))
    _rules(mc.get("excludeResourceRules"))


def _validating_admission_policy(vap: dict[str, Any]) -> None:
    spec = _dict_at(vap, "spec")
    if spec is None:
        return
    spec.setdefault("failurePolicy", "Fail")
    _match_resources(_dict_at(spec, "matchConstraints"))


def _policy_binding(binding: dict[str, Any]) -> None:
    spec = _dict_at(binding, "spec")
    if spec is None:
        return
    _match_resources(_dict_at(spec, "matchResources"))
    param_ref = _dict_at(spec, "paramRef")
    if param_ref is not None:
        param_ref.setdefault("parameterNotFoundAction", "Deny")


# ---- flowcontrol.apiserver.k8s.io ----------------------------------------------------------------


def _flow_schema(fs: dict[str, Any]) -> None:
    spec = _dict_at(fs, "spec")
    if spec is not None and not spec.get("matchingPrecedence"):
        spec["matchingPrecedence"] = 1000


def _priority_level(pl: dict[str, Any]) -> None:
    spec = _dict_at(pl, "spec")
    if spec is None:
        return
    limited = _dict_at(spec, "limited")
    if limited is not None:
        if limited.get("nominalConcurrencyShares") is None:
            limited["nominalConcurrencyShares"] = 30
        limited.setdefault("lendablePercent", 0)
        response = _dict_at(limited, "limitResponse")
        queuing = None if response is None else _dict_at(response, "queuing")
        if queuing is not None:
            for key, value in (("queues", 64), ("handSize", 8), ("queueLengthLimit", 50)):
                if not queuing.get(key):
                    queuing[key] = value
    exempt = _dict_at(spec, "exempt")
    if exempt is not None:
        exempt.setdefault("nominalConcurrencyShares", 0)
        exempt.setdefault("lendablePercent", 0)


# ---- apiregistration.k8s.io ----------------------------------------------------------------------


def _api_service(svc: dict[str, Any]) -> None:
    spec = _dict_at(svc, "spec")
    service = None if spec is None else _dict_at(spec, "service")
    if service is not None:
        service.setdefault("port", 443)


_ADMISSION = "admissionregistration.k8s.io"
_FLOWCONTROL = "flowcontrol.apiserver.k8s.io"

DEFAULTERS: dict[tuple[str, str], Callable[[dict[str, Any]], None]] = {
    ("storage.k8s.io", "StorageClass"): _storage_class,
    ("storage.k8s.io", "CSIDriver"): _csi_driver,
    ("autoscaling", "HorizontalPodAutoscaler"): _hpa,
    (_ADMISSION, "ValidatingWebhookConfiguration"): _validating_webhooks,
    (_ADMISSION, "MutatingWebhookConfiguration"): _mutating_webhooks,
    (_ADMISSION, "ValidatingAdmissionPolicy"): _validating_admission_policy,
    (_ADMISSION, "ValidatingAdmissionPolicyBinding"): _policy_binding,
    (_FLOWCONTROL, "FlowSchema"): _flow_schema,
    (_FLOWCONTROL, "PriorityLevelConfiguration"): _priority_level,
    ("apiregistration.k8s.io", "APIService"): _api_service,
    ("apiextensions.k8s.io", "CustomResourceDefinition"): apply_crd_defaults,
}
