"""`kubelite proxy`'s options and flags, named and defaulted as kube-proxy's.

--kubeconfig FILE             how to reach the API server
--hostname-override NAME      the node this proxy serves (default: the hostname)
--proxy-mode MODE             iptables (default), nftables, userspace, ipvs (refused
                              without the kernel's IPVS; see ipvs.py)
--cluster-cidr CIDR           pods' range: traffic to a ClusterIP from outside it is
                              masqueraded
--service-cluster-ip-range CIDR  the Services' range: unreachable unless a rule
                              catches it (servicerange.py); default 10.96.0.0/12
--nodeport-addresses CIDRS    the node addresses NodePorts answer on (default: all)
--iptables-min-sync-period 1s / --iptables-sync-period 30s   the sync's bounds
--iptables-masquerade-bit 14  the fwmark bit of traffic to masquerade (0x4000)
--masquerade-all              masquerade every ClusterIP connection
--ipvs-scheduler rr           the userspace relays' backend choice (rr lc dh sh sed nq)
--healthz-bind-address 0.0.0.0:10256   --metrics-bind-address 127.0.0.1:10249
--cleanup                     remove every mode's rules and exit
--kube-api-qps 5 --kube-api-burst 10
--netns NAME                  (kubelite's) program the network namespace NAME instead of
                              the proxy's own: tests and benchmarks use their own netns
"""

from __future__ import annotations

import argparse
import ipaddress
import socket
from dataclasses import dataclass, field
from pathlib import Path

from kubelite.componentbase.options import parse_duration

MODES = ("iptables", "nftables", "userspace", "ipvs")
SCHEDULERS = ("rr", "lc", "dh", "sh", "sed", "nq")


@dataclass(slots=True)
class ProxyOptions:
    kubeconfig: Path | None = None
    hostname_override: str = ""
    mode: str = "iptables"
    cluster_cidr: str = ""
    service_cluster_ip_range: str = "10.96.0.0/12"
    nodeport_addresses: tuple[str, ...] = ()
    min_sync_period: float = 1.0
    sync_period: float = 30.0
    masquerade_bit: int = 14
    masquerade_all: bool = False
    ipvs_scheduler: str = "rr"
    healthz_bind_address: str = "0.0.0.0:10256"
    metrics_bind_address: str = "127.0.0.1:10249"
    cleanup: bool = False
    kube_api_qps: float = 5.0
    kube_api_burst: int = 10
    bind_address: str = "0.0.0.0"  # the address the userspace relays listen on
    netns: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def node_name(self) -> str:
        return (self.hostname_override or socket.gethostname()).strip().lower()

    @property
    def masquerade_mark(self) -> str:
        return f"{1 << self.masquerade_bit:#x}"


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _cidr(text: str) -> str:
    try:
        return str(ipaddress.ip_network(text, strict=False))
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid CIDR address: {text}") from None


def _cidrs(text: str) -> tuple[str, ...]:
    return tuple(_cidr(c.strip()) for c in text.split(",") if c.strip() and c.strip() != "primary")


def add_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument("--kubeconfig", help="how to reach the API server (default: $KUBECONFIG, ~/.kube/config)")
    p.add_argument(
        "--hostname-override", default="", metavar="NAME", help="the node's name (default: hostname)"
    )
    p.add_argument("--proxy-mode", default="iptables", choices=MODES, help="which proxy mode to use")
    p.add_argument("--cluster-cidr", default="", type=lambda t: _cidr(t) if t else "", metavar="CIDR")
    p.add_argument("--service-cluster-ip-range", default="10.96.0.0/12", type=_cidr, metavar="CIDR")
    p.add_argument("--nodeport-addresses", default="", type=_cidrs, metavar="CIDRS")
    p.add_argument("--iptables-min-sync-period", type=_duration, default=1.0, metavar="DURATION")
    p.add_argument("--iptables-sync-period", type=_duration, default=30.0, metavar="DURATION")
    p.add_argument("--iptables-masquerade-bit", type=int, default=14, metavar="BIT")
    p.add_argument("--masquerade-all", action="store_true")
    p.add_argument("--ipvs-scheduler", default="rr", choices=SCHEDULERS)
    p.add_argument("--healthz-bind-address", default="0.0.0.0:10256", metavar="IP:PORT")
    p.add_argument("--metrics-bind-address", default="127.0.0.1:10249", metavar="IP:PORT")
    p.add_argument("--bind-address", default="0.0.0.0", help="the address the userspace relays listen on")
    p.add_argument("--cleanup", action="store_true", help="remove the rules of every proxy mode and exit")
    p.add_argument("--kube-api-qps", type=float, default=5.0, metavar="QPS")
    p.add_argument("--kube-api-burst", type=int, default=10, metavar="N")
    p.add_argument(
        "--netns", default="", metavar="NAME", help="program this network namespace (kubelite's flag)"
    )


def options_from(args: argparse.Namespace) -> ProxyOptions:
    if not 0 <= args.iptables_masquerade_bit <= 31:
        raise ValueError(
            f"--iptables-masquerade-bit must be between 0 and 31, got {args.iptables_masquerade_bit}"
        )
    return ProxyOptions(
        kubeconfig=Path(args.kubeconfig) if args.kubeconfig else None,
        hostname_override=args.hostname_override,
        mode=args.proxy_mode,
        cluster_cidr=args.cluster_cidr,
        service_cluster_ip_range=args.service_cluster_ip_range,
        nodeport_addresses=args.nodeport_addresses,
        min_sync_period=args.iptables_min_sync_period,
        sync_period=args.iptables_sync_period,
        masquerade_bit=args.iptables_masquerade_bit,
        masquerade_all=args.masquerade_all,
        ipvs_scheduler=args.ipvs_scheduler,
        healthz_bind_address=args.healthz_bind_address,
        metrics_bind_address=args.metrics_bind_address,
        bind_address=args.bind_address,
        cleanup=args.cleanup,
        kube_api_qps=args.kube_api_qps,
        kube_api_burst=args.kube_api_burst,
        netns=args.netns,
    )
