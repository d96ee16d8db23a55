"""Endpoints and EndpointSlices on the real local node, through the real kubectl: a Service's
pod is listed not ready until its readiness probe passes, then ready, then not ready again
when the probe starts failing; the named target port is resolved from the pod."""

from __future__ import annotations

import json
import uuid
from typing import Any

from kubelite.server.testing import UpCluster
from kubelite.util.testing import wait_for


def _get(cluster: UpCluster, *args: str) -> Any:
    r = cluster.kubectl("get", *args, "-o", "json", check=False)
    return json.loads(r.stdout) if r.returncode == 0 else None


def _state(cluster: UpCluster, name: str) -> tuple[list[str], list[str], list[bool], list[int]]:
    """(ready IPs, not-ready IPs) of the Endpoints, then the slices' ready flags and ports."""
    ep = _get(cluster, "endpoints", name) or {}
    ready = [a["ip"] for s in ep.get("subsets") or [] for a in s.get("addresses") or []]
    not_ready = [a["ip"] for s in ep.get("subsets") or [] for a in s.get("notReadyAddresses") or []]
    slices = (_get(cluster, "endpointslices", "-l", f"kubernetes.io/service-name={name}") or {}).get(
        "items", []
    )
    flags = [e["conditions"].get("ready") for s in slices for e in s.get("endpoints") or []]
    ports = [p["port"] for s in slices for p in s.get("ports") or []]
    return ready, not_ready, flags, ports


def test_endpoints_and_slices_follow_a_pods_readiness(cluster: UpCluster, registry: str):
    name = "web-" + uuid.uuid4().hex[:6]
    wait_for(
        lambda: cluster.kubectl("get", "serviceaccount", "default", check=False).returncode == 0,
        "the default service account",
        timeout=60,
        interval=0.3,
    )
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app": name}},
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "containers": [
                {
                    "name": "main",
                    "image": f"{registry}/busybox:latest",
                    "command": ["sleep", "3600"],
                    "ports": [{"name": "http", "containerPort": 8080}],
                    "readinessProbe": {
                        "exec": {"command": ["test", "-f", "/tmp/ready"]},
                        "periodSeconds": 1,
                    },
                }
            ],
        },
    }
    service = {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name},
        "spec": {"selector": {"app": name}, "ports": [{"port": 80, "targetPort": "http"}]},
    }
    cluster.kubectl(
        "apply", "-f", "-", input=json.dumps({"kind": "List", "apiVersion": "v1", "items": [pod, service]})
    )
    try:
        ip = wait_for(
            lambda: (_get(cluster, "pod", name) or {}).get("status", {}).get("podIP"),
            "the pod's IP",
            timeout=90,
        )
        assert wait_for(
            lambda: (s := _state(cluster, name))[1] and s, "the pod listed not ready", timeout=60
        ) == (
            [],
            [ip],
            [False],
            [8080],
        )

        cluster.kubectl("exec", name, "--", "touch", "/tmp/ready")
        assert wait_for(
            lambda: (s := _state(cluster, name))[0] and s, "the pod listed ready", timeout=60
        ) == (
            [ip],
            [],
            [True],
            [8080],
        )

        cluster.kubectl("exec", name, "--", "rm", "/tmp/ready")
        wait_for(lambda: _state(cluster, name)[1] == [ip], "the pod listed not ready again", timeout=60)
    finally:
        cluster.kubectl(
            "delete", "pod,service", name, "--grace-period=0", "--force", "--wait=false", check=False
        )
