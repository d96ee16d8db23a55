"""Files the kubelet writes for a pod and bind-mounts into its containers: the managed
/etc/hosts and each container instance's termination-message file.

    <root-dir>/pods/<uid>/etc-hosts                      → /etc/hosts (every container)
    <root-dir>/pods/<uid>/containers/<name>/<random>     → terminationMessagePath

/etc/hosts, as Kubernetes' kubelet writes it, once the pod has an IP, unless a container
mounts something at /etc/hosts itself:

    # Kubernetes-managed hosts file.                 a hostNetwork pod gets instead
    127.0.0.1	localhost                            "# Kubernetes-managed hosts file
    ::1	localhost ip6-localhost ip6-loopback        (host network)." and the node's own
    fe00::0	ip6-localnet ... (four ip6 lines)       /etc/hosts
    <pod IP>	<hostname>[.<subdomain>.<ns>.svc.<cluster domain>	<hostname>]
    (blank line, "# Entries added by HostAliases.", then "<ip>	<name>	<name>..." per alias)

The termination message is what the container wrote to its file (at most 4096 bytes),
read once the container has exited; with FallbackToLogsOnError and a failure exit, an
empty file gives way to the tail of its log (80 lines, at most 2048 bytes). The kubelet
finds the file again from the container status' mounts, so a restarted kubelet does too.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from kubelite.api.types import Object
from kubelite.cri import api_pb2 as pb
from kubelite.kubelet.logs import parse_line, tail_offset

ETC_HOSTS = "/etc/hosts"
MANAGED_HEADER = "# Kubernetes-managed hosts file.\n"
HOST_NETWORK_HEADER = "# Kubernetes-managed hosts file (host network).\n"
MAX_MESSAGE = 4096
MAX_LOG_LINES = 80
MAX_LOG_BYTES = 2048
TERMINATION_PATH = "io.kubernetes.container.terminationMessagePath"
TERMINATION_POLICY = "io.kubernetes.container.terminationMessagePolicy"
_IP6_LINES = (
    "::1\tlocalhost ip6-localhost ip6-loopback\n"
    "fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n"
)


def hostname_and_domain(pod: Object, cluster_domain: str) -> tuple[str, str]:
    md, spec = pod["metadata"], pod.get("spec") or {}
    hostname = (spec.get("hostname") or md["name"])[:63].rstrip("-.")
    sub = spec.get("subdomain")
    domain = f"{sub}.{md.get('namespace', 'default')}.svc.{cluster_domain}" if sub else ""
    return hostname, domain


def _aliases(pod: Object) -> str:
    aliases = (pod.get("spec") or {}).get("hostAliases") or []
    if not aliases:
        return ""
    lines = [f"{a.get('ip', '')}\t" + "\t".join(a.get("hostnames") or []) for a in aliases]
    return "\n# Entries added by HostAliases.\n" + "\n".join(lines) + "\n"


def hosts_content(pod: Object, pod_ips: list[str], cluster_domain: str, node_hosts: str = "") -> str:
    if (pod.get("spec") or {}).get("hostNetwork"):
        return HOST_NETWORK_HEADER + node_hosts + _aliases(pod)
    hostname, domain = hostname_and_domain(pod, cluster_domain)
    names = f"{hostname}.{domain}\t{hostname}" if domain else hostname
    own = "".join(f"{ip}\t{names}\n" for ip in pod_ips)
    return MANAGED_HEADER + "127.0.0.1\tlocalhost\n" + _IP6_LINES + own + _aliases(pod)


def hosts_mount(
    pod: Object, container: Object, pod_dir: Path, pod_ips: list[str], cluster_domain: str
) -> pb.Mount | None:
    """Write the pod's hosts file and return its mount; None when the kubelet does not
    manage /etc/hosts for this container (no pod IP yet, or the container mounts its own)."""
    if not pod_ips or any(m.get("mountPath") == ETC_HOSTS for m in container.get("volumeMounts") or []):
        return None
    node_hosts = ""
    if (pod.get("spec") or {}).get("hostNetwork"):
        node_hosts = Path(ETC_HOSTS).read_text()
    path = pod_dir / "etc-hosts"
    pod_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(hosts_content(pod, pod_ips, cluster_domain, node_hosts))
    path.chmod(0o644)
    return pb.Mount(container_path=ETC_HOSTS, host_path=str(path))


def termination_message_mount(container: Object, pod_dir: Path) -> pb.Mount | None:
    """A new, empty, world-writable file for this container instance's message."""
    target = container.get("terminationMessagePath", "/dev/termination-log")
    if not target:
        return None
    d = pod_dir / "containers" / container["name"]
    d.mkdir(parents=True, exist_ok=True)
    path = d / secrets.token_hex(4)
    path.touch()
    path.chmod(0o666)  # any user the container runs as may write its message
    return pb.Mount(container_path=target, host_path=str(path))


def termination_annotations(container: Object) -> dict[str, str]:
    return {
        TERMINATION_PATH: container.get("terminationMessagePath", "/dev/termination-log"),
        TERMINATION_POLICY: container.get("terminationMessagePolicy", "File"),
    }


def termination_message(status: pb.ContainerStatus) -> str:
    """The message to add to an exited container's status ("" for none)."""
    target = status.annotations.get(TERMINATION_PATH, "")
    fallback = (
        status.annotations.get(TERMINATION_POLICY) == "FallbackToLogsOnError"
        and status.exit_code != 0
        and status.reason != "ContainerCannotRun"
    )
    host = next((m.host_path for m in status.mounts if target and m.container_path == target), "")
    message = ""
    if host:
        try:
            with open(host, "rb") as f:
                message = f.read(MAX_MESSAGE).decode(errors="replace")
        except FileNotFoundError:
            pass
        except OSError as err:
            return f"Error on reading termination log {host}: {err}"
    if not message and fallback and status.log_path:
        message = log_tail(Path(status.log_path))
    return message


def log_tail(path: Path) -> str:
    """The last 80 lines of a CRI log's content, cut to its last 2048 bytes."""
    try:
        with open(path, "rb") as f:
            f.seek(tail_offset(path, MAX_LOG_LINES))
            raw = f.read()
    except OSError as err:
        return f"Error on reading termination message from logs: {err}"
    out = bytearray()
    for line in raw.splitlines(keepends=True):
        parsed = parse_line(line)
        if parsed is not None:
            out += parsed.text
    return bytes(out[-MAX_LOG_BYTES:]).decode(errors="replace")


def with_termination_message(status: pb.ContainerStatus) -> pb.ContainerStatus:
    """The status with the termination message joined to the runtime's own message."""
    if status.state != pb.CONTAINER_EXITED or TERMINATION_PATH not in status.annotations:
        return status
    message = termination_message(status)
    if message:
        status.message = f"{status.message}: {message}" if status.message else message
    return status
