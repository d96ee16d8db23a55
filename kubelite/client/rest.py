"""The REST transport: one connection pool, authentication, rate limits, Status errors.

`Client` owns two aiohttp sessions: requests share a pool of at most
`config.max_connections` keep-alive connections (a request waits for a free one rather
than opening more), and each watch holds a connection of its own, unbounded, so long-lived
watches can never starve requests. It adds the bearer token or presents the client certificate, waits on
the client-side token bucket (QPS/burst) before each request, and turns error replies into
the APIError tree (`kubelite.client.errors`). Typed access per resource is
`client.resource("deployments", group="apps")` (`kubelite.client.resource`).

    async with Client(load_kubeconfig(path)) as client:
        pods = client.resource("pods")
        await pods.create({"metadata": {"name": "p"}, "spec": ...}, namespace="default")

A 429 with Retry-After is retried a few times after the wait the server asked for, as
client-go does; other errors go to the caller. Each request (watches included) can be
reported to a `RequestMetrics` (client-go's rest_client_requests_total and
rest_client_request_duration_seconds); clients made by `derive` report to their parent's.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from typing import Any, Protocol

import aiohttp
import orjson

from kubelite.api.errors import TooManyRequests
from kubelite.client.config import ClientConfig
from kubelite.client.errors import error_from_response, retry_after
from kubelite.client.flowcontrol import TokenBucket, Unlimited
from kubelite.client.resource import APIResource, ResourceClient, find_resource
from kubelite.client.watch import WatchEvent, read_events
from kubelite.util.clock import Clock, RealClock

Params = Mapping[str, str | int | bool | None]
_MAX_429_RETRIES = 3


def _query(params: Params | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in (params or {}).items():
        if value is None or value == "":
            continue
        out[key] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    return out


class RequestMetrics(Protocol):
    def observe(self, method: str, code: int, seconds: float) -> None:
        """A request ended with HTTP `code` (0: no reply) after `seconds`. Must not block."""
        ...


class Client:
    """An async Kubernetes API client; use as `async with` or call `close()`."""

    def __init__(self, config: ClientConfig, *, clock: Clock | None = None) -> None:
        self.config = config
        self.clock = clock or RealClock()
        self.limiter: TokenBucket | Unlimited = (
            TokenBucket(config.qps, config.burst, clock=self.clock) if config.qps > 0 else Unlimited()
        )
        self._session: aiohttp.ClientSession | None = None
        self._watch_session: aiohttp.ClientSession | None = None
        self._parent: Client | None = None
        self.metrics: RequestMetrics | None = None

    @property
    def namespace(self) -> str:
        return self.config.namespace

    def derive(self, *, user_agent: str, qps: float, burst: int) -> Client:
        """A client for one part of a component that shares this client's connections but
        has its own rate limit and user agent: kube-controller-manager gives each
        controller such a client, so one busy controller cannot starve the others."""
        child = Client(replace(self.config, user_agent=user_agent, qps=qps, burst=burst), clock=self.clock)
        child._parent = self
        child.metrics = self.metrics
        return child

    def session(self) -> aiohttp.ClientSession:
        """The session for requests: a bounded pool of keep-alive connections."""
        if self._parent is not None:
            return self._parent.session()
        if self._session is None or self._session.closed:
            self._session = self._new_session(self.config.max_connections)
        return self._session

    def _watches(self) -> aiohttp.ClientSession:
        """The session for watches: one connection per watch, as many as there are watches."""
        if self._parent is not None:
            return self._parent._watches()
        if self._watch_session is None or self._watch_session.closed:
            self._watch_session = self._new_session(0)
        return self._watch_session

    def _new_session(self, limit: int) -> aiohttp.ClientSession:
        connector = aiohttp.TCPConnector(ssl=self.config.ssl_context(), limit=limit, keepalive_timeout=60)
        headers = {
            "User-Agent": self.config.user_agent,
            "Accept": "application/json",
            **self.config.extra_headers,
        }
        return aiohttp.ClientSession(
            self.config.server,
            connector=connector,
            headers=headers,
            json_serialize=lambda o: orjson.dumps(o).decode(),
        )

    async def close(self) -> None:
        if self._parent is not None:
            return  # the connections are the parent's to close
        for session in (self._session, self._watch_session):
            if session is not None:
                await session.close()
        self._session = self._watch_session = None

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    def resource(self, plural: str, *, group: str = "", version: str | None = None) -> ResourceClient:
        """Typed access to one resource of the built-in catalogue (`pods`, `leases`, ...)."""
        return ResourceClient(self, find_resource(plural, group=group, version=version))

    def for_resource(self, resource: APIResource) -> ResourceClient:
        """Access to a resource described by hand (a custom resource, say)."""
        return ResourceClient(self, resource)

    def _headers(self, content_type: str | None) -> dict[str, str]:
        headers = {}
        if self._parent is not None:
            headers["User-Agent"] = self.config.user_agent  # the shared session carries the parent's
        token = self.config.bearer_token()
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if content_type:
            headers["Content-Type"] = content_type
        return headers

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Params | None = None,
        body: Any = None,
        content_type: str = "application/json",
    ) -> Any:
        """One request; returns the decoded JSON reply or raises its APIError."""
        data = None if body is None else (body if isinstance(body, bytes) else orjson.dumps(body))
        for attempt in range(_MAX_429_RETRIES + 1):
            await self.limiter.wait()
            code, raw, headers = await self._send(method, path, params, data, content_type)
            if code < 400:
                return orjson.loads(raw) if raw else None
            err = error_from_response(code, raw, headers)
            wait = retry_after(err)
            if not isinstance(err, TooManyRequests) or wait is None or attempt == _MAX_429_RETRIES:
                raise err
            await self.clock.sleep(wait)
        raise AssertionError("unreachable")

    async def _send(
        self, method: str, path: str, params: Params | None, data: bytes | None, content_type: str
    ) -> tuple[int, bytes, dict[str, str]]:
        # The timeout bounds the exchange on the socket, not the wait for a pooled connection:
        # a component with thousands of requests queued behind the pool (a scheduler binding a
        # burst) must not see them time out before they are sent.
        t = self.config.timeout
        timeout = aiohttp.ClientTimeout(total=None, connect=None, sock_connect=t, sock_read=t)
        headers = self._headers(content_type if data is not None else None)
        started = self.clock.now()
        code = 0
        try:
            for attempt in (1, 2):
                try:
                    async with self.session().request(
                        method, path, params=_query(params), data=data, timeout=timeout, headers=headers
                    ) as resp:
                        code = resp.status
                        return resp.status, await resp.read(), dict(resp.headers)
                except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
                    # A pooled keep-alive connection the server closed (it restarted, or idled
                    # it out) fails on first use; like Go's transport, try once on a new one.
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")
        finally:
            if self.metrics is not None:
                self.metrics.observe(method, code, self.clock.now() - started)

    @contextlib.asynccontextmanager
    async def watch_stream(
        self, path: str, params: Params | None = None
    ) -> AsyncIterator[AsyncIterator[WatchEvent]]:
        """Open a watch; yields the event iterator and closes the stream on exit."""
        await self.limiter.wait()
        query = _query({**(params or {}), "watch": True})
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=self.config.timeout)
        async with self._watches().get(
            path, params=query, timeout=timeout, headers=self._headers(None)
        ) as resp:
            if self.metrics is not None:
                self.metrics.observe("GET", resp.status, 0.0)
            if resp.status >= 400:
                raise error_from_response(resp.status, await resp.read(), dict(resp.headers))
            yield read_events(resp)
