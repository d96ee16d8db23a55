"""IntOrString values: a count (`3`) or a percentage (`"25%"`) of some total.

Fields like a Deployment's maxSurge and maxUnavailable or a PodDisruptionBudget's
minAvailable take either; `scaled_value` turns one into a count against a total, rounding
up or down as the caller's rule says (Kubernetes' GetScaledValueFromIntOrPercent).
"""

from __future__ import annotations

import math
from typing import Any


class IntOrPercentError(ValueError):
    """Neither an integer nor a percentage string."""


def scaled_value(value: Any, total: int, round_up: bool) -> int:
    """`3` → 3; `"25%"` of 10 → 3 rounded up, 2 rounded down."""
    if isinstance(value, bool) or value is None:
        raise IntOrPercentError(f"invalid value for IntOrString: {value!r}")
    if isinstance(value, int):
        return value
    text = str(value)
    if not text.endswith("%"):
        raise IntOrPercentError(
            f"invalid value for IntOrString: invalid type: string is not a percentage: {text}"
        )
    try:
        percent = int(text[:-1])
    except ValueError:
        raise IntOrPercentError(f"invalid value {text!r}: must be an integer percentage") from None
    exact = percent * total / 100
    return math.ceil(exact) if round_up else math.floor(exact)
