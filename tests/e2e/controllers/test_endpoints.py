"""Endpoints and EndpointSlices through the real kubectl, following pods on simulated nodes:
a Deployment exposed by a Service, a pod turned not Ready and back, a pod deleted, and
hand-written Endpoints mirrored into a slice."""

from __future__ import annotations

import json
from typing import Any

from kubelite.util.testing import wait_for
from tests.e2e.controllers.conftest import KUBECTL_POLL, ControllersCluster


def endpoints(cc: ControllersCluster) -> tuple[list[str], list[str]]:
    """(ready IPs, not-ready IPs) of the `web` Endpoints."""
    ep = cc.json("get", "endpoints", "web")
    ready = [a["ip"] for s in ep.get("subsets") or [] for a in s.get("addresses") or []]
    not_ready = [a["ip"] for s in ep.get("subsets") or [] for a in s.get("notReadyAddresses") or []]
    return sorted(ready), sorted(not_ready)


def slice_conditions(cc: ControllersCluster, service: str = "web") -> dict[str, dict[str, Any]]:
    items = cc.json("get", "endpointslices", "-l", f"kubernetes.io/service-name={service}")["items"]
    return {ep["addresses"][0]: ep["conditions"] for s in items for ep in s.get("endpoints") or []}


def pod_ips(cc: ControllersCluster) -> dict[str, str]:
    items = cc.json("get", "pods", "-l", "app=web")["items"]
    return {
        p["metadata"]["name"]: p["status"].get("podIP", "")
        for p in items
        if not p["metadata"].get("deletionTimestamp")
    }


def three_ips(cc: ControllersCluster) -> dict[str, str] | None:
    ips = pod_ips(cc)
    return ips if len(ips) == 3 and all(ips.values()) else None


def test_endpoints_and_slices_follow_the_readiness_of_a_services_pods(cc: ControllersCluster):
    cc.controller_manager()
    cc.kubectl("create", "deployment", "web", "--image=nginx", "--replicas=3", "--port=8080")
    cc.kubectl("expose", "deployment", "web", "--port=80", "--target-port=8080")
    cc.kubectl("rollout", "status", "deployment/web", "--timeout=120s")

    ips = wait_for(lambda: three_ips(cc), "3 pods with IPs", timeout=60, interval=KUBECTL_POLL)
    wait_for(
        lambda: endpoints(cc) == (sorted(ips.values()), []),
        "3 ready addresses",
        timeout=60,
        interval=KUBECTL_POLL,
    )
    out = cc.kubectl("get", "endpoints", "web").stdout
    assert all(f"{ip}:8080" in out for ip in ips.values()) or "more..." in out
    ready = {"ready": True, "serving": True, "terminating": False}
    wait_for(
        lambda: slice_conditions(cc) == {ip: ready for ip in ips.values()}, "3 ready endpoints", timeout=60
    )
    (s,) = cc.json("get", "endpointslices", "-l", "kubernetes.io/service-name=web")["items"]
    assert s["ports"] == [{"name": "", "port": 8080, "protocol": "TCP"}] and s["addressType"] == "IPv4"
    assert s["metadata"]["ownerReferences"][0]["kind"] == "Service"

    name, ip = sorted(ips.items())[0]
    status = {"status": {"conditions": [{"type": "Ready", "status": "False"}]}}
    cc.kubectl("patch", "pod", name, "--subresource=status", "--type=strategic", "-p", json.dumps(status))
    others = sorted(v for k, v in ips.items() if k != name)
    wait_for(
        lambda: endpoints(cc) == (others, [ip]), "the pod to be not ready", timeout=60, interval=KUBECTL_POLL
    )
    not_ready = {"ready": False, "serving": False, "terminating": False}
    wait_for(lambda: slice_conditions(cc).get(ip) == not_ready, "a not-ready endpoint", timeout=60)

    cc.kubectl("delete", "pod", name, "--wait=true")
    wait_for(
        lambda: ip not in slice_conditions(cc) and ip not in endpoints(cc)[1], "the pod to leave", timeout=60
    )


def test_hand_written_endpoints_are_mirrored_into_an_endpointslice(cc: ControllersCluster):
    cc.controller_manager()
    cc.kubectl("create", "service", "clusterip", "ext", "--tcp=80:8080")
    cc.kubectl("patch", "service", "ext", "--type=json", "-p", '[{"op":"remove","path":"/spec/selector"}]')
    ep = {
        "apiVersion": "v1",
        "kind": "Endpoints",
        "metadata": {"name": "ext"},
        "subsets": [{"addresses": [{"ip": "192.0.2.10"}], "ports": [{"name": "80-8080", "port": 8080}]}],
    }
    cc.cluster.kubectl("apply", "-f", "-", input=json.dumps(ep))
    wait_for(
        lambda: slice_conditions(cc, "ext") == {"192.0.2.10": {"ready": True}},
        "the mirrored slice",
        timeout=60,
    )
    (s,) = cc.json("get", "endpointslices", "-l", "kubernetes.io/service-name=ext")["items"]
    assert (
        s["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"]
        == "endpointslicemirroring-controller.k8s.io"
    )
    assert "kubectl.kubernetes.io/last-applied-configuration" not in (s["metadata"].get("annotations") or {})
