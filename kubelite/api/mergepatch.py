"""JSON merge patch (RFC 7386): what `application/merge-patch+json` bodies do to an object.

A patch object's keys replace the target's, recursively; a `null` value removes the key;
anything but an object replaces the target whole. Shared by the API server's PATCH handler
and the in-memory fakes that stand in for it in tests.
"""

from __future__ import annotations

import copy
from typing import Any


def merge_patch(target: Any, patch: Any) -> Any:
    """`target` with `patch` applied; neither is changed."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for k, v in patch.items():
        if v is None:
            out.pop(k, None)
        else:
            out[k] = merge_patch(out.get(k), v)
    return out
