"""Endpoints, EndpointSlices and their mirroring on a fake cluster, following pods' readiness."""

from __future__ import annotations

from typing import Any

from kubelite.controllers.endpoints import EndpointsController
from kubelite.controllers.endpointslice import EndpointSliceController
from kubelite.controllers.endpointslicemirroring import EndpointSliceMirroringController
from kubelite.controllers.testing import ControllerHarness

Obj = dict[str, Any]
WEB_PORT = {"name": "http", "port": 80, "protocol": "TCP", "targetPort": "web"}


class Cluster:
    def __init__(self) -> None:
        self.h = ControllerHarness()
        self.pods = self.h.client.resource("pods")
        self.services = self.h.client.resource("services")

    def running(self):  # type: ignore[no-untyped-def]
        ctx = self.h.ctx
        return self.h.running(
            EndpointsController(ctx), EndpointSliceController(ctx), EndpointSliceMirroringController(ctx)
        )

    async def service(self, name: str = "web", **spec: Any) -> Obj:
        body = {"selector": {"app": "web"}, "ports": [WEB_PORT], **spec}
        return await self.services.create({"metadata": {"name": name, "labels": {"team": "a"}}, "spec": body})

    async def pod(
        self, name: str, ip: str | None, *, ready: bool = True, port: int = 8080, node: str = "n1"
    ) -> None:
        container = {"name": "c", "image": "x", "ports": [{"name": "web", "containerPort": port}]}
        spec = {"nodeName": node, "containers": [container]}
        await self.pods.create({"metadata": {"name": name, "labels": {"app": "web"}}, "spec": spec})
        await self.set_ready(name, ready, ip)

    async def set_ready(self, name: str, ready: bool, ip: str | None = None) -> None:
        status: Obj = {
            "phase": "Running",
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"}],
        }
        if ip:
            status |= {"podIP": ip, "podIPs": [{"ip": ip}]}
        await self.pods.patch(name, {"status": status}, subresource="status")

    def endpoints(self, name: str = "web") -> Obj | None:
        return self.h.cluster.get_object("endpoints", name, "default")

    def slices(self, service: str = "web") -> list[Obj]:
        return [
            s
            for s in self.h.cluster.objects("endpointslices", "default", group="discovery.k8s.io")
            if s["metadata"]["labels"].get("kubernetes.io/service-name") == service
        ]

    def slice_endpoints(self, service: str = "web") -> dict[str, Obj]:
        return {ep["targetRef"]["name"]: ep for s in self.slices(service) for ep in s["endpoints"]}


def addresses(subset: Obj, field: str = "addresses") -> list[str]:
    return [a["ip"] for a in subset.get(field, [])]


async def test_endpoints_list_ready_pods_as_addresses_and_others_as_not_ready_with_ports_per_pod():
    c = Cluster()
    async with c.running():
        await c.service()
        await c.pod("a", "10.1.0.1")
        await c.pod("b", "10.1.0.2", ready=False, port=9090)
        await c.pod("c", None)  # no IP yet
        await c.h.settle()
        ep = c.endpoints()
        assert ep is not None
        assert ep["metadata"]["labels"] == {"team": "a", "endpointslice.kubernetes.io/skip-mirror": "true"}
        by_port = {s["ports"][0]["port"]: s for s in ep["subsets"]}
        assert addresses(by_port[8080]) == ["10.1.0.1"] and "notReadyAddresses" not in by_port[8080]
        assert addresses(by_port[9090], "notReadyAddresses") == ["10.1.0.2"]
        assert by_port[8080]["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]
        assert by_port[8080]["addresses"][0]["targetRef"]["name"] == "a"

        await c.set_ready("b", True)
        await c.pods.delete("a")  # bound to a node: terminating, not gone
        await c.h.settle()
        (subset,) = c.endpoints()["subsets"]  # type: ignore[index]
        assert addresses(subset) == ["10.1.0.2"] and subset["ports"][0]["port"] == 9090


async def test_publish_not_ready_addresses_lists_every_pod_as_ready():
    c = Cluster()
    async with c.running():
        await c.service(publishNotReadyAddresses=True)
        await c.pod("a", "10.1.0.1", ready=False)
        await c.h.settle()
        (subset,) = c.endpoints()["subsets"]  # type: ignore[index]
        assert addresses(subset) == ["10.1.0.1"]
        (ep,) = c.slice_endpoints().values()
        assert ep["conditions"] == {"ready": True, "serving": True, "terminating": False}


async def test_endpoints_go_with_their_service_and_leftovers_without_one_are_deleted():
    c = Cluster()
    endpoints = c.h.client.resource("endpoints")
    await endpoints.create({"metadata": {"name": "orphan"}, "subsets": []})
    async with c.running():
        await c.service()
        await c.pod("a", "10.1.0.1")
        await c.h.settle()
        assert c.endpoints("orphan") is None and c.endpoints() is not None
        await endpoints.create({"metadata": {"name": "later"}, "subsets": []})  # the user's own
        await c.h.settle()
        assert c.endpoints("later") is not None
        await c.services.delete("web")
        await c.h.settle()
        assert c.endpoints() is None


async def test_slices_carry_ready_serving_and_terminating_and_the_services_metadata():
    c = Cluster()
    async with c.running():
        svc = await c.service()
        await c.pod("a", "10.1.0.1")
        await c.pod("b", "10.1.0.2", ready=False)
        await c.pod("t", "10.1.0.3")
        await c.pods.delete("t")
        await c.h.settle()
        eps = c.slice_endpoints()
        assert eps["a"]["conditions"] == {"ready": True, "serving": True, "terminating": False}
        assert eps["b"]["conditions"] == {"ready": False, "serving": False, "terminating": False}
        assert eps["t"]["conditions"] == {"ready": False, "serving": True, "terminating": True}
        assert eps["a"]["addresses"] == ["10.1.0.1"] and eps["a"]["nodeName"] == "n1"
        (s,) = c.slices()
        assert s["metadata"]["name"].startswith("web-") and s["addressType"] == "IPv4"
        assert s["metadata"]["labels"] == {
            "team": "a",
            "kubernetes.io/service-name": "web",
            "endpointslice.kubernetes.io/managed-by": "endpointslice-controller.k8s.io",
        }
        assert s["metadata"]["ownerReferences"][0]["uid"] == svc["metadata"]["uid"]
        assert s["ports"] == [{"name": "http", "port": 8080, "protocol": "TCP"}]


async def test_a_service_of_250_pods_has_slices_of_at_most_100_and_one_placeholder_when_empty():
    c = Cluster()
    await c.service()
    for i in range(250):
        await c.pod(f"p{i}", f"10.2.{i // 200}.{i % 200 + 1}")
    async with c.running():
        await c.h.settle()
        assert sorted(len(s["endpoints"]) for s in c.slices()) == [50, 100, 100]
        assert len(c.slice_endpoints()) == 250
        await c.services.patch("web", {"spec": {"selector": {"app": "none"}}})
        await c.h.settle()
        (placeholder,) = c.slices()
        assert placeholder["endpoints"] == [] and "ports" not in placeholder


async def test_pods_serving_a_named_port_on_different_numbers_get_a_slice_per_port_set():
    c = Cluster()
    async with c.running():
        await c.service()
        await c.pod("a", "10.1.0.1", port=8080)
        await c.pod("b", "10.1.0.2", port=9090)
        await c.h.settle()
        ports = sorted(s["ports"][0]["port"] for s in c.slices())
        assert ports == [8080, 9090]


async def test_hand_written_endpoints_of_a_service_without_selector_are_mirrored():
    c = Cluster()
    endpoints = c.h.client.resource("endpoints")
    async with c.running():
        await c.services.create({"metadata": {"name": "ext"}, "spec": {"ports": [{"port": 80}]}})
        subsets = [
            {
                "addresses": [{"ip": "192.0.2.1"}],
                "notReadyAddresses": [{"ip": "192.0.2.2"}],
                "ports": [{"name": "http", "port": 8080, "protocol": "TCP"}],
            }
        ]
        await endpoints.create({"metadata": {"name": "ext", "labels": {"x": "y"}}, "subsets": subsets})
        await c.h.settle()
        (s,) = c.slices("ext")
        assert s["metadata"]["labels"] == {
            "x": "y",
            "kubernetes.io/service-name": "ext",
            "endpointslice.kubernetes.io/managed-by": "endpointslicemirroring-controller.k8s.io",
        }
        assert s["metadata"]["ownerReferences"][0]["kind"] == "Endpoints"
        assert {e["addresses"][0]: e["conditions"]["ready"] for e in s["endpoints"]} == {
            "192.0.2.1": True,
            "192.0.2.2": False,
        }
        ep = c.endpoints("ext")
        assert ep is not None
        ep["metadata"]["labels"]["endpointslice.kubernetes.io/skip-mirror"] = "true"
        await endpoints.update(ep)
        await c.h.settle()
        assert c.slices("ext") == []
