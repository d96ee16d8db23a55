"""Lifecycle hooks: postStart after a container starts, preStop before it is stopped.

A handler is `exec` (run in the container through the CRI's ExecSync), `httpGet` (a GET
to the pod's IP, or `host`), or `sleep` (wait that many seconds). A postStart that fails
gets the container killed (FailedPostStartHook) and restarted by its restart policy; a
preStop runs within the termination grace period and its failure only makes an event
(FailedPreStopHook): the container is stopped regardless.
"""

from __future__ import annotations

from typing import Any

import aiohttp

from kubelite.api.types import Object
from kubelite.util.clock import Clock


class HookError(Exception):
    pass


async def run_handler(
    handler: Object, *, runtime: Any, container_id: str, pod_ip: str, clock: Clock, timeout: float
) -> None:
    """Run one hook handler; raises HookError when it fails."""
    if "exec" in handler:
        cmd = handler["exec"].get("command") or []
        try:
            r = await runtime.exec_sync(container_id, cmd, timeout=max(1, int(timeout)))
        except Exception as err:
            raise HookError(f"exec {cmd}: {err}") from None
        if r.exit_code != 0:
            raise HookError(
                f"command {cmd!r} exited with {r.exit_code}: {r.stdout.decode(errors='replace')}"
                f"{r.stderr.decode(errors='replace')}"
            )
    elif "httpGet" in handler:
        h = handler["httpGet"]
        url = http_url(h, pod_ip)
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as s:
                async with s.get(url, headers=_headers(h)) as resp:
                    if resp.status >= 400:
                        raise HookError(f"HTTP {url}: status {resp.status}")
        except (TimeoutError, aiohttp.ClientError) as err:
            raise HookError(f"HTTP {url}: {err}") from None
    elif "sleep" in handler:
        await clock.sleep(float(handler["sleep"].get("seconds", 0)))


def http_url(h: Object, pod_ip: str) -> str:
    scheme = (h.get("scheme") or "HTTP").lower()
    host = h.get("host") or pod_ip or "127.0.0.1"
    path = h.get("path") or "/"
    return f"{scheme}://{host}:{h.get('port')}{path if path.startswith('/') else '/' + path}"


def _headers(h: Object) -> dict[str, str]:
    return {x["name"]: x["value"] for x in h.get("httpHeaders") or []}
