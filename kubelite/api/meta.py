"""Object metadata: accessors and the values the API server stamps on objects.

API objects are plain JSON-shaped dicts. These helpers read and write the metadata
fields every kind shares, so the rest of the code does not repeat `.get("metadata", {})`
chains.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from typing import Any

# Kubernetes' alphabet for generated names: no vowels (no words), no ambiguous characters.
_NAME_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
GENERATED_SUFFIX_LENGTH = 5
MAX_GENERATE_NAME_PREFIX = 63 - GENERATED_SUFFIX_LENGTH


def metadata(obj: dict[str, Any]) -> dict[str, Any]:
    md = obj.get("metadata")
    if not isinstance(md, dict):
        md = {}
        obj["metadata"] = md
    return md


def name_of(obj: dict[str, Any]) -> str:
    return (obj.get("metadata") or {}).get("name") or ""


def namespace_of(obj: dict[str, Any]) -> str:
    return (obj.get("metadata") or {}).get("namespace") or ""


def labels_of(obj: dict[str, Any]) -> dict[str, str]:
    return (obj.get("metadata") or {}).get("labels") or {}


def resource_version_of(obj: dict[str, Any]) -> str:
    return (obj.get("metadata") or {}).get("resourceVersion") or ""


def uid_of(obj: dict[str, Any]) -> str:
    return (obj.get("metadata") or {}).get("uid") or ""


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def format_time(t: dt.datetime) -> str:
    """RFC 3339 to the second, UTC: `2024-01-01T00:00:00Z` (metav1.Time)."""
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_micro_time(t: dt.datetime) -> str:
    """RFC 3339 with microseconds (metav1.MicroTime)."""
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def format_wall(seconds: float) -> str:
    """A wall-clock reading (`Clock.wall()`, seconds since the epoch) as metav1.Time."""
    return format_time(dt.datetime.fromtimestamp(seconds, dt.UTC))


def format_micro_wall(seconds: float) -> str:
    """A wall-clock reading as metav1.MicroTime."""
    return format_micro_time(dt.datetime.fromtimestamp(seconds, dt.UTC))


def parse_time(value: str) -> dt.datetime:
    """Parse metav1.Time / MicroTime (trailing Z or an offset)."""
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    return dt.datetime.fromisoformat(value)


def now_rfc3339() -> str:
    return format_time(now())


def new_uid() -> str:
    return str(uuid.uuid4())


def generated_name(prefix: str) -> str:
    if len(prefix) > MAX_GENERATE_NAME_PREFIX:
        prefix = prefix[:MAX_GENERATE_NAME_PREFIX]
    return prefix + "".join(secrets.choice(_NAME_ALPHABET) for _ in range(GENERATED_SUFFIX_LENGTH))


def parse_resource_version(value: str | None) -> int:
    """0 for empty; raise ValueError for anything that is not a non-negative integer."""
    if not value:
        return 0
    rv = int(value)
    if rv < 0:
        raise ValueError(value)
    return rv
