"""What the endpoints and EndpointSlice controllers share: which pods back a Service, and how.

services_for_pod(services, pod)   the Services of the pod's namespace whose selector
                                  matches its labels (both controllers' pod handlers)
should_be_in_endpoints(pod)       a pod with an IP, not terminal (a Succeeded pod, or a
                                  Failed one that will not restart); `include_terminating`
                                  decides for pods being deleted
find_port(pod, service_port)      the targetPort: a number as it is, a name looked up in
                                  the pod's container ports of the same protocol
                                  (restartable init containers too); None if the pod has none
should_set_hostname(pod, service) the pod's hostname is published when its subdomain is
                                  the Service's name in the same namespace
"""

from __future__ import annotations

from kubelite.api.selectors.labels import selector_from_set
from kubelite.api.types import Object


def selector_of(service: Object) -> dict[str, str] | None:
    """The Service's selector; None for a Service without one (its endpoints are the user's)."""
    selector = (service.get("spec") or {}).get("selector")
    return dict(selector) if selector else None


def services_for_pod(services: list[Object], pod: Object) -> list[Object]:
    labels = pod["metadata"].get("labels") or {}
    found = []
    for svc in services:
        selector = selector_of(svc)
        if selector is not None and selector_from_set(selector).matches(labels):
            found.append(svc)
    return found


def pod_ips(pod: Object) -> list[str]:
    status = pod.get("status") or {}
    ips = [p["ip"] for p in status.get("podIPs") or [] if p.get("ip")]
    if not ips and status.get("podIP"):
        ips = [status["podIP"]]
    return ips


def should_be_in_endpoints(pod: Object, *, include_terminating: bool) -> bool:
    status = pod.get("status") or {}
    phase, policy = status.get("phase"), (pod.get("spec") or {}).get("restartPolicy", "Always")
    if phase == "Succeeded" and policy != "Always":
        return False
    if phase == "Failed" and policy == "Never":
        return False
    if not pod_ips(pod):
        return False
    return include_terminating or not pod["metadata"].get("deletionTimestamp")


def _named_port(ports: list[Object], name: str, protocol: str) -> int | None:
    for port in ports:
        if port.get("name") == name and (port.get("protocol") or "TCP") == protocol:
            return int(port["containerPort"])
    return None


def find_port(pod: Object, service_port: Object) -> int | None:
    target = service_port.get("targetPort", service_port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    protocol = service_port.get("protocol") or "TCP"
    spec = pod.get("spec") or {}
    containers = list(spec.get("containers") or [])
    containers += [c for c in spec.get("initContainers") or [] if c.get("restartPolicy") == "Always"]
    for container in containers:
        port = _named_port(container.get("ports") or [], str(target), protocol)
        if port is not None:
            return port
    return None


def should_set_hostname(pod: Object, service: Object) -> bool:
    spec = pod.get("spec") or {}
    return bool(
        spec.get("hostname")
        and spec.get("subdomain") == service["metadata"]["name"]
        and pod["metadata"].get("namespace") == service["metadata"].get("namespace")
    )


def is_headless(service: Object) -> bool:
    return (service.get("spec") or {}).get("clusterIP") == "None"


def target_ref(pod: Object) -> Object:
    md = pod["metadata"]
    return {"kind": "Pod", "namespace": md.get("namespace", ""), "name": md["name"], "uid": md.get("uid", "")}
