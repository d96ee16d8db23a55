"""Serving a watch: a chunked HTTP response with one JSON event per line.

    {"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR","object":{...}}\n

resourceVersion semantics (as Kubernetes):
    unset        consistent read, synthetic ADDED for every matching object, then changes
    "0"          the same from the cache as it is
    "N"          every change after N; 410 (an ERROR event) if N left the window
    sendInitialEvents=true
                 ADDED for the current state, a BOOKMARK annotated
                 `k8s.io/initial-events-end: "true"`, then changes

Events queued for a watcher are written together, so a busy resource costs one write
per batch, not per event; each event's JSON is encoded once and shared by all watchers.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import orjson
from aiohttp import web

from kubelite.api import errors
from kubelite.api.resources import ResourceType
from kubelite.apiserver import conversion
from kubelite.apiserver.registry import ListOptions, Registry
from kubelite.apiserver.request import query_bool, query_int, table_include_object, wants_table
from kubelite.apiserver.watchcache import CachedObject, Watcher

BOOKMARK_INTERVAL = 60.0
# A busy watch writes at most once per this many seconds, carrying every event queued
# meanwhile: one write per event per watcher would cost more than the events themselves
# when many watchers follow a busy resource. An idle watch writes at once.
MIN_WRITE_INTERVAL = 0.01
INITIAL_EVENTS_END = "k8s.io/initial-events-end"
# A watch asking for more than this (timeoutSeconds) ends after it; clients re-watch anyway.
MAX_WATCH_SECONDS = 7 * 24 * 3600
CLIENT_CHECK_INTERVAL = 5.0  # how soon a watch notices its client is gone


class _Encoder:
    """Turns (type, object) into one line of the stream in the negotiated format."""

    def __init__(self, request: web.Request, rt: ResourceType) -> None:
        self.rt = rt
        self.table = wants_table(request.headers.get("Accept", ""))
        self.include = table_include_object(request.query) if self.table else ""
        self.convert = conversion.needed(rt)
        self._sent_columns = False

    def line(self, etype: str, co: CachedObject) -> bytes:
        if self.table:
            return self._table_line(etype, co.obj)
        if self.convert:
            body = orjson.dumps(conversion.to_external(self.rt, co.obj))
        else:
            body = co.json()
        return b'{"type":"' + etype.encode() + b'","object":' + body + b"}\n"

    def _table_line(self, etype: str, obj: dict[str, Any]) -> bytes:
        from kubelite.apiserver.printers import table_for

        if self.convert:
            obj = conversion.to_external(self.rt, obj)
        table = table_for(self.rt, [obj], include_object=self.include)
        table["metadata"] = {"resourceVersion": obj["metadata"].get("resourceVersion", "")}
        if self._sent_columns:
            table["columnDefinitions"] = []
        self._sent_columns = True
        return orjson.dumps({"type": etype, "object": table}) + b"\n"

    def bookmark(self, revision: int, annotations: dict[str, str] | None = None) -> bytes:
        md: dict[str, Any] = {"resourceVersion": str(revision)}
        if annotations:
            md["annotations"] = annotations
        obj = {"kind": self.rt.kind, "apiVersion": self.rt.api_version, "metadata": md}
        return orjson.dumps({"type": "BOOKMARK", "object": obj}) + b"\n"


def _initial_events_requested(q: Any, opts: ListOptions, bookmarks: bool) -> bool:
    """Whether this is a watch-list (`sendInitialEvents=true`), refusing what Kubernetes refuses."""
    if q.get("sendInitialEvents") is None:
        if opts.resource_version_match:
            raise _forbidden_option(
                "resourceVersionMatch",
                "resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided",
            )
        return False
    initial = query_bool(q, "sendInitialEvents")
    if initial and (opts.resource_version_match != "NotOlderThan" or not bookmarks):
        raise _forbidden_option(
            "sendInitialEvents",
            "sendInitialEvents is forbidden for watch unless "
            "resourceVersionMatch is NotOlderThan and allowWatchBookmarks is true",
        )
    return initial


def _forbidden_option(field: str, message: str) -> errors.APIError:
    return errors.invalid_object("ListOptions", "meta.k8s.io", "", [errors.forbidden(field, message)])


async def serve_watch(
    request: web.Request, registry: Registry, rt: ResourceType, namespace: str, opts: ListOptions
) -> web.StreamResponse:
    q = request.query
    bookmarks = query_bool(q, "allowWatchBookmarks")
    initial_mode = _initial_events_requested(q, opts, bookmarks)
    timeout = query_int(q, "timeoutSeconds")
    if timeout is None or timeout <= 0:
        timeout = random.randint(1800, 3600)  # Kubernetes closes idle watches after 30-60 min
    timeout = min(timeout, MAX_WATCH_SECONDS)
    deadline = time.monotonic() + timeout

    # A watch from "" (or watch-list from "") starts with a consistent read.
    if opts.resource_version == "" or (initial_mode and opts.resource_version != "0"):
        await registry.at_least(opts.resource_version)

    encoder = _Encoder(request, rt)
    resp = web.StreamResponse(status=200)
    resp.content_type = (
        "application/json;as=Table;v=v1;g=meta.k8s.io" if encoder.table else "application/json"
    )
    resp.headers["Cache-Control"] = "no-cache, private"
    resp.enable_chunked_encoding()

    try:
        watcher, initial, start_rev = registry.watch(rt, namespace, opts, send_initial=initial_mode)
    except errors.Gone as err:
        # Kubernetes answers 200 and sends the 410 as an ERROR event.
        await resp.prepare(request)
        await resp.write(orjson.dumps({"type": "ERROR", "object": err.status()}) + b"\n")
        await resp.write_eof()
        return resp
    try:
        await resp.prepare(request)
        chunk = [encoder.line(t, co) for t, co in initial]
        if initial_mode:
            chunk.append(encoder.bookmark(start_rev, {INITIAL_EVENTS_END: "true"}))
        if chunk:
            await resp.write(b"".join(chunk))
        await _stream(request, resp, watcher, encoder, registry, deadline, bookmarks)
        await resp.write_eof()
    except ConnectionResetError:
        pass  # the client went away
    finally:
        registry.stop_watch(rt, watcher)
    return resp


async def _stream(
    request: web.Request,
    resp: web.StreamResponse,
    watcher: Watcher,
    encoder: _Encoder,
    registry: Registry,
    deadline: float,
    bookmarks: bool,
) -> None:
    """Write the watcher's events as they come (at most one write per MIN_WRITE_INTERVAL, so a
    burst goes out in one chunk), and a bookmark every BOOKMARK_INTERVAL when asked for, until
    the deadline, until the watcher is closed, or until the client is gone (looked at every
    CLIENT_CHECK_INTERVAL: an idle watch never writes, so a write cannot tell)."""
    next_bookmark = time.monotonic() + BOOKMARK_INTERVAL
    last_write = 0.0
    while (now := time.monotonic()) < deadline:
        if request.transport is None or request.transport.is_closing():
            return
        wait = min(deadline, next_bookmark) - now if bookmarks else deadline - now
        await watcher.wait(max(0.0, min(wait, CLIENT_CHECK_INTERVAL)))
        if watcher.closed and not watcher.queue:
            return
        since = time.monotonic() - last_write
        if since < MIN_WRITE_INTERVAL and not watcher.closed:
            await asyncio.sleep(MIN_WRITE_INTERVAL - since)
        if batch := watcher.drain():
            await resp.write(b"".join(encoder.line(t, co) for t, co in batch))
            last_write = time.monotonic()
        if bookmarks and time.monotonic() >= next_bookmark:
            await resp.write(encoder.bookmark(registry.cache.revision))
            next_bookmark = time.monotonic() + BOOKMARK_INTERVAL
        if watcher.closed:
            return
