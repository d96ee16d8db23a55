"""scheduling.k8s.io/v1: PriorityClass, and the built-in classes' values."""

from __future__ import annotations

from typing import Any

from kubelite.api.errors import forbidden, invalid, not_supported
from kubelite.api.validation.fields import Errors, as_dict, as_str, is_int

HIGHEST_USER_PRIORITY = 1_000_000_000
SYSTEM_PRIORITY_CLASSES = {"system-node-critical": 2_000_001_000, "system-cluster-critical": 2_000_000_000}


def validate_priority_class(pc: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    name = as_str(as_dict(pc.get("metadata")).get("name"))
    value = pc.get("value")
    errs: Errors = []
    if name.startswith("system-"):
        known = SYSTEM_PRIORITY_CLASSES.get(name)
        problem = (
            f"{name} is not a known system priority class"
            if known is None
            else (f"value of {name} PriorityClass must be {known}" if value != known else "")
        )
        if problem:
            errs.append(
                forbidden(
                    "metadata.name",
                    "priority class names with 'system-' prefix are reserved "
                    f"for system use only. error: {problem}",
                )
            )
    elif is_int(value) and value > HIGHEST_USER_PRIORITY:
        errs.append(
            forbidden("value", f"maximum allowed value of a user defined priority is {HIGHEST_USER_PRIORITY}")
        )
    policy = pc.get("preemptionPolicy")
    if policy is not None and policy not in ("PreemptLowerPriority", "Never"):
        errs.append(not_supported("preemptionPolicy", policy, ["PreemptLowerPriority", "Never"]))
    if old is not None:
        if value != old.get("value"):
            errs.append(forbidden("value", "may not be changed in an update."))
        if policy != old.get("preemptionPolicy"):
            errs.append(invalid("preemptionPolicy", policy, "field is immutable"))
    return errs
