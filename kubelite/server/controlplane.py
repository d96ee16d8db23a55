"""The control-plane components `kubelite up` runs beside the API server.

Each gets the command line it would be given standalone, and a client certificate of its
own from the cluster CA, with the user name Kubernetes gives it:

    DIR/pki/scheduler.crt/.key     CN system:kube-scheduler
    DIR/scheduler.kubeconfig       its kubeconfig
    kubelite scheduler --kubeconfig DIR/scheduler.kubeconfig --secure-port 10259

    DIR/pki/controller-manager.crt/.key   CN system:kube-controller-manager
    DIR/controller-manager.kubeconfig     its kubeconfig
    kubelite controller-manager --kubeconfig DIR/controller-manager.kubeconfig --secure-port 10257

    DIR/pki/dns.crt/.key           CN system:kube-dns
    DIR/dns.kubeconfig             its kubeconfig
    kubelite dns --kubeconfig DIR/dns.kubeconfig --port 53 --publish-service kube-system/kube-dns
                 --service-ip CLUSTER_DNS --advertise-address ADDRESS ...   (cluster DNS)

The health ports are Kubernetes' (10259 for the scheduler, 10257 for the controller
manager, which `kubectl get componentstatuses` probes) when they are free; a second cluster
on the same machine gets free ports instead, and `up` says which.
"""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from pathlib import Path

from cryptography.hazmat.primitives import serialization

from kubelite.util.kubeconfig import write_kubeconfig
from kubelite.util.net import free_port, primary_address
from kubelite.util.pki import ClusterPKI, issue, load_cert, load_key

SCHEDULER_PORT = 10259
CONTROLLER_MANAGER_PORT = 10257


def component_kubeconfig(d: Path, pki: ClusterPKI, server: str, name: str, user: str) -> Path:
    """A client certificate for `user` from the cluster CA and a kubeconfig using it."""
    cert, key = d / "pki" / f"{name}.crt", d / "pki" / f"{name}.key"
    if not cert.exists() or not key.exists():
        c, k = issue(load_cert(pki.ca.cert), load_key(pki.ca.key), common_name=user, client=True)
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(
                k.private_bytes(
                    serialization.Encoding.PEM,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
        cert.write_bytes(c.public_bytes(serialization.Encoding.PEM))
    return write_kubeconfig(
        d / f"{name}.kubeconfig",
        server=server,
        ca_cert=pki.ca.cert,
        client_cert=cert,
        client_key=key,
        user=user,
    )


def port_or_free(preferred: int, host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, preferred))
        except OSError:
            return free_port(host)
    return preferred


def scheduler_argv(kubeconfig: Path, port: int, extra: list[str]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "kubelite",
        "scheduler",
        "--kubeconfig",
        str(kubeconfig),
        "--bind-address",
        "127.0.0.1",
        "--secure-port",
        str(port),
        *extra,
    ]


def controller_manager_argv(kubeconfig: Path, port: int, extra: list[str]) -> list[str]:
    return [
        sys.executable,
        "-m",
        "kubelite",
        "controller-manager",
        "--kubeconfig",
        str(kubeconfig),
        "--bind-address",
        "127.0.0.1",
        "--secure-port",
        str(port),
        *extra,
    ]


DNS_PORT = 53
DEFAULT_SERVICE_RANGE = "10.96.0.0/12"


def service_range(apiserver_args: list[str]) -> str:
    """The API server's --service-cluster-ip-range among the extra flags `up` was given."""
    for i, a in enumerate(apiserver_args):
        if a.startswith("--service-cluster-ip-range="):
            return a.split("=", 1)[1].split(",")[0]
        if a == "--service-cluster-ip-range" and i + 1 < len(apiserver_args):
            return apiserver_args[i + 1].split(",")[0]
    return DEFAULT_SERVICE_RANGE


def dns_port_or_free(preferred: int = DNS_PORT) -> int:
    """`preferred` when both its UDP and TCP ports are free on every address, else a free one."""
    for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
        with socket.socket(socket.AF_INET, kind) as s:
            try:
                s.bind(("0.0.0.0", preferred))
            except OSError:
                return free_port("0.0.0.0")
    return preferred


def cluster_dns_ip(service_cidr: str) -> str:
    """The cluster DNS Service's address: the tenth of the service range, as kubeadm picks it."""
    return str(ipaddress.ip_network(service_cidr, strict=False).network_address + 10)


def pod_reachable_address(advertise: str) -> str:
    """Where pods reach this machine: the advertise address unless it is loopback, else the
    address the default route leaves from; "" if none."""
    if not ipaddress.ip_address(advertise).is_loopback:
        return advertise
    return primary_address()


def dns_argv(
    kubeconfig: Path, *, port: int, cluster_ip: str, cluster_domain: str, advertise: str, extra: list[str]
) -> list[str]:
    http = [f"--{name}-port={port_or_free(preferred, '0.0.0.0')}" for name, preferred in
            (("health", 8080), ("ready", 8181), ("metrics", 9153))]  # fmt: skip
    return [
        sys.executable,
        "-m",
        "kubelite",
        "dns",
        "--kubeconfig",
        str(kubeconfig),
        "--bind-address",
        "0.0.0.0",
        "--port",
        str(port),
        "--cluster-domain",
        cluster_domain,
        "--publish-service",
        "kube-system/kube-dns",
        "--service-ip",
        cluster_ip,
        *(["--advertise-address", advertise] if advertise else []),
        *http,
        *extra,
    ]
