"""`kubelite dns`, registered into `kubelite`'s parser by `kubelite/cli.py`.

kubelite dns --kubeconfig FILE [--bind-address 0.0.0.0] [--port 53]
             [--cluster-domain cluster.local] [--ttl 30] [--resolv-conf /etc/resolv.conf]
             [--upstream IP[:PORT] ...] [--health-port 8080] [--ready-port 8181]
             [--metrics-port 9153] [--publish-service kube-system/kube-dns
             --service-ip 10.96.0.10 --advertise-address IP]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kubelite.util.process import run_until_signalled


def options_from(args: argparse.Namespace) -> Any:
    from kubelite.dns.process import DNSOptions

    return DNSOptions(
        kubeconfig=Path(args.kubeconfig) if args.kubeconfig else None,
        bind_address=args.bind_address,
        port=args.port,
        cluster_domain=args.cluster_domain,
        ttl=args.ttl,
        resolv_conf=Path(args.resolv_conf),
        upstreams=tuple(args.upstream),
        forward_timeout=args.forward_timeout,
        http_bind_address=args.http_bind_address,
        health_port=args.health_port,
        ready_port=args.ready_port,
        metrics_port=args.metrics_port,
        publish_service=args.publish_service,
        service_ip=args.service_ip,
        advertise_address=args.advertise_address,
    )


def cmd_dns(args: argparse.Namespace, run: Callable[[Any], int]) -> int:
    from kubelite.client.config import ConfigError, load_config
    from kubelite.client.rest import Client
    from kubelite.dns.process import ClusterDNS

    options = options_from(args)
    if options.publish_service and "/" not in options.publish_service:
        raise SystemExit("kubelite dns: --publish-service must be NAMESPACE/NAME")
    try:
        config = load_config(options.kubeconfig)
    except ConfigError as err:
        raise SystemExit(f"kubelite dns: {err}") from None
    config.user_agent = "kubelite-dns/kubelite"

    async def main() -> None:
        async with Client(config) as client:
            await ClusterDNS(options, client).run()

    return run(run_until_signalled(main()))


def add_subcommands(sub: Any, run: Callable[[Any], int]) -> None:
    p = sub.add_parser("dns", help="run the cluster DNS server (the role of CoreDNS)")
    p.add_argument("--kubeconfig", default="", help="how to reach the API server (default: in-cluster)")
    p.add_argument("--bind-address", default="0.0.0.0", help="where DNS is served (UDP and TCP)")
    p.add_argument("--port", type=int, default=53, help="the DNS port (0: a free one)")
    p.add_argument("--cluster-domain", default="cluster.local")
    p.add_argument("--ttl", type=int, default=30, help="TTL of the cluster's records, seconds")
    p.add_argument("--resolv-conf", default="/etc/resolv.conf", help="the upstream resolvers' file")
    p.add_argument(
        "--upstream",
        action="append",
        default=[],
        metavar="IP[:PORT]",
        help="an upstream resolver (repeatable)",
    )
    p.add_argument("--forward-timeout", type=float, default=2.0, help="seconds to wait for one upstream")
    p.add_argument("--http-bind-address", default="0.0.0.0", help="where /health, /ready, /metrics listen")
    p.add_argument("--health-port", type=int, default=8080, help="/health (0: free, -1: off)")
    p.add_argument("--ready-port", type=int, default=8181, help="/ready (0: free, -1: off)")
    p.add_argument("--metrics-port", type=int, default=9153, help="/metrics (0: free, -1: off)")
    p.add_argument(
        "--publish-service",
        default="",
        metavar="NAMESPACE/NAME",
        help="keep this Service (made when missing) and this server among its endpoints",
    )
    p.add_argument("--service-ip", default="", help="the published Service's ClusterIP")
    p.add_argument("--advertise-address", default="", help="the address pods reach this server at")
    p.set_defaults(func=lambda a: cmd_dns(a, run))
