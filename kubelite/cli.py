"""The `kubelite` command: one subcommand per component, plus `up` for a whole cluster."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any


def _run(coro: Coroutine[Any, Any, int | None]) -> int:
    try:
        import uvloop

        uvloop.install()
    except ImportError:  # pragma: no cover - uvloop is a dependency; stay usable without it
        pass
    from kubelite.util.net import ListenError

    try:
        return asyncio.run(coro) or 0
    except KeyboardInterrupt:
        return 130
    except ListenError as err:
        logging.getLogger("kubelite").error("%s", err)
        return 1


def _port_range(text: str) -> tuple[int, int]:
    lo, _, hi = text.partition("-")
    return int(lo), int(hi)


def _names(text: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in text.split(",") if n.strip())


def cmd_apiserver(args: argparse.Namespace) -> int:
    from kubelite.apiserver.admission.chain import enabled_plugins
    from kubelite.apiserver.admission.plugins import AdmissionOptions
    from kubelite.apiserver.process import APIServer, APIServerOptions
    from kubelite.apiserver.serviceaccounts import DEFAULT_ISSUER, ServiceAccountOptions

    admission = AdmissionOptions(
        enable_plugins=_names(args.enable_admission_plugins),
        disable_plugins=_names(args.disable_admission_plugins),
        default_not_ready_toleration_seconds=args.default_not_ready_toleration_seconds,
        default_unreachable_toleration_seconds=args.default_unreachable_toleration_seconds,
    )
    service_accounts = ServiceAccountOptions(
        issuers=tuple(args.service_account_issuer or [DEFAULT_ISSUER]),
        signing_key_file=Path(args.service_account_signing_key_file)
        if args.service_account_signing_key_file
        else None,
        key_files=tuple(Path(p) for p in args.service_account_key_file),
        api_audiences=_names(args.api_audiences),
        max_token_expiration=int(args.service_account_max_token_expiration),
        extend_token_expiration=args.service_account_extend_token_expiration,
        jwks_uri=args.service_account_jwks_uri,
    )
    try:
        enabled_plugins(admission.enable_plugins, admission.disable_plugins)
    except ValueError as err:
        raise SystemExit(f"kubelite apiserver: {err}") from None
    options = APIServerOptions(
        store=args.store,
        cert_dir=Path(args.cert_dir),
        bind_address=args.bind_address,
        port=args.port,
        advertise_address=args.advertise_address,
        token_auth_file=Path(args.token_auth_file) if args.token_auth_file else None,
        service_cluster_ip_range=args.service_cluster_ip_range,
        service_node_port_range=_port_range(args.service_node_port_range),
        compaction_interval=args.compaction_interval,
        admission=admission,
        service_accounts=service_accounts,
        kubelet_client_certificate=Path(args.kubelet_client_certificate)
        if args.kubelet_client_certificate
        else None,
        kubelet_client_key=Path(args.kubelet_client_key) if args.kubelet_client_key else None,
        kubelet_certificate_authority=(
            Path(args.kubelet_certificate_authority) if args.kubelet_certificate_authority else None
        ),
        kubelet_preferred_address_types=tuple(
            t for t in args.kubelet_preferred_address_types.split(",") if t
        ),
    )

    from kubelite.util.process import run_until_signalled

    return _run(run_until_signalled(APIServer(options).run()))


def _check_nodes_flags(args: argparse.Namespace) -> None:
    import ipaddress

    if args.nodes < 1:
        raise SystemExit(f"kubelite up: --nodes {args.nodes}: at least 1 (the local node)")
    for flag, value in (("--node-network", args.node_network), ("--cluster-cidr", args.cluster_cidr)):
        try:
            if value and ipaddress.ip_network(value).version != 4:
                raise ValueError("an IPv4 range is needed")
        except ValueError as err:
            raise SystemExit(f"kubelite up: {flag} {value}: {err}") from None
    if args.node_ip:
        _check_node_ip(args)


def _check_node_ip(args: argparse.Namespace) -> None:
    import ipaddress
    import socket

    if args.nodes > 1:
        raise SystemExit(
            "kubelite up: --node-ip is for a single node; with --nodes the local node's address is "
            "the first of --node-network"
        )
    try:
        ip = ipaddress.ip_address(args.node_ip)
    except ValueError as err:
        raise SystemExit(f"kubelite up: --node-ip {args.node_ip}: {err}") from None
    if ip.version != 4 or ip.is_unspecified:
        raise SystemExit(f"kubelite up: --node-ip {ip}: an IPv4 address of this machine is needed")
    with socket.socket() as probe:  # the kubelet will listen there
        try:
            probe.bind((str(ip), 0))
        except OSError:
            raise SystemExit(f"kubelite up: --node-ip {ip}: not an address of this machine") from None


def cmd_up(args: argparse.Namespace) -> int:
    from kubelite.image.registry import parse_mirror
    from kubelite.server.up import UpOptions, run_up

    for mirror in args.registry_mirror:  # the user's mistake to fix now, not a runtime crash loop later
        try:
            parse_mirror(mirror)
        except ValueError as err:
            raise SystemExit(f"kubelite up: --registry-mirror: {err}") from None
    _check_nodes_flags(args)
    options = UpOptions(
        data_dir=Path(args.data_dir),
        port=args.port,
        store=args.store or "",
        bind_address=args.bind_address,
        advertise_address=args.advertise_address,
        local_node=not args.no_local_node,
        controller_manager=not args.no_controller_manager,
        scheduler=not args.no_scheduler,
        proxy=not args.no_proxy,
        dns=not args.no_dns,
        cluster_dns=args.cluster_dns,
        cluster_domain=args.cluster_domain,
        simulated_nodes=args.simulated_nodes,
        nodes=args.nodes,
        node_network=args.node_network,
        node_bridge=args.node_bridge,
        node_ip=args.node_ip,
        node_host_ports=tuple(args.node_host_port),
        cluster_cidr=args.cluster_cidr,
        container_runtime_endpoint=args.container_runtime_endpoint,
        registry_mirrors=tuple(args.registry_mirror),
        extra_args={
            name: values
            for name, values in (
                ("apiserver", args.apiserver_arg),
                ("scheduler", args.scheduler_arg),
                ("controller-manager", args.controller_manager_arg),
                ("runtime", args.runtime_arg),
                ("kubelet", args.kubelet_arg),
                ("proxy", args.proxy_arg),
                ("dns", args.dns_arg),
                ("node-kubelet", args.node_kubelet_arg),
            )
            if values
        },
    )
    return _run(run_up(options))


def _add_service_account_flags(api: argparse.ArgumentParser) -> None:
    from kubelite.componentbase.options import parse_bool, parse_duration

    api.add_argument(
        "--service-account-issuer",
        action="append",
        default=[],
        metavar="URL",
        help="the issuer of service account tokens (repeatable: the first signs, all are accepted; "
        "default https://kubernetes.default.svc.cluster.local)",
    )
    api.add_argument(
        "--service-account-signing-key-file",
        default="",
        metavar="FILE",
        help="PEM private key service account tokens are signed with (default: CERT_DIR/service-account.key)",
    )
    api.add_argument(
        "--service-account-key-file",
        action="append",
        default=[],
        metavar="FILE",
        help="PEM file of further keys service account tokens are accepted from (repeatable)",
    )
    api.add_argument(
        "--api-audiences", default="", metavar="AUDIENCES", help="the API's audiences (default: the issuers)"
    )
    api.add_argument(
        "--service-account-max-token-expiration",
        type=parse_duration,
        default=0.0,
        metavar="DURATION",
        help="the longest a requested service account token may live (0: no maximum)",
    )
    api.add_argument(
        "--service-account-extend-token-expiration",
        type=parse_bool,
        nargs="?",
        const=True,
        default=True,
        metavar="BOOL",
        help="make kubelet-requested 3607 s tokens last a year, warning after the 3607 s",
    )
    api.add_argument(
        "--service-account-jwks-uri",
        default="",
        metavar="URL",
        help="the jwks_uri of /.well-known/openid-configuration (default: https://ADVERTISE:PORT/openid/v1/jwks)",
    )


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="kubelite", description="The Kubernetes architecture, in Python.")
    p.add_argument("-v", "--verbose", action="store_true", help="log at debug level")
    sub = p.add_subparsers(dest="command", required=True)

    up = sub.add_parser("up", help="run a whole cluster on this machine (foreground)")
    up.add_argument("--data-dir", default=".kubelite", help="state, certificates and kubeconfig")
    up.add_argument("--port", type=int, default=6443)
    up.add_argument("--store", help="etcd://HOST:PORT[,HOST:PORT] (default: SQLite in --data-dir)")
    up.add_argument("--bind-address", default="127.0.0.1")
    up.add_argument("--advertise-address", default="127.0.0.1")
    up.add_argument("--no-local-node", action="store_true", help="no runtime and kubelet on this machine")
    up.add_argument(
        "--no-controller-manager",
        action="store_true",
        help="do not run the controller manager (no ReplicaSets, Deployments, garbage collection, ...)",
    )
    up.add_argument(
        "--no-scheduler", action="store_true", help="do not run the scheduler (pods must name nodes)"
    )
    up.add_argument(
        "--no-proxy",
        action="store_true",
        help="do not run the local node's proxy (no Service IPs on this machine)",
    )
    up.add_argument(
        "--container-runtime-endpoint",
        default="",
        metavar="ENDPOINT",
        help="run the local node's pods on this CRI runtime (e.g. unix:///run/containerd/"
        "containerd.sock) instead of starting kubelite's own",
    )
    up.add_argument(
        "--registry-mirror",
        action="append",
        default=[],
        metavar="REGISTRY=ENDPOINT",
        help="the local node pulls REGISTRY's images from ENDPOINT first "
        "(e.g. docker.io=http://10.0.0.5:5000); repeatable",
    )
    up.add_argument("--simulated-nodes", type=int, default=0, metavar="N", help="add N simulated nodes")
    up.add_argument("--no-dns", action="store_true", help="do not run cluster DNS (kubelite dns)")
    up.add_argument(
        "--cluster-dns",
        default="",
        metavar="IP",
        help="the kube-dns Service's ClusterIP, the pods' nameserver (default: the tenth address of the "
        "service range, 10.96.0.10)",
    )
    up.add_argument("--cluster-domain", default="cluster.local", help="the cluster's DNS domain")
    up.add_argument(
        "--nodes",
        type=int,
        default=1,
        metavar="N",
        help="N real nodes: the local node and N-1 more, each in a network namespace of its own",
    )
    up.add_argument(
        "--node-network",
        default="172.31.0.0/24",
        metavar="CIDR",
        help="the extra nodes' addresses (the host has the first) with --nodes",
    )
    up.add_argument("--node-bridge", default="kl-nodes0", help="the host's bridge to the extra nodes")
    up.add_argument(
        "--node-ip",
        default="",
        metavar="IP",
        help="the local node's InternalIP, where its kubelet listens, e.g. this machine's address (default: "
        "127.0.0.1 when up listens on loopback; with --nodes, the first address of --node-network)",
    )
    up.add_argument(
        "--node-host-port",
        type=int,
        action="append",
        default=[],
        metavar="PORT",
        help="the host's 127.0.0.1:PORT answers on 127.0.0.1:PORT in every extra node too (a local "
        "registry; the API server's port always does); repeatable",
    )
    up.add_argument(
        "--cluster-cidr",
        default="",
        metavar="CIDR",
        help="the pods' range, a podCIDR per node cut from it (default 10.244.0.0/16)",
    )
    up.add_argument(
        "--node-kubelet-arg",
        action="append",
        default=[],
        metavar="--FLAG=VALUE",
        help="one more flag for the kubelets of the extra nodes (--nodes; repeatable)",
    )
    for component in ("apiserver", "scheduler", "controller-manager", "runtime", "kubelet", "dns", "proxy"):
        up.add_argument(
            f"--{component}-arg",
            action="append",
            default=[],
            metavar="--FLAG=VALUE",
            help=f"one more flag for `kubelite {component}` (repeatable)",
        )
    up.set_defaults(func=cmd_up)

    api = sub.add_parser("apiserver", help="run the API server")
    api.add_argument("--store", required=True, help="sqlite:///path/state.db or etcd://HOST:PORT[,...]")
    api.add_argument("--cert-dir", required=True, help="directory with ca.crt, apiserver.crt/.key")
    api.add_argument("--port", type=int, default=6443)
    api.add_argument("--bind-address", default="127.0.0.1")
    api.add_argument("--advertise-address", default="127.0.0.1")
    api.add_argument("--token-auth-file")
    api.add_argument("--service-cluster-ip-range", default="10.96.0.0/12")
    api.add_argument("--service-node-port-range", default="30000-32767")
    api.add_argument(
        "--compaction-interval",
        type=float,
        default=300.0,
        help="seconds between store compactions (0 disables)",
    )
    api.add_argument(
        "--kubelet-client-certificate", default="", help="the API server's client certificate to kubelets"
    )
    api.add_argument("--kubelet-client-key", default="")
    api.add_argument(
        "--kubelet-certificate-authority", default="", help="verify kubelets' serving certificates"
    )
    api.add_argument(
        "--kubelet-preferred-address-types",
        default="Hostname,InternalDNS,InternalIP,ExternalDNS,ExternalIP",
        help="which of a Node's addresses reaches its kubelet, in order",
    )
    api.add_argument(
        "--enable-admission-plugins",
        default="",
        metavar="NAMES",
        help="admission plugins to enable besides the default ones (comma-separated); they run in "
        "kube-apiserver's order whatever order they are named in",
    )
    api.add_argument(
        "--disable-admission-plugins",
        default="",
        metavar="NAMES",
        help="admission plugins to disable although they are on by default (comma-separated)",
    )
    api.add_argument(
        "--default-not-ready-toleration-seconds",
        type=int,
        default=300,
        help="tolerationSeconds of the not-ready:NoExecute toleration added to every pod",
    )
    api.add_argument(
        "--default-unreachable-toleration-seconds",
        type=int,
        default=300,
        help="tolerationSeconds of the unreachable:NoExecute toleration added to every pod",
    )
    _add_service_account_flags(api)
    api.set_defaults(func=cmd_apiserver)

    from kubelite.runtime.cli import add_subcommands as add_runtime_subcommands

    add_runtime_subcommands(sub, _run)
    from kubelite.kubelet.cli import add_subcommands as add_kubelet_subcommands

    add_kubelet_subcommands(sub, _run)
    from kubelite.scheduler.cli import add_subcommands as add_scheduler_subcommands

    add_scheduler_subcommands(sub, _run)
    from kubelite.controllermanager.cli import add_subcommands as add_controller_manager_subcommands

    add_controller_manager_subcommands(sub, _run)
    from kubelite.proxy.cli import add_subcommands as add_proxy_subcommands

    add_proxy_subcommands(sub, _run)
    from kubelite.dns.cli import add_subcommands as add_dns_subcommands

    add_dns_subcommands(sub, _run)
    from kubelite.hostgw.cli import add_subcommands as add_hostgw_subcommands

    add_hostgw_subcommands(sub, _run)
    from kubelite.server.nodes import add_subcommands as add_node_subcommands

    add_node_subcommands(sub, _run)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    code: int = args.func(args)
    return code
