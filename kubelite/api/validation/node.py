"""node.k8s.io/v1: RuntimeClass, the named container runtime configurations pods select with
`spec.runtimeClassName`."""

from __future__ import annotations

from typing import Any

from kubelite.api import names
from kubelite.api.errors import duplicate, invalid
from kubelite.api.validation.container import validate_resource_requirements
from kubelite.api.validation.fields import Errors, as_dict, as_list, as_str, immutable, index
from kubelite.api.validation.meta import validate_labels
from kubelite.api.validation.pod import validate_tolerations


def validate_runtime_class(rc: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    handler = as_str(rc.get("handler"))
    if old is not None:
        return immutable(handler, old.get("handler"), "handler")
    errs = [invalid("handler", handler, msg) for msg in names.name_is_dns_label(handler)]
    overhead = rc.get("overhead")
    if overhead is not None:
        errs += validate_resource_requirements({"limits": as_dict(overhead).get("podFixed")}, "overhead")
    scheduling = rc.get("scheduling")
    if scheduling is not None:
        scheduling = as_dict(scheduling)
        if scheduling.get("nodeSelector") is not None:
            errs += validate_labels(scheduling["nodeSelector"], "scheduling.nodeSelector")
        errs += _tolerations(scheduling.get("tolerations"))
    return errs


def _tolerations(tolerations: Any) -> Errors:
    # Kubernetes names the list twice in these paths (scheduling.tolerations.tolerations[0]).
    errs = validate_tolerations(tolerations, "scheduling.tolerations.tolerations")
    seen: set[tuple[str, str, str, str]] = set()
    for i, t in enumerate(as_list(tolerations)):
        t = as_dict(t)
        key = (
            as_str(t.get("key")),
            as_str(t.get("operator")),
            as_str(t.get("value")),
            as_str(t.get("effect")),
        )
        if key in seen:
            errs.append(duplicate(index("scheduling.tolerations", i), t))
        seen.add(key)
    return errs
