"""Service environment variables: what a container learns of the Services around it, in
the form Docker links gave (Kubernetes keeps it for compatibility).

For each Service with a cluster IP - those of the pod's namespace when
`spec.enableServiceLinks` (default true), and always the `kubernetes` Service of the
`default` namespace - named NAME (upper case, `-` as `_`):

    NAME_SERVICE_HOST=10.96.0.10            NAME_SERVICE_PORT=53 (the first port)
    NAME_SERVICE_PORT_<PORTNAME>=53         (each named port)
    NAME_PORT=udp://10.96.0.10:53           (the first port)
    NAME_PORT_53_UDP=udp://10.96.0.10:53    NAME_PORT_53_UDP_PROTO=udp
    NAME_PORT_53_UDP_PORT=53                NAME_PORT_53_UDP_ADDR=10.96.0.10   (each port)

They rank below the container's own `env` and `envFrom` (a variable of the same name there
wins) but `$(NAME_SERVICE_HOST)` in `env` values, command and args sees them. The kubelet
reads Services from an informer of its own; until its first list arrived no container is
created (CreateContainerConfigError), as Kubernetes refuses to build partial environments.
"""

from __future__ import annotations

from collections.abc import Iterable

from kubelite.api.types import Object

MASTER_SERVICES = ("kubernetes",)


def _name(text: str) -> str:
    return text.replace("-", "_").upper()


def _has_cluster_ip(service: Object) -> bool:
    ip = (service.get("spec") or {}).get("clusterIP") or ""
    return ip not in ("", "None")


def _host_port(ip: str, port: int) -> str:
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def variables_of(service: Object) -> dict[str, str]:
    """The variables one Service contributes."""
    spec = service.get("spec") or {}
    ports = spec.get("ports") or []
    prefix, ip = _name(service["metadata"]["name"]), str(spec["clusterIP"])
    out = {f"{prefix}_SERVICE_HOST": ip}
    if not ports:
        return out
    out[f"{prefix}_SERVICE_PORT"] = str(ports[0].get("port"))
    for p in ports:
        if p.get("name"):
            out[f"{prefix}_SERVICE_PORT_{_name(p['name'])}"] = str(p.get("port"))
    for i, p in enumerate(ports):
        proto, port = str(p.get("protocol") or "TCP"), int(p.get("port") or 0)
        url = f"{proto.lower()}://{_host_port(ip, port)}"
        if i == 0:
            out[f"{prefix}_PORT"] = url
        base = f"{prefix}_PORT_{port}_{proto.upper()}"
        out[base] = url
        out[f"{base}_PROTO"] = proto.lower()
        out[f"{base}_PORT"] = str(port)
        out[f"{base}_ADDR"] = ip
    return out


def service_env(services: Iterable[Object], namespace: str, enable_service_links: bool) -> dict[str, str]:
    """The service variables of a pod in `namespace`."""
    chosen: dict[str, Object] = {}
    for svc in services:
        if not _has_cluster_ip(svc):
            continue
        md = svc["metadata"]
        name, ns = md["name"], md.get("namespace", "")
        if ns == "default" and name in MASTER_SERVICES:
            chosen.setdefault(name, svc)
        elif ns == namespace and enable_service_links:
            chosen[name] = svc
    out: dict[str, str] = {}
    for name in sorted(chosen):
        out.update(variables_of(chosen[name]))
    return out
