"""Core (v1) resources other than pods and events as table rows.

Where the API server would have defaulted an unset field on read (a Service's type, a
Secret's type, a volume's mode) the printer shows that default, so a row reads the same
as Kubernetes' whether or not the stored object spelled the default out.
"""

from __future__ import annotations

from typing import Any

from kubelite.apiserver.printers.columns import (
    AGE,
    CORE,
    EMPTY,
    NAME,
    Cells,
    Column,
    Printer,
    age,
    doc,
    format_labels,
    load_balancer_addresses,
    name_of,
)

_STORAGE_CLASS_ANNOTATION = "volume.beta.kubernetes.io/storage-class"
_ROLE_PREFIX = "node-role.kubernetes.io/"
_ROLE_LABEL = "kubernetes.io/role"


def _spec(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("spec") or EMPTY


def _status(obj: dict[str, Any]) -> dict[str, Any]:
    return obj.get("status") or EMPTY


# ---- nodes and namespaces ----------------------------------------------------------------------


def node_status(node: dict[str, Any]) -> str:
    """`Ready`, `NotReady` or `Unknown`, then `,SchedulingDisabled` when cordoned."""
    ready = None
    for c in _status(node).get("conditions") or ():
        if c.get("type") == "Ready":
            ready = c.get("status")
    text = "Unknown" if ready is None else "Ready" if ready == "True" else "NotReady"
    return text + ",SchedulingDisabled" if _spec(node).get("unschedulable") else text


def node_roles(node: dict[str, Any]) -> str:
    roles = set()
    for key, value in ((node.get("metadata") or EMPTY).get("labels") or EMPTY).items():
        if key.startswith(_ROLE_PREFIX) and len(key) > len(_ROLE_PREFIX):
            roles.add(key[len(_ROLE_PREFIX) :])
        elif key == _ROLE_LABEL and value:
            roles.add(value)
    return ",".join(sorted(roles)) or "<none>"


def _node_address(node: dict[str, Any], kind: str) -> str:
    for address in _status(node).get("addresses") or ():
        if address.get("type") == kind:
            return address.get("address") or ""
    return "<none>"


def node_row(obj: dict[str, Any], now: float) -> Cells:
    info = _status(obj).get("nodeInfo") or EMPTY
    return [
        name_of(obj),
        node_status(obj),
        node_roles(obj),
        age(obj, now),
        info.get("kubeletVersion") or "",
        _node_address(obj, "InternalIP"),
        _node_address(obj, "ExternalIP"),
        info.get("osImage") or "<unknown>",
        info.get("kernelVersion") or "<unknown>",
        info.get("containerRuntimeVersion") or "<unknown>",
    ]


def namespace_row(obj: dict[str, Any], now: float) -> Cells:
    return [name_of(obj), _status(obj).get("phase") or "Active", age(obj, now)]


# ---- services and endpoints --------------------------------------------------------------------


def service_external_ip(svc: dict[str, Any]) -> str:
    spec = _spec(svc)
    kind = spec.get("type") or "ClusterIP"
    external = spec.get("externalIPs") or []
    if kind in ("ClusterIP", "NodePort"):
        return ",".join(external) or "<none>"
    if kind == "LoadBalancer":
        addresses = load_balancer_addresses(svc.get("status"))
        if external:
            return ",".join(addresses + external)
        return ",".join(addresses) or "<pending>"
    if kind == "ExternalName":
        return spec.get("externalName") or ""
    return "<unknown>"


def service_ports(ports: list[dict[str, Any]]) -> str:
    """`80/TCP,443:30443/TCP`: port, node port when allocated, protocol."""
    pieces = []
    for p in ports:
        protocol = p.get("protocol") or "TCP"
        node_port = p.get("nodePort") or 0
        pieces.append(
            f"{p.get('port', 0)}:{node_port}/{protocol}"
            if node_port > 0
            else f"{p.get('port', 0)}/{protocol}"
        )
    return ",".join(pieces) or "<none>"


def service_row(obj: dict[str, Any], now: float) -> Cells:
    spec = _spec(obj)
    cluster_ips = spec.get("clusterIPs")
    cluster_ip = cluster_ips[0] if cluster_ips else spec.get("clusterIP") or "<none>"
    return [
        name_of(obj),
        spec.get("type") or "ClusterIP",
        cluster_ip,
        service_external_ip(obj),
        service_ports(spec.get("ports") or []),
        age(obj, now),
        format_labels(spec.get("selector")),
    ]


def _host_port(ip: str, port: Any) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def format_endpoints(endpoints: dict[str, Any]) -> str:
    """The first three `ip:port` pairs, and how many more there are."""
    subsets = endpoints.get("subsets")
    if not subsets:
        return "<none>"
    shown: list[str] = []
    total = 0
    for subset in subsets:
        ips = [a.get("ip") or "" for a in subset.get("addresses") or ()]
        ports = subset.get("ports") or ()
        if not ports:
            # Headless services may have no ports.
            total += len(ips)
            shown.extend(ips[: max(0, 3 - len(shown))])
            continue
        for port in ports:
            total += len(ips)
            shown.extend(_host_port(ip, port.get("port", 0)) for ip in ips[: max(0, 3 - len(shown))])
    text = ",".join(shown)
    return f"{text} + {total - 3} more..." if total > 3 else text


def endpoints_row(obj: dict[str, Any], now: float) -> Cells:
    return [name_of(obj), format_endpoints(obj), age(obj, now)]


# ---- configuration -------------------------------------------------------------------------------


def config_map_row(obj: dict[str, Any], now: float) -> Cells:
    return [name_of(obj), len(obj.get("data") or ()) + len(obj.get("binaryData") or ()), age(obj, now)]


def secret_row(obj: dict[str, Any], now: float) -> Cells:
    return [name_of(obj), obj.get("type") or "Opaque", len(obj.get("data") or ()), age(obj, now)]


def service_account_row(obj: dict[str, Any], now: float) -> Cells:
    return [name_of(obj), len(obj.get("secrets") or ()), age(obj, now)]


def component_status_row(obj: dict[str, Any], now: float) -> Cells:
    for c in obj.get("conditions") or ():
        if c.get("type") == "Healthy":
            healthy = "Healthy" if c.get("status") == "True" else "Unhealthy"
            return [name_of(obj), healthy, c.get("message") or "", c.get("error") or ""]
    return [name_of(obj), "Unknown", "", ""]


def resource_quota_row(obj: dict[str, Any], now: float) -> Cells:
    status = _status(obj)
    hard, used = status.get("hard") or EMPTY, status.get("used") or EMPTY
    requests: list[str] = []
    limits: list[str] = []
    for resource in sorted(hard):
        # `limits.cpu` and friends go in the Limit column, everything else in Request.
        target = limits if resource.split(".", 1)[0] == "limits" and "." in resource else requests
        target.append(f"{resource}: {used.get(resource, '0')}/{hard[resource]}")
    return [name_of(obj), ", ".join(requests), ", ".join(limits), age(obj, now)]


# ---- volumes -------------------------------------------------------------------------------------

_ACCESS_MODES = (
    ("ReadWriteOnce", "RWO"),
    ("ReadOnlyMany", "ROX"),
    ("ReadWriteMany", "RWX"),
    ("ReadWriteOncePod", "RWOP"),
)


def access_modes(modes: list[str] | None) -> str:
    present = set(modes or ())
    return ",".join(short for mode, short in _ACCESS_MODES if mode in present)


def _storage_class(obj: dict[str, Any]) -> str:
    annotations = (obj.get("metadata") or EMPTY).get("annotations") or EMPTY
    if _STORAGE_CLASS_ANNOTATION in annotations:
        return str(annotations[_STORAGE_CLASS_ANNOTATION])
    return _spec(obj).get("storageClassName") or ""


def _phase(obj: dict[str, Any]) -> str:
    if (obj.get("metadata") or EMPTY).get("deletionTimestamp"):
        return "Terminating"
    return _status(obj).get("phase") or "Pending"


def persistent_volume_row(obj: dict[str, Any], now: float) -> Cells:
    spec = _spec(obj)
    claim = spec.get("claimRef")
    return [
        name_of(obj),
        (spec.get("capacity") or EMPTY).get("storage", "0"),
        access_modes(spec.get("accessModes")),
        spec.get("persistentVolumeReclaimPolicy") or "Retain",
        _phase(obj),
        f"{claim.get('namespace') or ''}/{claim.get('name') or ''}" if claim else "",
        _storage_class(obj),
        spec.get("volumeAttributesClassName") or "<unset>",
        _status(obj).get("reason") or "",
        age(obj, now),
        spec.get("volumeMode") or "Filesystem",
    ]


def persistent_volume_claim_row(obj: dict[str, Any], now: float) -> Cells:
    spec, status = _spec(obj), _status(obj)
    volume = spec.get("volumeName") or ""
    capacity = (status.get("capacity") or EMPTY).get("storage", "0") if volume else ""
    modes = access_modes(status.get("accessModes")) if volume else ""
    return [
        name_of(obj),
        _phase(obj),
        volume,
        capacity,
        modes,
        _storage_class(obj),
        spec.get("volumeAttributesClassName") or "<unset>",
        age(obj, now),
        spec.get("volumeMode") or "Filesystem",
    ]


_PV_SPEC, _PV_STATUS = CORE + "PersistentVolumeSpec", CORE + "PersistentVolumeStatus"
_PVC_SPEC, _PVC_STATUS = CORE + "PersistentVolumeClaimSpec", CORE + "PersistentVolumeClaimStatus"
_SERVICE_SPEC, _NODE_INFO = CORE + "ServiceSpec", CORE + "NodeSystemInfo"

PRINTERS = {
    ("", "nodes"): Printer(
        (
            NAME,
            Column("Status", description="The status of the node"),
            Column("Roles", description="The roles of the node"),
            AGE,
            Column("Version", description=doc(_NODE_INFO, "kubeletVersion")),
            Column("Internal-IP", priority=1, description=doc(CORE + "NodeStatus", "addresses")),
            Column("External-IP", priority=1, description=doc(CORE + "NodeStatus", "addresses")),
            Column("OS-Image", priority=1, description=doc(_NODE_INFO, "osImage")),
            Column("Kernel-Version", priority=1, description=doc(_NODE_INFO, "kernelVersion")),
            Column("Container-Runtime", priority=1, description=doc(_NODE_INFO, "containerRuntimeVersion")),
        ),
        node_row,
    ),
    ("", "namespaces"): Printer(
        (NAME, Column("Status", description="The status of the namespace"), AGE), namespace_row
    ),
    ("", "services"): Printer(
        (
            NAME,
            Column("Type", description=doc(_SERVICE_SPEC, "type")),
            Column("Cluster-IP", description=doc(_SERVICE_SPEC, "clusterIP")),
            Column("External-IP", description=doc(_SERVICE_SPEC, "externalIPs")),
            Column("Port(s)", description=doc(_SERVICE_SPEC, "ports")),
            AGE,
            Column("Selector", priority=1, description=doc(_SERVICE_SPEC, "selector")),
        ),
        service_row,
    ),
    ("", "endpoints"): Printer(
        (NAME, Column("Endpoints", description=doc(CORE + "Endpoints", "subsets")), AGE), endpoints_row
    ),
    ("", "configmaps"): Printer(
        (NAME, Column("Data", description=doc(CORE + "ConfigMap", "data")), AGE), config_map_row
    ),
    ("", "secrets"): Printer(
        (
            NAME,
            Column("Type", description=doc(CORE + "Secret", "type")),
            Column("Data", description=doc(CORE + "Secret", "data")),
            AGE,
        ),
        secret_row,
    ),
    ("", "serviceaccounts"): Printer(
        (NAME, Column("Secrets", description=doc(CORE + "ServiceAccount", "secrets")), AGE),
        service_account_row,
    ),
    ("", "componentstatuses"): Printer(
        (
            NAME,
            Column("Status", description="Status of the component conditions"),
            Column("Message", description="Message of the component conditions"),
            Column("Error", description="Error of the component conditions"),
        ),
        component_status_row,
    ),
    ("", "resourcequotas"): Printer(
        (
            NAME,
            Column(
                "Request",
                description="Request represents a minimum amount of cpu/memory that a container may consume.",
            ),
            Column(
                "Limit",
                description="Limits control the maximum amount of cpu/memory that a container "
                "may use independent of contention on the node.",
            ),
            AGE,
        ),
        resource_quota_row,
    ),
    ("", "persistentvolumes"): Printer(
        (
            NAME,
            Column("Capacity", description=doc(_PV_SPEC, "capacity")),
            Column("Access Modes", description=doc(_PV_SPEC, "accessModes")),
            Column("Reclaim Policy", description=doc(_PV_SPEC, "persistentVolumeReclaimPolicy")),
            Column("Status", description=doc(_PV_STATUS, "phase")),
            Column("Claim", description=doc(_PV_SPEC, "claimRef")),
            Column("StorageClass", description="StorageClass of the pv"),
            Column("VolumeAttributesClass", description="VolumeAttributesClass of the pv"),
            Column("Reason", description=doc(_PV_STATUS, "reason")),
            AGE,
            Column("VolumeMode", priority=1, description=doc(_PV_SPEC, "volumeMode")),
        ),
        persistent_volume_row,
    ),
    ("", "persistentvolumeclaims"): Printer(
        (
            NAME,
            Column("Status", description=doc(_PVC_STATUS, "phase")),
            Column("Volume", description=doc(_PVC_SPEC, "volumeName")),
            Column("Capacity", description=doc(_PVC_STATUS, "capacity")),
            Column("Access Modes", description=doc(_PVC_STATUS, "accessModes")),
            Column("StorageClass", description="StorageClass of the pvc"),
            Column("VolumeAttributesClass", description="VolumeAttributesClass of the pvc"),
            AGE,
            Column("VolumeMode", priority=1, description=doc(_PVC_SPEC, "volumeMode")),
        ),
        persistent_volume_claim_row,
    ),
}
