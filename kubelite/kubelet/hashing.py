"""A short, stable hash of a JSON-shaped value: how the kubelet notices that a container's
spec or a static pod's manifest changed."""

from __future__ import annotations

import hashlib
from typing import Any

import orjson


def content_hash(obj: Any) -> str:
    return hashlib.sha256(orjson.dumps(obj, option=orjson.OPT_SORT_KEYS)).hexdigest()[:16]
