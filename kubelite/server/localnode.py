"""The local node `kubelite up` runs next to the control plane: a runtime and a kubelet.

Both get exactly the command lines they would be given standalone; everything they keep
lives under the data directory:

    DIR/runtime/            the runtime's root (images, sandboxes, containers)
    DIR/runtime.sock        its CRI socket, the kubelet's --container-runtime-endpoint
    DIR/net.d/              its CNI configuration; empty at first, the runtime writes a
                            bridge network on the pod CIDR the kubelet passes
    DIR/pki/kubelet.*       the kubelet's client certificate from the cluster CA
                            (system:node:NAME in system:nodes), as a node would get it
    DIR/pki/kubelet-serving.*  the serving certificate of its HTTPS server (port 10250, or a
                            free one when taken), naming the node and its address
    DIR/kubelet.kubeconfig  the kubelet's kubeconfig with that certificate
    DIR/pods/, DIR/manifests/   pod logs and static pod manifests

With `up` on a loopback address (its default) the node is local too: its kubelet listens on
127.0.0.1 and the Node's InternalIP is 127.0.0.1, which is where the API server reaches it.

A real node needs root, runc and the CNI plugins; `missing()` says which of them this
machine lacks, so `up` can tell the user what to install instead of failing later.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
from dataclasses import dataclass
from pathlib import Path

from kubelite.util.kubeconfig import write_kubeconfig
from kubelite.util.pki import ClusterPKI, covers, issue, load_cert, load_key, write_cert, write_key

CNI_BIN_DIRS = (Path("/usr/lib/cni"), Path("/opt/cni/bin"))
CNI_PLUGINS = ("bridge", "host-local", "portmap", "loopback")
INSTALL = "apt-get install -y runc containernetworking-plugins"
KUBELET_PORT = 10250


@dataclass(slots=True, frozen=True)
class Missing:
    what: str
    package: str = ""


def missing(runc: str = "runc", cni_bin_dirs: tuple[Path, ...] = CNI_BIN_DIRS) -> list[Missing]:
    """What this machine lacks to run pods; empty when it has everything."""
    out = []
    if os.geteuid() != 0:
        out.append(Missing("root: the runtime creates namespaces, cgroups and mounts"))
    if shutil.which(runc) is None:
        out.append(Missing(f"{runc} on PATH", "runc"))
    for plugin in CNI_PLUGINS:
        if not any((d / plugin).is_file() for d in cni_bin_dirs):
            out.append(
                Missing(
                    f"CNI plugin {plugin!r} in {' or '.join(map(str, cni_bin_dirs))}",
                    "containernetworking-plugins",
                )
            )
    return out


def explain(lacking: list[Missing]) -> str:
    """The message `up` prints: each missing thing, then how to install it."""
    lines = ["kubelite up: not starting the local node; this machine lacks:"]
    lines += [f"  - {m.what}" for m in lacking]
    packages = list(dict.fromkeys(m.package for m in lacking if m.package))
    if packages:
        lines.append(f"  install with: apt-get install -y {' '.join(packages)}")
    if any(not m.package for m in lacking):
        lines.append("  run `kubelite up` as root")
    lines.append("  (the control plane runs without it; --no-local-node hides this message)")
    return "\n".join(lines)


def node_name() -> str:
    return socket.gethostname().lower()


def kubelet_kubeconfig(d: Path, pki: ClusterPKI, server: str, name: str) -> Path:
    """A client certificate for the node from the cluster CA, and a kubeconfig with it."""
    cert, key = d / "pki" / "kubelet.crt", d / "pki" / "kubelet.key"
    if not cert.exists() or not key.exists():
        c, k = issue(
            load_cert(pki.ca.cert),
            load_key(pki.ca.key),
            common_name=f"system:node:{name}",
            organizations=("system:nodes",),
            client=True,
        )
        write_key(key, k)
        write_cert(cert, c)
    return write_kubeconfig(
        d / "kubelet.kubeconfig",
        server=server,
        ca_cert=pki.ca.cert,
        client_cert=cert,
        client_key=key,
        user=f"system:node:{name}",
    )


def kubelet_serving_cert(d: Path, pki: ClusterPKI, name: str, hosts: tuple[str, ...]) -> tuple[Path, Path]:
    """The kubelet's serving certificate from the cluster CA (made again when its names change)."""
    cert, key = d / "pki" / "kubelet-serving.crt", d / "pki" / "kubelet-serving.key"
    names = (name, "localhost", "127.0.0.1", *hosts)
    if not cert.exists() or not key.exists() or not covers(load_cert(cert), names):
        c, k = issue(
            load_cert(pki.ca.cert),
            load_key(pki.ca.key),
            common_name=f"system:node:{name}",
            organizations=("system:nodes",),
            hosts=names,
            server=True,
        )
        write_key(key, k)
        write_cert(cert, c)
    return cert, key


def kubelet_server_args(
    d: Path, pki: ClusterPKI, name: str, address: str, port: int, node_ip: str = ""
) -> list[str]:
    """The kubelet's HTTPS server flags: where it listens, its certificate, whom it trusts;
    `node_ip`, the Node's InternalIP (default: 127.0.0.1 for a loopback `address`)."""
    node_ip = node_ip or ("127.0.0.1" if address.startswith("127.") else "")
    cert, key = kubelet_serving_cert(d, pki, name, (address, node_ip) if node_ip else ())
    args = ["--address", address, "--port", str(port), "--tls-cert-file", str(cert)]
    args += ["--tls-private-key-file", str(key), "--client-ca-file", str(pki.ca.cert)]
    return args + (["--node-ip", node_ip] if node_ip else [])


SYSTEMD_RESOLV_CONF = Path("/run/systemd/resolve/resolv.conf")


def resolv_conf(etc: Path = Path("/etc/resolv.conf"), systemd: Path = SYSTEMD_RESOLV_CONF) -> Path:
    """The resolver file the kubelet hands Default pods: /etc/resolv.conf, unless it names
    only loopback resolvers (systemd-resolved's stub, unreachable from a pod's network) and
    systemd-resolved's own list of upstreams exists - kubeadm's choice too."""
    try:
        servers = [ln.split()[1] for ln in etc.read_text().splitlines() if ln.startswith("nameserver ")]
    except (OSError, IndexError):
        return etc
    if servers and all(s.startswith("127.") or s == "::1" for s in servers) and systemd.is_file():
        return systemd
    return etc


def runtime_argv(d: Path, registry_mirrors: tuple[str, ...], extra: list[str]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "kubelite",
        "runtime",
        "--root",
        str(d / "runtime"),
        "--socket",
        str(d / "runtime.sock"),
        "--cni-conf-dir",
        str(d / "net.d"),
        *(f"--registry-mirror={m}" for m in registry_mirrors),
        *extra,
    ]


def kubelet_argv(d: Path, kubeconfig: Path, name: str, runtime_endpoint: str, extra: list[str]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "kubelite",
        "kubelet",
        "--kubeconfig",
        str(kubeconfig),
        "--container-runtime-endpoint",
        runtime_endpoint,
        "--node-name",
        name,
        "--pod-log-dir",
        str(d / "pods"),
        "--root-dir",
        str(d / "kubelet"),
        "--pod-manifest-path",
        str(d / "manifests"),
        "--resolv-conf",
        str(resolv_conf()),
        *extra,
    ]


def simulated_argv(kubeconfig: Path, count: int, extra: list[str]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "kubelite",
        "kubelet",
        "--kubeconfig",
        str(kubeconfig),
        "--simulated",
        str(count),
        *extra,
    ]
