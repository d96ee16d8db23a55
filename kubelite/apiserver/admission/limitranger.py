"""LimitRanger: a namespace's LimitRanges default and bound what its pods and claims ask for.

Mutating (pods, on create): for each LimitRange of the namespace, each container and init
container missing a limit (request) for a resource the range's `Container` item gives a
`default` (`defaultRequest`) for gets that value, and the pod is annotated with what was set:

    kubernetes.io/limit-ranger: "LimitRanger plugin set: cpu, memory request for container app;
                                 cpu, memory limit for container app"

Validating (pods on create, PersistentVolumeClaims on create and update): every item's
`min`, `max` and `maxLimitRequestRatio` hold per Container, per Pod (the sum of the
containers, or the largest init container if larger) and per PersistentVolumeClaim (its
storage request), else the write is refused with Kubernetes' sentences, e.g.
`pods "p" is forbidden: maximum cpu usage per Container is 1, but limit is 2`; several
violations are listed in brackets (one per resource: the first of its bounds it
breaks). Pod updates are not checked: containers' resources
cannot change after creation.
"""

from __future__ import annotations

from typing import Any

from kubelite.api.quantity import Quantity, QuantityError
from kubelite.apiserver.admission.chain import Plugin, forbidden
from kubelite.apiserver.admission.objects import Objects
from kubelite.apiserver.registry import AdmissionAttributes

ANNOTATION = "kubernetes.io/limit-ranger"
Resources = dict[str, Quantity]


def _q(value: Any) -> Quantity | None:
    try:
        return Quantity.parse(value)
    except QuantityError:
        return None


def _resources(values: Any) -> Resources:
    out: Resources = {}
    for name, value in (values or {}).items():
        q = _q(value)
        if q is not None:
            out[name] = q
    return out


def _containers(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [("init container", c) for c in spec.get("initContainers") or []] + [
        ("container", c) for c in spec.get("containers") or []
    ]


def apply_defaults(pod: dict[str, Any], limit_range: dict[str, Any]) -> list[str]:
    """Set the range's Container defaults on the pod's containers; what was set, as the
    annotation's phrases."""
    default: dict[str, Any] = {}
    default_request: dict[str, Any] = {}
    for item in (limit_range.get("spec") or {}).get("limits") or []:
        if item.get("type") == "Container":
            default.update(item.get("default") or {})
            default_request.update(item.get("defaultRequest") or {})
    phrases: list[str] = []
    for kind, c in _containers(pod.setdefault("spec", {})):
        res = c.setdefault("resources", {})
        set_requests = _fill(res, "requests", default_request)
        set_limits = _fill(res, "limits", default)
        if set_requests:
            phrases.append(f"{', '.join(sorted(set_requests))} request for {kind} {c.get('name', '')}")
        if set_limits:
            phrases.append(f"{', '.join(sorted(set_limits))} limit for {kind} {c.get('name', '')}")
    return phrases


def _fill(res: dict[str, Any], field: str, defaults: dict[str, Any]) -> list[str]:
    if not defaults:
        return []
    current = res.get(field) or {}
    added = [name for name in defaults if name not in current]
    if added:
        res[field] = {**current, **{name: defaults[name] for name in added}}
    return added


def _min_max(kind: str, item: dict[str, Any], requests: Resources, limits: Resources) -> list[str]:
    return (
        _minimum(kind, item, requests, limits)
        + _maximum(kind, item, requests, limits)
        + _ratio(kind, item, requests, limits)
    )


def _minimum(kind: str, item: dict[str, Any], requests: Resources, limits: Resources) -> list[str]:
    errs: list[str] = []
    for name, low in sorted(_resources(item.get("min")).items()):
        req, lim = requests.get(name), limits.get(name)
        if req is None:
            errs.append(f"minimum {name} usage per {kind} is {low}.  No request is specified")
        elif req < low:
            errs.append(f"minimum {name} usage per {kind} is {low}, but request is {req}")
        elif lim is not None and lim < low:
            errs.append(f"minimum {name} usage per {kind} is {low}, but limit is {lim}")
    return errs


def _maximum(kind: str, item: dict[str, Any], requests: Resources, limits: Resources) -> list[str]:
    errs: list[str] = []
    for name, high in sorted(_resources(item.get("max")).items()):
        req, lim = requests.get(name), limits.get(name)
        if lim is None:
            errs.append(f"maximum {name} usage per {kind} is {high}.  No limit is specified")
        elif lim > high:
            errs.append(f"maximum {name} usage per {kind} is {high}, but limit is {lim}")
        elif req is not None and req > high:
            errs.append(f"maximum {name} usage per {kind} is {high}, but request is {req}")
    return errs


def _ratio(kind: str, item: dict[str, Any], requests: Resources, limits: Resources) -> list[str]:
    errs: list[str] = []
    for name, ratio in sorted(_resources(item.get("maxLimitRequestRatio")).items()):
        req, lim = requests.get(name), limits.get(name)
        if lim is None:
            continue
        if req is None or req.is_zero():
            errs.append(
                f"{name} max limit to request ratio per {kind} is {ratio}, "
                "but no request is specified or request is 0"
            )
            continue
        actual = lim.nanos / req.nanos
        if actual > ratio.nanos / 1e9:
            errs.append(
                f"{name} max limit to request ratio per {kind} is {ratio}, but provided ratio is {actual:f}"
            )
    return errs


def _pod_totals(spec: dict[str, Any], field: str) -> Resources:
    total: Resources = {}
    for c in spec.get("containers") or []:
        for name, q in _resources((c.get("resources") or {}).get(field)).items():
            total[name] = total[name] + q if name in total else q
    for c in spec.get("initContainers") or []:
        for name, q in _resources((c.get("resources") or {}).get(field)).items():
            if name not in total or q > total[name]:
                total[name] = q
    return total


def check_pod(pod: dict[str, Any], limit_range: dict[str, Any]) -> list[str]:
    spec = pod.get("spec") or {}
    errs: list[str] = []
    for item in (limit_range.get("spec") or {}).get("limits") or []:
        if item.get("type") == "Container":
            for _, c in _containers(spec):
                res = c.get("resources") or {}
                errs += _min_max(
                    "Container", item, _resources(res.get("requests")), _resources(res.get("limits"))
                )
        elif item.get("type") == "Pod":
            errs += _min_max("Pod", item, _pod_totals(spec, "requests"), _pod_totals(spec, "limits"))
    return errs


def check_claim(pvc: dict[str, Any], limit_range: dict[str, Any]) -> list[str]:
    res = (pvc.get("spec") or {}).get("resources") or {}
    requests = _resources(res.get("requests"))
    errs: list[str] = []
    for item in (limit_range.get("spec") or {}).get("limits") or []:
        if item.get("type") != "PersistentVolumeClaim":
            continue
        for name, low in sorted(_resources(item.get("min")).items()):
            req = requests.get(name)
            if req is None:
                errs.append(
                    f"minimum {name} usage per PersistentVolumeClaim is {low}.  No request is specified"
                )
            elif req < low:
                errs.append(f"minimum {name} usage per PersistentVolumeClaim is {low}, but request is {req}")
        for name, high in sorted(_resources(item.get("max")).items()):
            req = requests.get(name)
            if req is None:
                errs.append(
                    f"maximum {name} usage per PersistentVolumeClaim is {high}.  No request is specified"
                )
            elif req > high:
                errs.append(f"maximum {name} usage per PersistentVolumeClaim is {high}, but request is {req}")
    return errs


def aggregate(messages: list[str]) -> str:
    """Kubernetes' error aggregate: one message as it is, several in brackets."""
    return messages[0] if len(messages) == 1 else "[" + ", ".join(messages) + "]"


class LimitRanger(Plugin):
    NAME = "LimitRanger"

    def __init__(self, objects: Objects) -> None:
        self.objects = objects
        self.ranges = objects.type("", "v1", "limitranges")

    def _applies(self, attrs: AdmissionAttributes) -> str:
        rt = attrs.rt
        if attrs.subresource or rt.group != "" or attrs.obj is None:
            return ""
        if rt.kind == "Pod" and attrs.operation == "CREATE":
            return "pod"
        if rt.kind == "PersistentVolumeClaim" and attrs.operation in ("CREATE", "UPDATE"):
            return "claim"
        return ""

    async def admit(self, attrs: AdmissionAttributes) -> None:
        if self._applies(attrs) != "pod":
            return
        assert attrs.obj is not None
        phrases: list[str] = []
        for lr in self.objects.list(self.ranges, attrs.namespace):
            phrases += apply_defaults(attrs.obj, lr)
        if phrases:
            md = attrs.obj.setdefault("metadata", {})
            md.setdefault("annotations", {})[ANNOTATION] = "LimitRanger plugin set: " + "; ".join(phrases)

    async def validate(self, attrs: AdmissionAttributes) -> None:
        what = self._applies(attrs)
        if not what:
            return
        assert attrs.obj is not None
        errs: list[str] = []
        for lr in self.objects.list(self.ranges, attrs.namespace):
            errs += check_pod(attrs.obj, lr) if what == "pod" else check_claim(attrs.obj, lr)
        if errs:
            raise forbidden(attrs, aggregate(errs))
