"""The options every control-plane component takes, and the flags that set them.

The flag names and defaults are component-base's, so a kube-scheduler or
kube-controller-manager command line reads the same here:

    --kubeconfig FILE                       how to reach the API server
    --kube-api-qps 50 --kube-api-burst 100  the client's token bucket (each component sets
                                            its own defaults)
    --leader-elect[=false] (default true)   one active instance among several
    --leader-elect-lease-duration 15s       a standby waits this long after the Lease last
    --leader-elect-renew-deadline 10s       changed; the leader gives up after failing to
    --leader-elect-retry-period 2s          renew for the deadline; attempts every period
    --leader-elect-resource-name NAME       the Lease (kube-scheduler, kube-controller-manager)
    --leader-elect-resource-namespace kube-system
    --bind-address --secure-port            the HTTPS health and metrics server (0: none)
    --tls-cert-file --tls-private-key-file  its certificate (default: self-signed)

Durations take Go's spelling (`15s`, `1m30s`, `500ms`) or plain seconds.
"""

from __future__ import annotations

import argparse
import re
from dataclasses import dataclass, field
from pathlib import Path

_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT_SECONDS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Seconds in a Go duration (`1m30s`, `250ms`) or a plain number of seconds."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    sign = -1.0 if text.startswith("-") else 1.0
    body = text.lstrip("+-")
    pos, total = 0, 0.0
    while pos < len(body):
        m = _DURATION_PART.match(body, pos)
        if m is None:
            raise ValueError(f'time: invalid duration "{text}"')
        total += float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
        pos = m.end()
    if not body:
        raise ValueError(f'time: invalid duration "{text}"')
    return sign * total


def parse_bool(text: str) -> bool:
    """A boolean flag's value as Go's flag package reads it (`--leader-elect=false`)."""
    value = text.strip().lower()
    if value in ("1", "t", "true"):
        return True
    if value in ("0", "f", "false"):
        return False
    raise argparse.ArgumentTypeError(f'invalid boolean value "{text}"')


def _duration(text: str) -> float:
    try:
        return parse_duration(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


@dataclass(slots=True)
class LeaderElectionOptions:
    """component-base's LeaderElectionConfiguration, with its defaults (15 s / 10 s / 2 s)."""

    leader_elect: bool = True
    lease_duration: float = 15.0
    renew_deadline: float = 10.0
    retry_period: float = 2.0
    resource_name: str = ""
    resource_namespace: str = "kube-system"


@dataclass(slots=True)
class ComponentOptions:
    """What every component process needs besides its own settings."""

    name: str  # the component's name: user agent, events' reporting component, logs
    kubeconfig: Path | None = None
    kube_api_qps: float = 50.0
    kube_api_burst: int = 100
    leader_election: LeaderElectionOptions = field(default_factory=LeaderElectionOptions)
    # The HTTPS health/metrics server. Kubernetes binds 0.0.0.0; kubelite keeps /metrics on
    # loopback unless asked, since it serves it without authentication.
    bind_address: str = "127.0.0.1"
    secure_port: int = 0  # 0: no server
    tls_cert_file: Path | None = None
    tls_private_key_file: Path | None = None


@dataclass(slots=True, frozen=True)
class ComponentDefaults:
    """Where one component's defaults differ from another's."""

    name: str
    secure_port: int
    lease_name: str
    kube_api_qps: float = 50.0
    kube_api_burst: int = 100


def add_flags(parser: argparse.ArgumentParser, defaults: ComponentDefaults) -> None:
    """Add component-base's flags to a component's subcommand parser."""
    g = parser.add_argument_group("component")
    g.add_argument("--kubeconfig", help="how to reach the API server (default: $KUBECONFIG, ~/.kube/config)")
    g.add_argument("--kube-api-qps", type=float, default=defaults.kube_api_qps, metavar="QPS")
    g.add_argument("--kube-api-burst", type=int, default=defaults.kube_api_burst, metavar="N")
    g.add_argument("--bind-address", default="127.0.0.1", help="address of the health and metrics server")
    g.add_argument(
        "--secure-port",
        type=int,
        default=defaults.secure_port,
        help=f"HTTPS port of /healthz, /readyz and /metrics (default {defaults.secure_port}; 0: none)",
    )
    g.add_argument("--tls-cert-file", help="serving certificate (default: self-signed, in memory)")
    g.add_argument("--tls-private-key-file")
    le = parser.add_argument_group("leader election")
    le.add_argument(
        "--leader-elect",
        type=parse_bool,
        nargs="?",
        const=True,
        default=True,
        metavar="BOOL",
        help="one of several instances, only the holder of the Lease active (--leader-elect=false: alone)",
    )
    le.add_argument("--no-leader-elect", dest="leader_elect", action="store_false", help=argparse.SUPPRESS)
    le.add_argument("--leader-elect-lease-duration", type=_duration, default=15.0, metavar="DURATION")
    le.add_argument("--leader-elect-renew-deadline", type=_duration, default=10.0, metavar="DURATION")
    le.add_argument("--leader-elect-retry-period", type=_duration, default=2.0, metavar="DURATION")
    le.add_argument("--leader-elect-resource-name", default=defaults.lease_name, metavar="NAME")
    le.add_argument("--leader-elect-resource-namespace", default="kube-system", metavar="NAMESPACE")
    le.add_argument(
        "--leader-elect-resource-lock", default="leases", choices=["leases"], help="only Leases exist now"
    )


def options_from_args(args: argparse.Namespace, name: str) -> ComponentOptions:
    """The ComponentOptions of a command line parsed with `add_flags`."""
    return ComponentOptions(
        name=name,
        kubeconfig=Path(args.kubeconfig) if args.kubeconfig else None,
        kube_api_qps=args.kube_api_qps,
        kube_api_burst=args.kube_api_burst,
        leader_election=LeaderElectionOptions(
            leader_elect=args.leader_elect,
            lease_duration=args.leader_elect_lease_duration,
            renew_deadline=args.leader_elect_renew_deadline,
            retry_period=args.leader_elect_retry_period,
            resource_name=args.leader_elect_resource_name,
            resource_namespace=args.leader_elect_resource_namespace,
        ),
        bind_address=args.bind_address,
        secure_port=args.secure_port,
        tls_cert_file=Path(args.tls_cert_file) if args.tls_cert_file else None,
        tls_private_key_file=Path(args.tls_private_key_file) if args.tls_private_key_file else None,
    )
