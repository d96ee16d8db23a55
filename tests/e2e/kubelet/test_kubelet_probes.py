"""The kubelet's probes against a real API server and a real runtime, as a user sees them in
the pod's status: httpGet readiness (named port, headers, 404 after 200), tcpSocket
liveness, grpc readiness against a grpc.health.v1 server run by the test, startup probes
holding liveness and readiness back, and the timing fields (initialDelaySeconds,
timeoutSeconds, successThreshold, failureThreshold).

The tests change what a probe sees by running commands in the container through the
kubelet's own CRI connection (the way `kubectl exec` would), never by sleeping in the
container's script, so that each verdict comes from the probe and not from a timer race.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc

from kubelite.util.net import free_port
from kubelite.util.testing import wait_for_async

PERIOD = {"periodSeconds": 1}


def _pod(name, node, containers, **spec):
    return {
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"nodeName": node, "terminationGracePeriodSeconds": 1, "containers": containers, **spec},
    }


def _c(name, image, script, **extra):
    return {
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["sh", "-c", script],
        **extra,
    }


def _exec_probe(script, **fields):
    return {"exec": {"command": ["sh", "-c", script]}, **PERIOD, **fields}


class Observer:
    """Reads one pod's container statuses through the API, as a user would."""

    def __init__(self, api, kubelet, pod: str) -> None:
        self.pods = api.resource("pods")
        self.kubelet = kubelet
        self.pod = pod

    async def get(self) -> dict:
        return await self.pods.get(self.pod, namespace="default")

    async def container(self, name: str) -> dict | None:
        p = await self.get()
        return {c["name"]: c for c in p.get("status", {}).get("containerStatuses") or []}.get(name)

    async def until(self, name: str, pred, *, timeout: float = 30, what: str = "") -> dict:
        async def check():
            c = await self.container(name)
            return c if c is not None and pred(c) else None

        return await wait_for_async(check, timeout=timeout, what=what or f"{self.pod}/{name}")

    async def holds(self, name: str, pred, seconds: float, what: str) -> None:
        """`pred` is true of every status read during `seconds`."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            c = await self.container(name)
            assert c is not None and pred(c), f"{what}: {c!r}"
            await asyncio.sleep(0.2)

    async def exec(self, name: str, *cmd: str) -> None:
        """Run a command in the container's current instance through the CRI."""
        c = await self.container(name)
        cid = c["containerID"].split("://", 1)[1]
        r = await self.kubelet.runtime.exec_sync(cid, list(cmd), timeout=5)
        assert r.exit_code == 0, (cmd, r.stdout, r.stderr)

    async def events(self) -> list[dict]:
        listed = await self.pods.client.resource("events").list(
            namespace="default", field_selector=f"involvedObject.name={self.pod}"
        )
        return listed["items"]

    async def delete(self) -> None:
        await self.pods.delete(self.pod, namespace="default", grace_period_seconds=0)


async def _unhealthy_event(pod: Observer, message: str) -> None:
    """A Warning Unhealthy event on the pod whose message starts with `message`."""

    async def recorded():
        return [
            e
            for e in await pod.events()
            if e["reason"] == "Unhealthy" and e["type"] == "Warning" and e["message"].startswith(message)
        ]

    await wait_for_async(recorded, timeout=10, what=f"an Unhealthy event {message!r}")


def running(c) -> bool:
    return "running" in c["state"]


def running_not_ready(c) -> bool:
    return running(c) and not c["ready"]


def running_ready(c) -> bool:
    return running(c) and c["ready"]


async def _create(api, kubelet, name, containers, **spec) -> Observer:
    """A pod on the test's node, named after it (every test, on every runtime, has its own)."""
    name = f"{name}-{kubelet.node_name.rsplit('-', 1)[-1]}"
    await api.resource("pods").create(_pod(name, kubelet.node_name, containers, **spec), namespace="default")
    return Observer(api, kubelet, name)


# A CGI script for busybox httpd: 200 only when the request carries `X-Probe: yes`.
_CGI_HEADER = (
    r'#!/bin/sh\nif [ "$HTTP_X_PROBE" = yes ]; then printf "Status: 200 OK\\r\\n\\r\\nok\\n"; '
    r'else printf "Status: 403 Forbidden\\r\\n\\r\\nno\\n"; fi\n'
)
# A CGI script that answers after 3 s.
_CGI_SLOW = r'#!/bin/sh\nsleep 3; printf "Status: 200 OK\\r\\n\\r\\nslow\\n"\n'
_HTTPD = (
    "mkdir -p /www/cgi-bin; "
    f"printf '{_CGI_HEADER}' > /www/cgi-bin/header; printf '{_CGI_SLOW}' > /www/cgi-bin/slow; "
    "chmod +x /www/cgi-bin/*; exec httpd -f -p 8080 -h /www"
)


def _http_probe(path, headers=(), **fields):
    get = {"path": path, "port": "http", **({"httpHeaders": list(headers)} if headers else {})}
    return {"httpGet": get, **PERIOD, "failureThreshold": 1, **fields}


async def test_http_readiness_follows_the_path_its_headers_and_its_timeout(api, kubelet, registry):
    image = f"{registry}/busybox:latest"
    port = {"ports": [{"name": "http", "containerPort": 8080}]}
    pod = await _create(
        api,
        kubelet,
        "http-ready",
        [
            _c("web", image, _HTTPD, readinessProbe=_http_probe("/healthz"), **port),
            _c(
                "headers",
                image,
                _HTTPD.replace("8080", "8081"),
                ports=[{"name": "http", "containerPort": 8081}],
                readinessProbe=_http_probe("/cgi-bin/header", headers=[{"name": "X-Probe", "value": "yes"}]),
            ),
            _c(
                "slow",
                image,
                _HTTPD.replace("8080", "8082"),
                ports=[{"name": "http", "containerPort": 8082}],
                readinessProbe=_http_probe("/cgi-bin/slow", timeoutSeconds=1),
            ),
            _c(
                "patient",
                image,
                _HTTPD.replace("8080", "8083"),
                ports=[{"name": "http", "containerPort": 8083}],
                readinessProbe=_http_probe("/cgi-bin/slow", timeoutSeconds=6),
            ),
        ],
    )
    # The server answers 404 for /healthz: running, not ready.
    await pod.until("web", running)
    await pod.holds("web", running_not_ready, 2.5, "ready while /healthz is 404")
    await pod.exec("web", "touch", "/www/healthz")
    await pod.until("web", running_ready, timeout=10, what="ready once /healthz answers 200")
    # The header is sent (the CGI answers 403 without it), to the named port.
    await pod.until("headers", running_ready, timeout=10, what="ready with the probe's header")
    # A 3 s answer fails a probe with a 1 s timeout and passes one with 6 s.
    await pod.until("patient", running_ready, timeout=15, what="ready with a 6 s timeout")
    c = await pod.container("slow")
    assert running_not_ready(c), c
    await pod.exec("web", "rm", "/www/healthz")
    await pod.until("web", running_not_ready, timeout=10, what="not ready once /healthz is 404 again")
    c = await pod.container("web")
    assert c["restartCount"] == 0 and c["started"] is True
    conditions = {x["type"]: x["status"] for x in (await pod.get())["status"]["conditions"]}
    assert conditions["Ready"] == conditions["ContainersReady"] == "False"
    await _unhealthy_event(pod, "Readiness probe failed: HTTP probe failed with statuscode: 404")
    await pod.delete()


async def test_tcp_liveness_restarts_the_container_when_its_port_closes(api, kubelet, registry):
    image = f"{registry}/busybox:latest"
    pod = await _create(
        api,
        kubelet,
        "tcp-live",
        [
            _c(
                "listener",
                image,
                "nc -ll -p 9000 -e true & exec sleep 300",
                livenessProbe={"tcpSocket": {"port": 9000}, **PERIOD, "failureThreshold": 2},
                readinessProbe={"tcpSocket": {"port": 9000}, **PERIOD},
            )
        ],
    )
    first = await pod.until("listener", running_ready, what="ready while port 9000 listens")
    await pod.holds("listener", lambda c: c["restartCount"] == 0, 2.5, "restarted while the port listens")
    await pod.exec("listener", "killall", "nc")
    c = await pod.until(
        "listener", lambda c: c["restartCount"] >= 1, timeout=15, what="a restart once port 9000 closed"
    )
    assert c["lastState"]["terminated"]["exitCode"] in (137, 143)
    assert c["lastState"]["terminated"]["startedAt"] == first["state"]["running"]["startedAt"]
    # The new instance listens again and stays.
    c = await pod.until("listener", running_ready, timeout=15, what="the new instance ready")
    await pod.holds("listener", lambda c: c["restartCount"] == 1, 2.5, "restarted again")
    reasons = [(e["reason"], e["message"]) for e in await pod.events()]
    assert any(r == "Killing" and "liveness" in m for r, m in reasons), reasons
    await _unhealthy_event(pod, "Liveness probe failed: ")
    await pod.delete()


class HealthServer:
    """A real grpc.health.v1 server on every address of this host, run by the test."""

    def __init__(self) -> None:
        self.port = free_port("0.0.0.0")
        self.server = grpc.aio.server()
        self.servicer = health.aio.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(self.servicer, self.server)
        self.server.add_insecure_port(f"0.0.0.0:{self.port}")

    async def set(self, service: str, serving: bool) -> None:
        r = health_pb2.HealthCheckResponse
        await self.servicer.set(service, r.SERVING if serving else r.NOT_SERVING)

    async def __aenter__(self) -> HealthServer:
        await self.server.start()
        return self

    async def __aexit__(self, *exc) -> None:
        await self.server.stop(0)


async def test_grpc_readiness_follows_the_health_service(api, kubelet, registry):
    image = f"{registry}/busybox:latest"
    async with HealthServer() as hs:
        await hs.set("", False)
        await hs.set("kubelite.test.Echo", False)
        probe = {"grpc": {"port": hs.port}, **PERIOD, "failureThreshold": 1}
        named = {"grpc": {"port": hs.port, "service": "kubelite.test.Echo"}, **PERIOD, "failureThreshold": 1}
        pod = await _create(
            api,
            kubelet,
            "grpc-ready",
            [
                _c("overall", image, "exec sleep 300", readinessProbe=probe),
                _c("named", image, "exec sleep 300", readinessProbe=named),
            ],
            hostNetwork=True,
        )
        await pod.until("overall", running)
        await pod.holds("overall", running_not_ready, 2.5, "ready while NOT_SERVING")
        await hs.set("", True)
        await pod.until("overall", running_ready, timeout=10, what="ready once SERVING")
        assert running_not_ready(await pod.container("named"))  # its own service is still NOT_SERVING
        await hs.set("kubelite.test.Echo", True)
        await pod.until("named", running_ready, timeout=10, what="the named service ready once SERVING")
        await hs.set("", False)
        await pod.until("overall", running_not_ready, timeout=10, what="not ready once NOT_SERVING again")
        await hs.set("", True)
        await pod.until("overall", running_ready, timeout=10, what="ready again")
        p = await pod.get()
        assert p["status"]["podIP"] == p["status"]["hostIP"]
    # The server is gone: the probe cannot connect, and that is a failure too.
    await pod.until("overall", running_not_ready, timeout=10, what="not ready with no server")
    await pod.delete()


async def test_startup_probe_holds_back_liveness_and_readiness_until_it_succeeds(api, kubelet, registry):
    image = f"{registry}/busybox:latest"
    pod = await _create(
        api,
        kubelet,
        "slow-start",
        [
            _c(
                "app",
                image,
                "exec sleep 300",
                startupProbe=_exec_probe("test -f /tmp/started", failureThreshold=30),
                # Either would act at once if it ran before the startup probe passed.
                livenessProbe=_exec_probe("test -f /tmp/started", failureThreshold=1),
                readinessProbe=_exec_probe("true"),
            )
        ],
    )
    await pod.until("app", running)
    not_started = lambda c: running(c) and c["started"] is False and not c["ready"] and c["restartCount"] == 0  # noqa
    await pod.holds("app", not_started, 3.5, "started, ready or restarted before the startup probe passed")
    await pod.exec("app", "touch", "/tmp/started")
    c = await pod.until(
        "app",
        lambda c: c["started"] and c["ready"],
        timeout=10,
        what="started, then ready from the readiness probe",
    )
    assert c["restartCount"] == 0
    await pod.delete()


async def test_startup_probe_that_never_passes_restarts_the_container(api, kubelet, registry):
    image = f"{registry}/busybox:latest"
    pod = await _create(
        api,
        kubelet,
        "never-starts",
        [
            _c(
                "app",
                image,
                "exec sleep 300",
                startupProbe=_exec_probe("false", failureThreshold=3),
                readinessProbe=_exec_probe("true"),
            )
        ],
    )
    first = await pod.until("app", running)
    began = time.monotonic()
    c = await pod.until(
        "app",
        lambda c: c["restartCount"] >= 1,
        timeout=20,
        what="a restart after failureThreshold * periodSeconds",
    )
    # Not before 3 failures, a period apart (the first one right at start).
    assert time.monotonic() - began >= 1.5
    assert c["started"] is False and c["ready"] is False
    assert c["lastState"]["terminated"]["startedAt"] == first["state"]["running"]["startedAt"]
    reasons = [(e["reason"], e["message"]) for e in await pod.events()]
    assert any(r == "Killing" and "startup" in m for r, m in reasons), reasons
    await _unhealthy_event(pod, "Startup probe failed")
    await pod.delete()


async def test_initial_delay_and_exec_timeout(api, kubelet, registry):
    image = f"{registry}/busybox:latest"
    pod = await _create(
        api,
        kubelet,
        "timing",
        [
            _c("delayed", image, "exec sleep 300", readinessProbe=_exec_probe("true", initialDelaySeconds=4)),
            _c("too-slow", image, "exec sleep 300", readinessProbe=_exec_probe("sleep 3", timeoutSeconds=1)),
            _c("in-time", image, "exec sleep 300", readinessProbe=_exec_probe("sleep 3", timeoutSeconds=6)),
        ],
    )
    c = await pod.until("delayed", running)
    # startedAt is whole seconds: holding until 3 s after it covers 2 to 3 s of the 4 s delay.
    hold = _seconds(c["state"]["running"]["startedAt"]) + 3 - time.time()
    await pod.holds("delayed", running_not_ready, hold, "ready before initialDelaySeconds")
    await pod.until("delayed", running_ready, timeout=10, what="ready after the initial delay")
    await pod.until("in-time", running_ready, timeout=15, what="a 3 s probe passing with a 6 s timeout")
    await pod.holds("too-slow", running_not_ready, 2, "a 3 s probe passing with a 1 s timeout")
    await pod.delete()


def _seconds(stamp: str) -> float:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


async def test_success_and_failure_thresholds(api, kubelet, registry):
    image = f"{registry}/busybox:latest"
    pod = await _create(
        api,
        kubelet,
        "thresholds",
        [
            _c(
                "app",
                image,
                "exec sleep 300",
                readinessProbe=_exec_probe("test -f /tmp/ok", successThreshold=3, failureThreshold=3),
            )
        ],
    )
    await pod.until("app", running)
    await pod.exec("app", "touch", "/tmp/ok")
    touched = time.monotonic()
    await pod.until("app", running_ready, timeout=10, what="ready after 3 successes")
    # Three successes a period apart: at least 2 s after the file appeared.
    assert time.monotonic() - touched >= 1.9
    await pod.exec("app", "rm", "/tmp/ok")
    removed = time.monotonic()
    await pod.until("app", running_not_ready, timeout=10, what="not ready after 3 failures")
    assert time.monotonic() - removed >= 1.9
    assert (await pod.container("app"))["restartCount"] == 0
    await pod.delete()
