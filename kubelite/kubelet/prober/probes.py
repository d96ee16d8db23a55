"""Running one probe once, by its handler kind.

    exec       ExecSync in the container; exit code 0 is success
    httpGet    GET from the node to the pod's IP (or `host`); 200–399 is success
    tcpSocket  a TCP connection opens
    grpc       grpc.health.v1.Health/Check answers SERVING

A probe that takes longer than its timeoutSeconds fails.
"""

from __future__ import annotations

import asyncio
import enum
from typing import Any

import aiohttp
import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from kubelite.api.types import Object
from kubelite.kubelet.lifecycle import http_url


class Result(enum.Enum):
    SUCCESS = "success"
    FAILURE = "failure"
    UNKNOWN = "unknown"


def resolve_port(port: Any, container: Object) -> int:
    """A probe's port: a number, or the name of one of the container's ports."""
    if isinstance(port, int) or (isinstance(port, str) and port.isdigit()):
        return int(port)
    for p in container.get("ports") or []:
        if p.get("name") == port:
            return int(p["containerPort"])
    raise ValueError(f"port {port!r} is not a number nor a named port of the container")


async def run_probe(
    probe: Object, *, runtime: Any, container: Object, container_id: str, pod_ip: str
) -> tuple[Result, str]:
    """(result, message) of one probe attempt."""
    timeout = float(probe.get("timeoutSeconds") or 1)
    try:
        if "exec" in probe:
            cmd = probe["exec"].get("command") or []
            r = await runtime.exec_sync(container_id, cmd, timeout=max(1, int(timeout)))
            if r.exit_code == 0:
                return Result.SUCCESS, ""
            return Result.FAILURE, (r.stdout + r.stderr).decode(errors="replace").strip()
        if "httpGet" in probe:
            h = {**probe["httpGet"], "port": resolve_port(probe["httpGet"].get("port"), container)}
            url = http_url(h, pod_ip)
            headers = {x["name"]: x["value"] for x in h.get("httpHeaders") or []}
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as s:
                async with s.get(url, headers=headers, allow_redirects=False) as resp:
                    if 200 <= resp.status < 400:
                        return Result.SUCCESS, ""
                    return Result.FAILURE, f"HTTP probe failed with statuscode: {resp.status}"
        if "tcpSocket" in probe:
            t = probe["tcpSocket"]
            host, port = t.get("host") or pod_ip, resolve_port(t.get("port"), container)
            _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout)
            writer.close()
            return Result.SUCCESS, ""
        if "grpc" in probe:
            g = probe["grpc"]
            async with grpc.aio.insecure_channel(f"{pod_ip}:{int(g['port'])}") as ch:
                resp = await health_pb2_grpc.HealthStub(ch).Check(
                    health_pb2.HealthCheckRequest(service=g.get("service") or ""), timeout=timeout
                )
            if resp.status == health_pb2.HealthCheckResponse.SERVING:
                return Result.SUCCESS, ""
            status = health_pb2.HealthCheckResponse.ServingStatus.Name(resp.status)
            return Result.FAILURE, f'service unhealthy (responded with "{status}")'
    except TimeoutError:
        return Result.FAILURE, f"timeout: probe did not answer within {timeout:g}s"
    except (OSError, aiohttp.ClientError, grpc.RpcError, ValueError) as err:
        return Result.FAILURE, str(err) or type(err).__name__
    except Exception as err:  # a runtime error (container gone, exec refused)
        return Result.FAILURE, str(err)
    return Result.UNKNOWN, "the probe has no handler"
