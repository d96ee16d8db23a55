"""coordination.k8s.io/v1: Lease."""

from __future__ import annotations

from typing import Any

from kubelite.api.errors import forbidden, invalid
from kubelite.api.validation.fields import Errors, as_dict, is_int


def validate_lease(lease: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    spec = as_dict(lease.get("spec"))
    errs: Errors = []
    duration = spec.get("leaseDurationSeconds")
    if is_int(duration) and duration <= 0:
        errs.append(invalid("spec.leaseDurationSeconds", duration, "must be greater than 0"))
    transitions = spec.get("leaseTransitions")
    if is_int(transitions) and transitions < 0:
        errs.append(invalid("spec.leaseTransitions", transitions, "must be greater than or equal to 0"))
    if spec.get("preferredHolder") and not spec.get("strategy"):
        errs.append(forbidden("spec.preferredHolder", "may only be specified if `strategy` is defined"))
    return errs
