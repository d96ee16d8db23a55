"""`kubelite up`: one command for a working cluster on this machine.

In the manner of k3s, `up` builds exactly the options each standalone component would be
given on its own command line and runs each as its own process (`kubelite apiserver`,
`kubelite scheduler`, `kubelite controller-manager` and `kubelite dns` (see `controlplane.py`),
then a local node: `kubelite runtime`, `kubelite kubelet` and `kubelite proxy`, see
`localnode.py` - or only the kubelet and the proxy, on another CRI runtime, with
--container-runtime-endpoint; and
`kubelite kubelet --simulated N` with --simulated-nodes), so they use every core and one
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
import contextlib
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

from kubelite.server import controlplane, localnode
from kubelite.util.kubeconfig import write_kubeconfig
from kubelite.util.pki import CertPair, ClusterPKI, ensure_cluster_pki
from kubelite.util.process import exit_with_parent

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
    scheduler: bool = True  # `kubelite scheduler` as a child (the pods' nodes are chosen)
    controller_manager: bool = True  # `kubelite controller-manager` as a child
    proxy: bool = True  # `kubelite proxy` for the local node (simulated nodes need none)
    dns: bool = True  # `kubelite dns` as a child: the kube-dns Service's server
    cluster_dns: str = ""  # default: the tenth address of the service range (10.96.0.10)
    cluster_domain: str = "cluster.local"
    extra_args: dict[str, list[str]] = field(default_factory=dict)


@dataclass(slots=True)
class Component:
    name: str
    argv: list[str]
    ready: Callable[[], Awaitable[bool]] | None = None  # None: ready once started
    process: asyncio.subprocess.Process | None = None
    restarts: int = 0


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


def prepare(options: UpOptions) -> list[Component]:
    """Certificates, tokens, kubeconfig, and the command line of each component."""
    d = options.data_dir.resolve()
    d.mkdir(parents=True, exist_ok=True)
    pki = ensure_cluster_pki(d / "pki", hosts=(options.advertise_address, options.bind_address))
    tokens = d / "tokens.csv"
    _admin_token(tokens)
    host = options.advertise_address if options.bind_address in ("0.0.0.0", "::") else options.bind_address
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
    server = f"https://{host}:{options.port}"
    components = [Component("apiserver", apiserver, _apiserver_ready(server, pki.ca.cert, pki.admin))]
    extra = options.extra_args
    if options.controller_manager:
        components.append(_controller_manager(d, pki, server, extra.get("controller-manager", [])))
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
            Component("scheduler", controlplane.scheduler_argv(kubeconfig, port, extra.get("scheduler", [])))
        )
    cluster_ip = options.cluster_dns or controlplane.cluster_dns_ip(
        controlplane.service_range(extra.get("apiserver", []))
    )
    if options.dns:
        components.append(_dns(d, pki, server, options, cluster_ip))
    dns_flags = ["--cluster-dns", cluster_ip, "--cluster-domain", options.cluster_domain]
    if options.local_node:
        endpoint = options.container_runtime_endpoint
        if not endpoint and (lacking := localnode.missing()):
            print(localnode.explain(lacking), file=sys.stderr, flush=True)
        else:
            name = localnode.node_name()
            kubeconfig = localnode.kubelet_kubeconfig(d, pki, server, name)
            port = controlplane.port_or_free(localnode.KUBELET_PORT, options.bind_address)
            if port != localnode.KUBELET_PORT:
                print(
                    f"kubelite up: port {localnode.KUBELET_PORT} is taken; the kubelet serves on {port}",
                    file=sys.stderr,
                    flush=True,
                )
            serving = localnode.kubelet_server_args(d, pki, name, options.bind_address, port)
            if not endpoint:
                endpoint = f"unix://{d / 'runtime.sock'}"
                argv = localnode.runtime_argv(d, options.registry_mirrors, extra.get("runtime", []))
                components.append(Component("runtime", argv, _socket_ready(d / "runtime.sock")))
            components.append(
                Component(
                    "kubelet",
                    localnode.kubelet_argv(
                        d, kubeconfig, name, endpoint, [*serving, *dns_flags, *extra.get("kubelet", [])]
                    ),
                )
            )
            if options.proxy:
                components.append(_proxy(d, pki, server, name, options.bind_address, extra.get("proxy", [])))
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
    return Component("dns", argv)


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


def _socket_ready(path: Path) -> Callable[[], Awaitable[bool]]:
    async def connect() -> bool:
        try:
            _, writer = await asyncio.open_unix_connection(str(path))
        except OSError:
            return False
        writer.close()
        return True

    return connect


async def _until_ready(c: Component, stopping: asyncio.Event) -> None:
    """Wait for `c` to be ready (or for `up` to be stopped); say so when it is slow."""
    started = time.monotonic()
    warned = False
    while c.ready is not None and not stopping.is_set() and not await c.ready():
        if not warned and time.monotonic() - started > 30:
            print(f"kubelite up: still waiting for {c.name} to be ready", file=sys.stderr, flush=True)
            warned = True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), 0.2)


async def _supervise(c: Component, stopping: asyncio.Event) -> None:
    backoff = 1.0
    while not stopping.is_set():
        started = time.monotonic()
        # Each component dies with `up`, however `up` ends (even SIGKILL): see exit_with_parent.
        c.process = await asyncio.create_subprocess_exec(
            *c.argv, start_new_session=True, preexec_fn=exit_with_parent()
        )
        code = await c.process.wait()
        if stopping.is_set():
            return
        c.restarts += 1
        log.error("%s exited with code %s; restarting it (restart %d)", c.name, code, c.restarts)
        print(f"kubelite up: {c.name} exited with code {code}; restarting it", file=sys.stderr, flush=True)
        backoff = 1.0 if time.monotonic() - started > 30 else min(backoff * 2, 30.0)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), backoff)


async def _stop(c: Component, grace: float = 10.0) -> None:
    p = c.process
    if p is None or p.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        p.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(p.wait(), grace)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            p.kill()
        await p.wait()


async def run_up(options: UpOptions) -> int:
    components = prepare(options)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    kubeconfig = options.data_dir.resolve() / "kubeconfig"
    print(f"kubelite up: starting; kubeconfig at {kubeconfig}", file=sys.stderr, flush=True)
    print(f"  export KUBECONFIG={kubeconfig}", file=sys.stderr, flush=True)
    tasks = []
    for c in components:  # in order, each once the one before is ready, as k3s does
        tasks.append(asyncio.create_task(_supervise(c, stopping), name=c.name))
        await _until_ready(c, stopping)
    await stopping.wait()
    print("kubelite up: stopping", file=sys.stderr, flush=True)
    await asyncio.gather(*(_stop(c) for c in reversed(components)))
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return 0
