"""policy/v1: PodDisruptionBudget."""

from __future__ import annotations

from typing import Any

from kubelite.api.errors import invalid, not_supported
from kubelite.api.validation.apps import not_more_than_100_percent, validate_positive_int_or_percent
from kubelite.api.validation.fields import Errors, as_dict, child
from kubelite.api.validation.meta import validate_label_selector


def validate_pdb(pdb: dict[str, Any], old: dict[str, Any] | None) -> Errors:
    spec = as_dict(pdb.get("spec"))
    errs: Errors = []
    if spec.get("minAvailable") is not None and spec.get("maxUnavailable") is not None:
        errs.append(invalid("spec", spec, "minAvailable and maxUnavailable cannot be both set"))
    for field in ("minAvailable", "maxUnavailable"):
        if spec.get(field) is not None:
            errs += validate_positive_int_or_percent(spec[field], child("spec", field))
            errs += not_more_than_100_percent(spec[field], child("spec", field))
    errs += validate_label_selector(spec.get("selector"), "spec.selector")
    policy = spec.get("unhealthyPodEvictionPolicy")
    if policy is not None and policy not in ("AlwaysAllow", "IfHealthyBudget"):
        errs.append(
            not_supported("spec.unhealthyPodEvictionPolicy", policy, ["AlwaysAllow", "IfHealthyBudget"])
        )
    return errs
