"""Translating a pod's spec into CRI requests: the sandbox config and container configs.

Labels on sandboxes and containers are Kubernetes' own (`io.kubernetes.pod.uid`, ...), so
the kubelet finds a pod's sandboxes and containers again after a restart by asking the
runtime, and tools like crictl show familiar names. A container's `attempt` is its restart
count; its log goes to `<pod log dir>/<namespace>_<name>_<uid>/<container>/<attempt>.log`.
"""

from __future__ import annotations

from pathlib import Path

from kubelite.api.pods import qos_class
from kubelite.api.quantity import parse_quantity
from kubelite.api.types import Object
from kubelite.cri import api_pb2 as pb
from kubelite.kubelet.dns import PodDNS
from kubelite.kubelet.podfiles import termination_annotations
from kubelite.kubelet.security import container_security_context, sandbox_security_context
from kubelite.kubelet.sysctls import pod_sysctls
from kubelite.kubelet.volumes.expansion import expand

POD_NAME = "io.kubernetes.pod.name"
POD_NAMESPACE = "io.kubernetes.pod.namespace"
POD_UID = "io.kubernetes.pod.uid"
CONTAINER_NAME = "io.kubernetes.container.name"
RESTART_COUNT = "io.kubernetes.container.restartCount"
CONTAINER_HASH = "io.kubernetes.container.hash"
INIT_CONTAINER = "kubelite.io/init-container"
DEFAULT_SECCOMP_ROOT = Path("/var/lib/kubelet/seccomp")  # <root-dir>/seccomp

_PROTOCOLS = {"TCP": pb.TCP, "UDP": pb.UDP, "SCTP": pb.SCTP}


def pod_labels(pod: Object) -> dict[str, str]:
    md = pod["metadata"]
    return {
        **(md.get("labels") or {}),
        POD_NAME: md["name"],
        POD_NAMESPACE: md.get("namespace", "default"),
        POD_UID: md.get("uid", ""),
    }


def namespace_options(pod: Object) -> pb.NamespaceOption:
    """Which Linux namespaces the pod's containers share, as Kubernetes asks for them: network
    and IPC are the pod's (or the node's for hostNetwork/hostIPC); PID is each container's own
    unless the pod asks to share one (shareProcessNamespace) or uses the node's (hostPID).
    The CRI's zero value for every mode is POD, so PID must be set explicitly."""
    spec = pod.get("spec") or {}
    if spec.get("hostPID"):
        pid = pb.NODE
    elif spec.get("shareProcessNamespace"):
        pid = pb.POD
    else:
        pid = pb.CONTAINER
    return pb.NamespaceOption(
        network=pb.NODE if spec.get("hostNetwork") else pb.POD,
        ipc=pb.NODE if spec.get("hostIPC") else pb.POD,
        pid=pid,
    )


def log_directory(pod: Object, root: Path) -> str:
    md = pod["metadata"]
    return str(root / f"{md.get('namespace', 'default')}_{md['name']}_{md.get('uid', '')}")


def sandbox_config(
    pod: Object,
    attempt: int,
    *,
    log_root: Path,
    cgroup_parent: str = "",
    seccomp_root: Path = DEFAULT_SECCOMP_ROOT,
    dns: PodDNS | None = None,
) -> pb.PodSandboxConfig:
    """`dns`: the pod's resolver configuration (kubelet/dns.py); None takes the pod's
    dnsConfig alone (kubelets built without a DNSConfigurer: fakes in tests)."""
    md, spec = pod["metadata"], pod.get("spec") or {}
    cfg = pb.PodSandboxConfig(
        metadata=pb.PodSandboxMetadata(
            name=md["name"], namespace=md.get("namespace", "default"), uid=md.get("uid", ""), attempt=attempt
        ),
        # A hostNetwork pod keeps the node's hostname (its UTS namespace is the node's), as
        # Kubernetes leaves the sandbox's hostname empty for it; runc refuses to set one.
        hostname="" if spec.get("hostNetwork") else (spec.get("hostname") or md["name"][:63]),
        log_directory=log_directory(pod, log_root),
        labels=pod_labels(pod),
        annotations={k: v for k, v in (md.get("annotations") or {}).items() if isinstance(v, str)},
    )
    for c in spec.get("containers") or []:
        for p in c.get("ports") or []:
            if p.get("hostPort"):
                cfg.port_mappings.append(
                    pb.PortMapping(
                        protocol=_PROTOCOLS.get(p.get("protocol", "TCP"), pb.TCP),
                        container_port=p["containerPort"],
                        host_port=p["hostPort"],
                        host_ip=p.get("hostIP", ""),
                    )
                )
    sandbox_security_context(pod, seccomp_root=seccomp_root, into=cfg.linux.security_context)
    cfg.linux.security_context.namespace_options.CopyFrom(namespace_options(pod))
    cfg.linux.sysctls.update(pod_sysctls(pod))
    if cgroup_parent:
        cfg.linux.cgroup_parent = cgroup_parent
    if dns is not None:
        cfg.dns_config.CopyFrom(pb.DNSConfig(servers=dns.servers, searches=dns.searches, options=dns.options))
        return cfg
    own = spec.get("dnsConfig") or {}
    if own:
        cfg.dns_config.CopyFrom(
            pb.DNSConfig(
                servers=own.get("nameservers") or [],
                searches=own.get("searches") or [],
                options=[
                    o["name"] + (f":{o['value']}" if o.get("value") else "") for o in own.get("options") or []
                ],
            )
        )
    return cfg


def _field_value(pod: Object, path: str, pod_ip: str, host_ip: str) -> str:
    md, spec = pod["metadata"], pod.get("spec") or {}
    values = {
        "metadata.name": md["name"],
        "metadata.namespace": md.get("namespace", "default"),
        "metadata.uid": md.get("uid", ""),
        "spec.nodeName": spec.get("nodeName", ""),
        "spec.serviceAccountName": spec.get("serviceAccountName", ""),
        "status.podIP": pod_ip,
        "status.hostIP": host_ip,
    }
    if path.startswith("metadata.labels['"):
        return str((md.get("labels") or {}).get(path[17:-2], ""))
    if path.startswith("metadata.annotations['"):
        return str((md.get("annotations") or {}).get(path[22:-2], ""))
    return str(values.get(path, ""))


def _envs(pod: Object, c: Object, pod_ip: str, host_ip: str) -> list[pb.KeyValue]:
    out: dict[str, str] = {}
    for e in c.get("env") or []:
        src = e.get("valueFrom") or {}
        if "fieldRef" in src:
            out[e["name"]] = _field_value(pod, src["fieldRef"].get("fieldPath", ""), pod_ip, host_ip)
        elif "value" in e or not src:
            out[e["name"]] = str(e.get("value", ""))
        # configMapKeyRef / secretKeyRef / resourceFieldRef: envvars.py, when the kubelet has sources
    return [pb.KeyValue(key=k, value=v.encode()) for k, v in out.items()]


GUARANTEED_OOM_SCORE_ADJ, BEST_EFFORT_OOM_SCORE_ADJ = -997, 1000


def oom_score_adj(pod: Object, c: Object, memory_capacity: int) -> int:
    """How readily the kernel's OOM killer picks the container, as Kubernetes sets it:
    Guaranteed pods last, BestEffort first, Burstable by its share of the node's memory."""
    qos = qos_class(pod)
    if qos == "Guaranteed":
        return GUARANTEED_OOM_SCORE_ADJ
    if qos == "BestEffort" or memory_capacity <= 0:
        return BEST_EFFORT_OOM_SCORE_ADJ
    r = c.get("resources") or {}
    raw = {**(r.get("limits") or {}), **(r.get("requests") or {})}.get("memory")
    request = parse_quantity(raw).value() if raw is not None else 0
    score = 1000 - (1000 * request) // memory_capacity
    return min(max(score, 1000 + GUARANTEED_OOM_SCORE_ADJ), BEST_EFFORT_OOM_SCORE_ADJ - 1)


def container_resources(c: Object) -> pb.LinuxContainerResources:
    r = c.get("resources") or {}
    limits, requests = r.get("limits") or {}, {**(r.get("limits") or {}), **(r.get("requests") or {})}
    res = pb.LinuxContainerResources()
    if "cpu" in requests:  # shares: 1024 per cpu, at least 2 (Kubernetes' MilliCPUToShares)
        res.cpu_shares = max(2, parse_quantity(requests["cpu"]).milli_value() * 1024 // 1000)
    else:
        res.cpu_shares = 2
    if "cpu" in limits:
        res.cpu_period = 100_000
        res.cpu_quota = max(1000, parse_quantity(limits["cpu"]).milli_value() * 100_000 // 1000)
    if "memory" in limits:
        res.memory_limit_in_bytes = parse_quantity(limits["memory"]).value()
    return res


def container_config(
    pod: Object,
    c: Object,
    attempt: int,
    *,
    image_ref: str,
    pod_ip: str = "",
    host_ip: str = "",
    init: bool = False,
    spec_hash: str = "",
    mounts: list[pb.Mount] | None = None,
    env: dict[str, str] | None = None,
    seccomp_root: Path = DEFAULT_SECCOMP_ROOT,
    memory_capacity: int = 0,
) -> pb.ContainerConfig:
    """`env`: the environment already resolved (envvars.py); the command and args are
    expanded with it. Without it only `value` and fieldRef variables are set."""
    command, args = c.get("command") or [], c.get("args") or []
    if env is not None:
        command = [expand(x, env) for x in command]
        args = [expand(x, env) for x in args]
    envs = (
        _envs(pod, c, pod_ip, host_ip)
        if env is None
        else [pb.KeyValue(key=k, value=v.encode()) for k, v in env.items()]
    )
    cfg = pb.ContainerConfig(
        metadata=pb.ContainerMetadata(name=c["name"], attempt=attempt),
        image=pb.ImageSpec(image=image_ref or c.get("image", "")),
        command=command,
        args=args,
        working_dir=c.get("workingDir", ""),
        envs=envs,
        labels={
            POD_NAME: pod["metadata"]["name"],
            POD_NAMESPACE: pod["metadata"].get("namespace", "default"),
            POD_UID: pod["metadata"].get("uid", ""),
            CONTAINER_NAME: c["name"],
        },
        annotations={
            RESTART_COUNT: str(attempt),
            CONTAINER_HASH: spec_hash,
            **termination_annotations(c),
            **({INIT_CONTAINER: "true"} if init else {}),
        },
        log_path=f"{c['name']}/{attempt}.log",
        stdin=bool(c.get("stdin")),
        stdin_once=bool(c.get("stdinOnce")),
        tty=bool(c.get("tty")),
        mounts=mounts or [],
    )
    cfg.linux.resources.CopyFrom(container_resources(c))
    cfg.linux.resources.oom_score_adj = oom_score_adj(pod, c, memory_capacity)
    cfg.linux.security_context.CopyFrom(container_security_context(pod, c, seccomp_root=seccomp_root))
    cfg.linux.security_context.namespace_options.CopyFrom(namespace_options(pod))
    return cfg
