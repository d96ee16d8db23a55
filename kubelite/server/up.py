"""`kubelite up`: one command for a working cluster on this machine.

In the manner of k3s, `up` builds exactly the options each standalone component would be
given on its own command line and runs each as its own process (`kubelite apiserver`,
`kubelite scheduler`, `kubelite controller-manager` and `kubelite dns` (see `controlplane.py`),
then a local node: `kubelite runtime`, `kubelite kubelet` and `kubelite proxy`, see
`localnode.py` - or only the kubelet and the proxy, on another CRI runtime, with
--container-runtime-endpoint; and `kubelite kubelet --simulated N` with --simulated-nodes;
with --nodes N, the host's `kubelite hostgw` and N-1 `kubelite node join`, see nodes.py), so
they use every core and one
crashing does not take the others down: a crashed component is restarted, and `up` says
so. Each starts only once the one before it is ready (the API server answers /readyz, the
controller manager once the `default` ServiceAccount it makes exists, the runtime its
socket). A machine that cannot run pods (not root, no runc, no CNI plugins) gets the
control plane only, with a message naming what is missing and how to install it.

    DIR/pki/          cluster CA, API server serving cert, admin client cert
    DIR/tokens.csv    static bearer tokens (admin)
    DIR/state.db      the SQLite store (unless --store etcd://...)
    DIR/kubeconfig    admin kubeconfig for kubectl and clients
    DIR/scheduler.kubeconfig  the scheduler's (controlplane.py)
    DIR/controller-manager.kubeconfig  the controller manager's (controlplane.py)
    DIR/runtime*, DIR/net.d, DIR/kubelet.kubeconfig, ...   the local node (localnode.py)
    DIR/storage/      the volumes of the default StorageClass `local-path`

Stopping (SIGINT/SIGTERM) stops every component; so does `up` dying any other way (SIGKILL
included: each component gets SIGTERM from the kernel when `up` is gone). Containers keep
running under their monitors either way, and the node adopts them when `up` starts again
on the same DIR, which resumes from its state.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import signal
import ssl
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from kubelite.hostgw.cli import DEFAULT_CLUSTER_CIDR
from kubelite.server import controlplane, localnode, nodenet, nodes
from kubelite.server.nodenet import NodeNetwork
from kubelite.server.supervisor import Component, socket_ready, stop, supervise, until_ready
from kubelite.util.kubeconfig import write_kubeconfig
from kubelite.util.pki import CertPair, ClusterPKI, ensure_cluster_pki

log = logging.getLogger("kubelite.up")


@dataclass(slots=True)
class UpOptions:
    data_dir: Path
    port: int = 6443
    store: str = ""  # default: sqlite in data_dir
    bind_address: str = "127.0.0.1"
    advertise_address: str = "127.0.0.1"
    local_node: bool = True
    # The local node's CRI runtime: empty starts kubelite's own (`kubelite runtime`); an
    # endpoint (e.g. unix:///run/containerd/containerd.sock) uses that runtime instead.
    container_runtime_endpoint: str = ""
    # REGISTRY=ENDPOINT mirrors for kubelite's runtime (another CRI runtime has its own config)
    registry_mirrors: tuple[str, ...] = ()
    simulated_nodes: int = 0
    # `--nodes N`: the local node plus N-1 extra nodes in network namespaces (nodes.py, nodenet.py)
    nodes: int = 1
    node_network: str = nodenet.DEFAULT_NETWORK
    node_bridge: str = nodenet.DEFAULT_BRIDGE
    node_ip: str = ""  # the local node's InternalIP and kubelet address (default: see prepare)
    node_host_ports: tuple[int, ...] = ()  # loopback ports of the host the extra nodes see too
    cluster_cidr: str = ""  # the pods' range (controller manager, hostgw); "": its default
    scheduler: bool = True  # `kubelite scheduler` as a child (the pods' nodes are chosen)
    controller_manager: bool = True  # `kubelite controller-manager` as a child
    proxy: bool = True  # `kubelite proxy` for the local node (simulated nodes need none)
    dns: bool = True  # `kubelite dns` as a child: the kube-dns Service's server
    cluster_dns: str = ""  # default: the tenth address of the service range (10.96.0.10)
    cluster_domain: str = "cluster.local"
    extra_args: dict[str, list[str]] = field(default_factory=dict)


def _admin_token(path: Path) -> str:
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                return line.split(",", 1)[0]
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f'{token},kubelite-admin,kubelite-admin,"system:masters"\n')
    return token


def _server(options: UpOptions) -> str:
    """The API server's URL for the kubeconfigs."""
    host = options.advertise_address if options.bind_address in ("0.0.0.0", "::") else options.bind_address
    return f"https://{host}:{options.port}"


def prepare(options: UpOptions) -> list[Component]:
    """Certificates, tokens, kubeconfig, and the command line of each component."""
    d = options.data_dir.resolve()
    d.mkdir(parents=True, exist_ok=True)
    pki = ensure_cluster_pki(d / "pki", hosts=(options.advertise_address, options.bind_address))
    tokens = d / "tokens.csv"
    _admin_token(tokens)
    host = urlsplit(_server(options)).hostname
    write_kubeconfig(
        d / "kubeconfig",
        server=f"https://{host}:{options.port}",
        ca_cert=pki.ca.cert,
        client_cert=pki.admin.cert,
        client_key=pki.admin.key,
    )
    store = options.store or f"sqlite://{d / 'state.db'}"
    apiserver = [
        sys.executable,
        "-m",
        "kubelite",
        "apiserver",
        "--store",
        store,
        "--cert-dir",
        str(d / "pki"),
        "--port",
        str(options.port),
        "--bind-address",
        options.bind_address,
        "--advertise-address",
        options.advertise_address,
        "--token-auth-file",
        str(tokens),
        "--kubelet-client-certificate",
        str(pki.kubelet_client.cert),
        "--kubelet-client-key",
        str(pki.kubelet_client.key),
        "--kubelet-certificate-authority",
        str(pki.ca.cert),
        "--kubelet-preferred-address-types",  # kubeadm's order: a node's address before its name
        "InternalIP,ExternalIP,Hostname",
        *options.extra_args.get("apiserver", []),
    ]
    server = _server(options)
    components = [Component("apiserver", apiserver, _apiserver_ready(server, pki.ca.cert, pki.admin))]
    extra = options.extra_args
    if options.controller_manager:
        cidr = ["--cluster-cidr", options.cluster_cidr] if options.cluster_cidr else []
        components.append(_controller_manager(d, pki, server, [*cidr, *extra.get("controller-manager", [])]))
    if options.scheduler:
        kubeconfig = controlplane.component_kubeconfig(d, pki, server, "scheduler", "system:kube-scheduler")
        port = controlplane.port_or_free(controlplane.SCHEDULER_PORT)
        if port != controlplane.SCHEDULER_PORT:
            print(
                f"kubelite up: port {controlplane.SCHEDULER_PORT} is taken; the scheduler serves "
                f"its health and metrics on {port}",
                file=sys.stderr,
                flush=True,
            )
        components.append(
            Component(
                "scheduler",
                controlplane.scheduler_argv(kubeconfig, port, extra.get("scheduler", [])),
                ports=(("--secure-port", "0.0.0.0"),),
            )
        )
    cluster_ip = options.cluster_dns or controlplane.cluster_dns_ip(
        controlplane.service_range(extra.get("apiserver", []))
    )
    if options.dns:
        components.append(_dns(d, pki, server, options, cluster_ip))
    dns_flags = ["--cluster-dns", cluster_ip, "--cluster-domain", options.cluster_domain]
    net = _ensure_node_network(options, server)
    if options.local_node:
        endpoint = options.container_runtime_endpoint
        if not endpoint and (lacking := localnode.missing()):
            print(localnode.explain(lacking), file=sys.stderr, flush=True)
        else:
            name = localnode.node_name()
            kubeconfig = localnode.kubelet_kubeconfig(d, pki, server, name)
            # The kubelet listens on the node's InternalIP: --node-ip, or with extra nodes the
            # host's address on the node network (the other nodes' route to its pods), else
            # the bind address (on loopback, 127.0.0.1: see localnode.kubelet_server_args).
            node_ip = net.host_address if net is not None else options.node_ip
            address = node_ip or options.bind_address
            port = controlplane.port_or_free(localnode.KUBELET_PORT, address)
            if port != localnode.KUBELET_PORT:
                print(
                    f"kubelite up: port {localnode.KUBELET_PORT} is taken; the kubelet serves on {port}",
                    file=sys.stderr,
                    flush=True,
                )
            serving = localnode.kubelet_server_args(d, pki, name, address, port, node_ip)
            if not endpoint:
                endpoint = f"unix://{d / 'runtime.sock'}"
                argv = localnode.runtime_argv(d, options.registry_mirrors, extra.get("runtime", []))
                components.append(Component("runtime", argv, socket_ready(d / "runtime.sock")))
            components.append(
                Component(
                    "kubelet",
                    localnode.kubelet_argv(
                        d, kubeconfig, name, endpoint, [*serving, *dns_flags, *extra.get("kubelet", [])]
                    ),
                    ports=(("--port", address),),
                )
            )
            if options.proxy:
                cidr = ["--cluster-cidr", options.cluster_cidr] if options.cluster_cidr else []
                proxy_extra = [*cidr, *extra.get("proxy", [])]
                components.append(_proxy(d, pki, server, name, options.bind_address, proxy_extra))
    # A component every node runs (kube-proxy) joins the local node's list above and the
    # extra nodes' list in nodes.node_components.
    if net is not None:
        components += _extra_nodes(options, d, net, dns_flags)
    if options.simulated_nodes:
        components.append(
            Component(
                "simulated-nodes",
                localnode.simulated_argv(
                    d / "kubeconfig", options.simulated_nodes, [*dns_flags, *extra.get("simulated-nodes", [])]
                ),
            )
        )
    return components


def _ensure_node_network(options: UpOptions, server: str) -> NodeNetwork | None:
    """With --nodes above 1: the extra nodes' network, its bridge made before the local
    kubelet listens on it."""
    if options.nodes <= 1:
        return None
    net = node_network(options, server)
    try:
        nodenet.ensure_bridge(net)
    except nodenet.NodeNetworkError as err:
        raise SystemExit(f"kubelite up: {err}") from None
    return net


def node_network(options: UpOptions, server: str) -> NodeNetwork:
    d = options.data_dir.resolve()
    return NodeNetwork(
        cluster=nodenet.cluster_id(d),
        bridge=options.node_bridge,
        cidr=options.node_network,
        cluster_cidr=options.cluster_cidr or DEFAULT_CLUSTER_CIDR,
        server=server,
        host_ports=tuple(
            dict.fromkeys([*options.node_host_ports, *_loopback_ports(options.registry_mirrors)])
        ),
    )


def _loopback_ports(mirrors: tuple[str, ...]) -> list[int]:
    """Ports of registry mirrors on the host's loopback, which extra nodes reach forwarded."""
    ports = []
    for m in mirrors:
        url = urlsplit(m.split("=", 1)[-1] if "://" in m else "http://" + m.split("=", 1)[-1])
        if url.hostname in ("127.0.0.1", "localhost") and url.port:
            ports.append(url.port)
    return ports


def _extra_nodes(options: UpOptions, d: Path, net: NodeNetwork, dns_flags: list[str]) -> list[Component]:
    """The host-gateway agent of the host (the local node), then one `kubelite node join`
    per extra node; the network they share is saved for them (and for later joins)."""
    net.save(nodes.network_file(d))
    local = localnode.node_name()
    kubeconfig = d / "kubelet.kubeconfig" if (d / "kubelet.kubeconfig").exists() else d / "kubeconfig"
    out = [Component("hostgw", nodes.hostgw_argv(kubeconfig, local, net.cluster_cidr))]
    for index in range(1, options.nodes):
        name = nodes.extra_node_name(local, index)
        removed = nodes.node_dir(d, name) / "removed"
        removed.unlink(missing_ok=True)
        argv = nodes.join_argv(
            d,
            name,
            index,
            options.registry_mirrors,
            [*dns_flags, *options.extra_args.get("node-kubelet", [])],
            nodes.NodeProxy(options.proxy, tuple(options.extra_args.get("proxy", []))),
        )
        out.append(Component(f"node {name}", argv, done=removed.exists))
    return out


def _controller_manager(d: Path, pki: ClusterPKI, server: str, extra: list[str]) -> Component:
    user = "system:kube-controller-manager"
    kubeconfig = controlplane.component_kubeconfig(d, pki, server, "controller-manager", user)
    port = controlplane.port_or_free(controlplane.CONTROLLER_MANAGER_PORT)
    if port != controlplane.CONTROLLER_MANAGER_PORT:
        print(
            f"kubelite up: port {controlplane.CONTROLLER_MANAGER_PORT} is taken; the controller manager "
            f"serves its health and metrics on {port}",
            file=sys.stderr,
            flush=True,
        )
    pki_args = [
        "--root-ca-file",
        str(pki.ca.cert),
        "--service-account-private-key-file",
        str(pki.service_account_key),
        "--local-path-dir",  # the default StorageClass local-path keeps its volumes here
        str(d / "storage"),
    ]
    return Component(
        "controller-manager",
        controlplane.controller_manager_argv(kubeconfig, port, [*pki_args, *extra]),
        _default_service_account(server, pki.ca.cert, pki.admin),
        ports=(("--secure-port", "0.0.0.0"),),
    )


def _proxy(d: Path, pki: ClusterPKI, server: str, node: str, address: str, extra: list[str]) -> Component:
    """The local node's `kubelite proxy` (kube-proxy): its own client certificate
    (system:kube-proxy), health on 10256 and metrics on 10249 (free ones when taken)."""
    kubeconfig = controlplane.component_kubeconfig(d, pki, server, "proxy", "system:kube-proxy")
    host = "127.0.0.1" if address.startswith("127.") else address
    ports = []
    for preferred, what in (
        (localnode.PROXY_HEALTHZ_PORT, "health"),
        (localnode.PROXY_METRICS_PORT, "metrics"),
    ):
        port = controlplane.port_or_free(preferred, host if what == "health" else "127.0.0.1")
        if port != preferred:
            print(
                f"kubelite up: port {preferred} is taken; the proxy serves its {what} on {port}",
                file=sys.stderr,
            )
        ports.append(port)
    return Component("proxy", localnode.proxy_argv(kubeconfig, node, host, ports[0], ports[1], extra))


def _dns(d: Path, pki: ClusterPKI, server: str, options: UpOptions, cluster_ip: str) -> Component:
    """`kubelite dns` on port 53 of every address (a free port when 53 is taken), publishing
    itself as kube-system/kube-dns at the address pods reach this machine by."""
    kubeconfig = controlplane.component_kubeconfig(d, pki, server, "dns", "system:kube-dns")
    port = controlplane.dns_port_or_free()
    if port != controlplane.DNS_PORT:
        print(f"kubelite up: port 53 is taken; cluster DNS serves on {port}", file=sys.stderr, flush=True)
    argv = controlplane.dns_argv(
        kubeconfig,
        port=port,
        cluster_ip=cluster_ip,
        cluster_domain=options.cluster_domain,
        advertise=controlplane.pod_reachable_address(options.advertise_address),
        extra=options.extra_args.get("dns", []),
    )
    return Component(
        "dns", argv, ports=tuple((f"--{n}-port", "0.0.0.0") for n in ("health", "ready", "metrics"))
    )


def _apiserver_ready(server: str, ca: Path, admin: CertPair) -> Callable[[], Awaitable[bool]]:
    def get() -> bool:
        import urllib.request

        context = ssl.create_default_context(cafile=str(ca))
        context.load_cert_chain(str(admin.cert), str(admin.key))
        try:
            with urllib.request.urlopen(f"{server}/readyz", context=context, timeout=2) as r:
                return bool(r.status == 200)
        except OSError:
            return False

    return lambda: asyncio.to_thread(get)


def _default_service_account(server: str, ca: Path, admin: CertPair) -> Callable[[], Awaitable[bool]]:
    """Ready once the `default` namespace has its `default` ServiceAccount (as kind waits for
    it): pods sent as soon as `up` is ready are then admitted. Given up on after a minute (a
    controller manager told not to run the service account controller never makes it)."""
    started: list[float] = []

    def get() -> bool:
        import urllib.error
        import urllib.request

        started.append(time.monotonic())
        if started[-1] - started[0] > 60:
            return True
        context = ssl.create_default_context(cafile=str(ca))
        context.load_cert_chain(str(admin.cert), str(admin.key))
        url = f"{server}/api/v1/namespaces/default/serviceaccounts/default"
        try:
            with urllib.request.urlopen(url, context=context, timeout=2) as r:
                return bool(r.status == 200)
        except (OSError, urllib.error.HTTPError):
            return False

    return lambda: asyncio.to_thread(get)


async def run_up(options: UpOptions) -> int:
    components = prepare(options)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    kubeconfig = options.data_dir.resolve() / "kubeconfig"
    print(f"kubelite up: starting; kubeconfig at {kubeconfig}", file=sys.stderr, flush=True)
    print(f"  export KUBECONFIG={kubeconfig}", file=sys.stderr, flush=True)
    net = node_network(options, _server(options)) if options.nodes > 1 else None
    tasks = []
    for c in components:  # in order, each once the one before is ready, as k3s does
        tasks.append(asyncio.create_task(supervise(c, stopping), name=c.name))
        await until_ready(c, stopping)
    await stopping.wait()
    print("kubelite up: stopping", file=sys.stderr, flush=True)
    await asyncio.gather(*(stop(c) for c in reversed(components)))
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    if net is not None:  # each node removed its own; what a killed one left goes here
        for index in range(1, options.nodes):
            name = nodes.extra_node_name(localnode.node_name(), index)
            await asyncio.to_thread(nodenet.remove_node, net, name)
        await asyncio.to_thread(nodenet.remove_bridge, net)
    return 0
