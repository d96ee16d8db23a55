"""`kubelite hostgw`, registered into `kubelite`'s parser by `kubelite/cli.py`.

kubelite hostgw --kubeconfig FILE --node-name NAME [--cluster-cidr 10.244.0.0/16]

Run it on every node, in the node's network namespace (as root: it changes the routing
table and the nat table). `kubelite up --nodes N` runs one per node.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kubelite.util.process import run_until_signalled

DEFAULT_CLUSTER_CIDR = "10.244.0.0/16"  # the controller manager's --cluster-cidr default


async def run_hostgw(kubeconfig: str, node_name: str, cluster_cidr: str, masquerade_exemption: bool) -> None:
    from kubelite.client.config import load_kubeconfig
    from kubelite.client.rest import Client
    from kubelite.hostgw.controller import RouteController
    from kubelite.hostgw.masquerade import NoNatRules, PodToPodExemption
    from kubelite.hostgw.routes import KernelRoutes

    config = load_kubeconfig(Path(kubeconfig) if kubeconfig else None)
    config.user_agent = "kubelite-hostgw"
    nat = PodToPodExemption(cluster_cidr) if masquerade_exemption else NoNatRules()
    async with Client(config) as client:
        controller = RouteController(
            client, KernelRoutes(), nat, node_name=node_name, cluster_cidr=cluster_cidr
        )
        await controller.run()


def cmd_hostgw(args: argparse.Namespace, run: Callable[[Any], int]) -> int:
    import ipaddress
    import socket

    try:
        if ipaddress.ip_network(args.cluster_cidr).version != 4:
            raise ValueError("only IPv4 pod networks are routed")
    except ValueError as err:
        raise SystemExit(f"kubelite hostgw: --cluster-cidr {args.cluster_cidr}: {err}") from None
    name = args.node_name or socket.gethostname().lower()
    return run(
        run_until_signalled(run_hostgw(args.kubeconfig, name, args.cluster_cidr, args.masquerade_exemption))
    )


def add_subcommands(sub: Any, run: Callable[[Any], int]) -> None:
    p = sub.add_parser("hostgw", help="route the pod networks of the other nodes (host-gateway)")
    p.add_argument("--kubeconfig", default="", help="how to reach the API server (default: $KUBECONFIG)")
    p.add_argument("--node-name", default="", help="this node (no route to itself); default: the host name")
    p.add_argument(
        "--cluster-cidr", default=DEFAULT_CLUSTER_CIDR, help="the range every node's podCIDR is cut from"
    )
    p.add_argument(
        "--masquerade-exemption",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="keep pod source addresses between pod ranges (an iptables nat rule)",
    )
    p.set_defaults(func=lambda a: cmd_hostgw(a, run))
