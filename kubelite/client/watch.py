"""Watch streams: one JSON event per line, read until the server ends the stream.

A watch response is a chunked body of `{"type": ..., "object": ...}` lines. Types are
ADDED, MODIFIED, DELETED, BOOKMARK (only a resourceVersion, and for watch-list the
`k8s.io/initial-events-end` annotation) and ERROR (a Status; 410 Expired means the
requested resourceVersion is too old and the caller must list again). ERROR events are
raised as the matching APIError, so a reflector's `except Gone:` sees them the same way
as an HTTP 410.

Lines are split by hand rather than with aiohttp's readline, which refuses lines longer
than its buffer limit: one event carries a whole object and objects can be large.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import aiohttp
import orjson

from kubelite.client.errors import error_from_status

INITIAL_EVENTS_END = "k8s.io/initial-events-end"


class EventType(StrEnum):
    ADDED = "ADDED"
    MODIFIED = "MODIFIED"
    DELETED = "DELETED"
    BOOKMARK = "BOOKMARK"
    ERROR = "ERROR"


@dataclass(slots=True, frozen=True)
class WatchEvent:
    type: EventType
    object: dict[str, Any]

    @property
    def resource_version(self) -> str:
        return str(self.object.get("metadata", {}).get("resourceVersion", ""))

    def is_initial_events_end(self) -> bool:
        annotations = self.object.get("metadata", {}).get("annotations") or {}
        return self.type is EventType.BOOKMARK and annotations.get(INITIAL_EVENTS_END) == "true"


async def read_events(resp: aiohttp.ClientResponse) -> AsyncIterator[WatchEvent]:
    """Yield the events of one watch response; raise the APIError of an ERROR event."""
    buffer = b""
    async for chunk in resp.content.iter_any():
        buffer += chunk
        if b"\n" not in chunk:
            continue
        *lines, buffer = buffer.split(b"\n")
        for line in lines:
            if line.strip():
                yield _decode(line)
    if buffer.strip():
        yield _decode(buffer)


def _decode(line: bytes) -> WatchEvent:
    raw = orjson.loads(line)
    kind = EventType(raw["type"])
    if kind is EventType.ERROR:
        raise error_from_status(raw.get("object") or {})
    return WatchEvent(kind, raw["object"])
