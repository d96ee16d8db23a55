"""The userspace mode: relays in this process, iptables redirects to them.

    sync(snapshot)  (called in a worker thread; the relays live on the event loop)
      for each TCP/UDP service port: start its relay if new (a free port on --bind-address),
        give it the endpoints (cluster-policy ones, terminating only as a fallback),
      stop the relays of service ports gone,
      then one iptables-restore of the redirect chains, as the old userspace proxier had:

    nat PREROUTING ─▶ KUBE-PORTALS-CONTAINER  -d CLUSTER_IP --dport P -j REDIRECT --to-ports RELAY
                 ─▶ KUBE-NODEPORT-CONTAINER   -m addrtype --dst-type LOCAL --dport NODE_PORT -j REDIRECT
    nat OUTPUT     ─▶ KUBE-PORTALS-HOST       (the node's own connections, same rules)
                 ─▶ KUBE-NODEPORT-HOST

REDIRECT sends a pod's packet to the relay on the bridge address and the node's own to
127.0.0.1, so the relays listen on every address by default. Kubernetes' old proxier used
DNAT to the node IP in the HOST chains; REDIRECT does the same here without knowing it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any, TypeVar

from kubelite.proxy.changes import Snapshot
from kubelite.proxy.model import ServicePort, ServicePortName, categorize
from kubelite.proxy.netcmd import CommandError, Runner
from kubelite.proxy.proxier import SyncResult
from kubelite.proxy.userspace.relay import ServiceRelay
from kubelite.proxy.userspace.schedulers import new_scheduler
from kubelite.util.clock import Clock, RealClock

log = logging.getLogger("kubelite.proxy.userspace")
T = TypeVar("T")

PORTALS_CONTAINER = "KUBE-PORTALS-CONTAINER"
PORTALS_HOST = "KUBE-PORTALS-HOST"
NODEPORT_CONTAINER = "KUBE-NODEPORT-CONTAINER"
NODEPORT_HOST = "KUBE-NODEPORT-HOST"
JUMPS = (
    ("PREROUTING", PORTALS_CONTAINER, "handle ClusterIPs; NOTE: this must be before the NodePort rules"),
    ("OUTPUT", PORTALS_HOST, "handle ClusterIPs; NOTE: this must be before the NodePort rules"),
    (
        "PREROUTING",
        NODEPORT_CONTAINER,
        "handle service NodePorts; NOTE: this must be the last rule in the chain",
    ),
    ("OUTPUT", NODEPORT_HOST, "handle service NodePorts; NOTE: this must be the last rule in the chain"),
)


def redirect_rules(relays: dict[ServicePortName, tuple[ServicePort, int]]) -> str:
    """The nat table's redirect chains for `relays` (service port -> its relay port)."""
    chains = [PORTALS_CONTAINER, PORTALS_HOST, NODEPORT_CONTAINER, NODEPORT_HOST]
    lines = ["*nat", *(f":{c} - [0:0]" for c in chains)]
    for name in sorted(relays):
        svc, port = relays[name]
        proto = svc.protocol.lower()
        match = f'-m comment --comment "{name}" -p {proto} -m {proto}'
        for ip in (svc.cluster_ip, *svc.external_ips):
            for chain in (PORTALS_CONTAINER, PORTALS_HOST):
                lines.append(
                    f"-A {chain} {match} -d {ip}/32 --dport {svc.port} -j REDIRECT --to-ports {port}"
                )
        if svc.node_port:
            for chain in (NODEPORT_CONTAINER, NODEPORT_HOST):
                lines.append(
                    f"-A {chain} {match} -m addrtype --dst-type LOCAL --dport {svc.node_port} "
                    f"-j REDIRECT --to-ports {port}"
                )
    return "\n".join([*lines, "COMMIT", ""])


class UserspaceProxier:
    mode = "userspace"

    def __init__(
        self,
        runner: Runner | None = None,
        *,
        scheduler: str = "rr",
        bind: str = "0.0.0.0",
        clock: Clock | None = None,
    ) -> None:
        self.runner = runner or Runner()
        self.scheduler = scheduler
        self.bind = bind
        self.clock = clock or RealClock()
        self.loop: asyncio.AbstractEventLoop | None = None
        self.relays: dict[ServicePortName, ServiceRelay] = {}
        self.need_full = True

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        """The event loop the relays run on (the process's)."""
        self.loop = loop

    def _on_loop(self, coro: Coroutine[Any, Any, T]) -> T:
        assert self.loop is not None, "attach() the event loop first"
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result()

    def sync(self, snapshot: Snapshot) -> SyncResult:
        full = self.need_full
        if full:
            self._ensure_jumps()
        self._on_loop(self._sync_relays(snapshot))
        ports = {name: (snapshot.services[name], r.port) for name, r in self.relays.items()}
        text = redirect_rules(ports)
        self.need_full = True
        self.runner.run("iptables-restore", "-w", "5", "--noflush", input=text)
        self.need_full = False
        count = sum(1 for line in text.splitlines() if line.startswith("-A "))
        return SyncResult(full=full, rules={"nat": count}, written={"nat": count})

    async def _sync_relays(self, snapshot: Snapshot) -> None:
        for name in [n for n in self.relays if n not in snapshot.services]:
            await self.relays.pop(name).stop()
        for name, svc in snapshot.services.items():
            if svc.protocol not in ("TCP", "UDP"):
                continue
            relay = self.relays.get(name)
            if relay is not None and (
                relay.cluster_ip != svc.cluster_ip or relay.affinity_seconds != svc.session_affinity_seconds
            ):
                await self.relays.pop(name).stop()
                relay = None
            if relay is None:
                relay = ServiceRelay(
                    str(name),
                    svc.protocol,
                    svc.cluster_ip,
                    new_scheduler(self.scheduler),
                    bind=self.bind,
                    affinity_seconds=svc.session_affinity_seconds,
                    clock=self.clock,
                )
                await relay.start()
                self.relays[name] = relay
            eps = categorize(list(snapshot.endpoints.get(name, ())), svc).cluster
            relay.set_backends([(e.ip, e.port) for e in eps])

    def _ensure_jumps(self) -> None:
        for chain, target, comment in JUMPS:
            self.runner.run("iptables", "-w", "5", "-t", "nat", "-N", target, check=False)
            args = ["-m", "comment", "--comment", comment, "-j", target]
            if (
                self.runner.run(
                    "iptables", "-w", "5", "-t", "nat", "-C", chain, *args, check=False
                ).returncode
                != 0
            ):
                self.runner.run("iptables", "-w", "5", "-t", "nat", "-A", chain, *args)

    def cleanup(self) -> None:
        for chain, target, comment in JUMPS:
            args = ["-m", "comment", "--comment", comment, "-j", target]
            while (
                self.runner.run(
                    "iptables", "-w", "5", "-t", "nat", "-D", chain, *args, check=False
                ).returncode
                == 0
            ):
                pass
        try:
            save = self.runner.run("iptables-save", "-t", "nat").stdout
        except CommandError as err:
            log.warning("cannot read the nat table: %s", err)
            return
        ours = [
            c
            for c in (PORTALS_CONTAINER, PORTALS_HOST, NODEPORT_CONTAINER, NODEPORT_HOST)
            if f":{c} " in save
        ]
        if ours:
            lines = ["*nat", *(f":{c} - [0:0]" for c in ours), *(f"-X {c}" for c in ours), "COMMIT", ""]
            self.runner.run("iptables-restore", "-w", "5", "--noflush", input="\n".join(lines))
        self.need_full = True
