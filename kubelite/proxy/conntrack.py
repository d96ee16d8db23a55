"""Clearing UDP conntrack entries that would keep sending to the wrong place.

UDP has no connection to end: a client that keeps sending to a ClusterIP keeps the
conntrack entry of its first packet, and with it the endpoint chosen then. So after a sync:

    endpoint removed   delete the flows to the service (ClusterIP, external IPs, NodePort)
                       translated to that endpoint (`conntrack -D --dst-nat IP`)
    first endpoint     delete the flows to the service's addresses made while it had none
                       (they were rejected and cached as such)

with the conntrack tool (package `conntrack`), as kube-proxy did before it moved to netlink.
"""

from __future__ import annotations

import logging

from kubelite.proxy.changes import Snapshot
from kubelite.proxy.model import ServicePort
from kubelite.proxy.netcmd import CommandError, Runner

log = logging.getLogger("kubelite.proxy.conntrack")


def _targets(svc: ServicePort) -> list[list[str]]:
    out = [["--orig-dst", ip, "--orig-port-dst", str(svc.port)] for ip in (svc.cluster_ip, *svc.external_ips)]
    out += [["--orig-dst", ip, "--orig-port-dst", str(svc.port)] for ip in svc.load_balancer_ips]
    if svc.node_port:
        out.append(["--orig-port-dst", str(svc.node_port)])
    return out


def clear_stale(snapshot: Snapshot, runner: Runner) -> int:
    """Delete the stale UDP flows of `snapshot`; returns how many deletions were asked."""
    commands: list[list[str]] = []
    for svc in snapshot.stale_udp_services:
        commands += _targets(svc)
    for svc, ep in snapshot.stale_udp_endpoints:
        commands += [[*t, "--dst-nat", ep.ip] for t in _targets(svc)]
    for args in commands:
        try:
            # exit code 1 with "0 flow entries have been deleted" is the usual, fine outcome
            runner.run("conntrack", "-D", "-p", "udp", *args, check=False)
        except CommandError as err:
            log.warning("cannot clear UDP conntrack entries: %s", err)
            break
    return len(commands)
