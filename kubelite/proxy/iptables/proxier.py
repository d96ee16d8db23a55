"""The iptables mode: rules.py's text applied with one `iptables-restore --noflush`.

    sync(snapshot)
      full (the first, after a failure, and every --iptables-sync-period):
        ensure the jumps from the built-in chains (INPUT, FORWARD, OUTPUT, PREROUTING,
        POSTROUTING) to KUBE-*, read the nat table's chains (iptables-save), write all
      partial (otherwise): write KUBE-SERVICES and the changed services' chains only
      then clear stale UDP conntrack flows of the snapshot

The jumps are the only rules written one by one (`iptables -C`, else `-I ... 1`), as
kube-proxy does, and only on full syncs; everything else is one restore, atomic per table.
A restore of many chains lists the nat table first, which iptables-nft applies ~7x faster.
"""

from __future__ import annotations

import logging

from kubelite.proxy import conntrack
from kubelite.proxy.changes import Snapshot
from kubelite.proxy.iptables import names as n
from kubelite.proxy.iptables.rules import RulesConfig, RuleSet, build, table_header
from kubelite.proxy.netcmd import CommandError, Runner
from kubelite.proxy.proxier import SyncResult

log = logging.getLogger("kubelite.proxy.iptables")

# (table, built-in chain, our chain, extra match, comment), in kube-proxy's order
JUMPS: tuple[tuple[str, str, str, tuple[str, ...], str], ...] = (
    (
        "filter",
        "INPUT",
        n.KUBE_EXTERNAL_SERVICES,
        ("-m", "conntrack", "--ctstate", "NEW"),
        "kubernetes externally-visible service portals",
    ),
    (
        "filter",
        "FORWARD",
        n.KUBE_EXTERNAL_SERVICES,
        ("-m", "conntrack", "--ctstate", "NEW"),
        "kubernetes externally-visible service portals",
    ),
    ("filter", "INPUT", n.KUBE_NODEPORTS, (), "kubernetes health check service ports"),
    (
        "filter",
        "FORWARD",
        n.KUBE_SERVICES,
        ("-m", "conntrack", "--ctstate", "NEW"),
        "kubernetes service portals",
    ),
    (
        "filter",
        "OUTPUT",
        n.KUBE_SERVICES,
        ("-m", "conntrack", "--ctstate", "NEW"),
        "kubernetes service portals",
    ),
    ("filter", "FORWARD", n.KUBE_FORWARD, (), "kubernetes forwarding rules"),
    (
        "filter",
        "INPUT",
        n.KUBE_PROXY_FIREWALL,
        ("-m", "conntrack", "--ctstate", "NEW"),
        "kubernetes load balancer firewall",
    ),
    (
        "filter",
        "OUTPUT",
        n.KUBE_PROXY_FIREWALL,
        ("-m", "conntrack", "--ctstate", "NEW"),
        "kubernetes load balancer firewall",
    ),
    (
        "filter",
        "FORWARD",
        n.KUBE_PROXY_FIREWALL,
        ("-m", "conntrack", "--ctstate", "NEW"),
        "kubernetes load balancer firewall",
    ),
    ("nat", "OUTPUT", n.KUBE_SERVICES, (), "kubernetes service portals"),
    ("nat", "PREROUTING", n.KUBE_SERVICES, (), "kubernetes service portals"),
    ("nat", "POSTROUTING", n.KUBE_POSTROUTING, (), "kubernetes postrouting rules"),
)
FIXED_CHAINS = {
    "nat": (n.KUBE_SERVICES, n.KUBE_NODEPORTS, n.KUBE_POSTROUTING, n.KUBE_MARK_MASQ),
    "filter": (
        n.KUBE_SERVICES,
        n.KUBE_EXTERNAL_SERVICES,
        n.KUBE_FORWARD,
        n.KUBE_NODEPORTS,
        n.KUBE_PROXY_FIREWALL,
    ),
}


def chains_in(save: str) -> set[str]:
    """The chain names an iptables-save of one table declares."""
    return {line[1:].split(" ", 1)[0] for line in save.splitlines() if line.startswith(":")}


class IptablesProxier:
    mode = "iptables"

    def __init__(self, config: RulesConfig, runner: Runner | None = None) -> None:
        self.config = config
        self.runner = runner or Runner()
        self.need_full = True
        self._chains: set[str] = set()  # the service chains the last sync left active
        self._service_rules: dict[str, int] = {}  # service key -> nat rules in its own chains
        self.last_text = ""

    def sync(self, snapshot: Snapshot) -> SyncResult:
        full = self.need_full
        if full:
            self._ensure_jumps()
            existing = chains_in(self.runner.run("iptables-save", "-t", "nat").stdout)
        else:
            existing = self._chains
        rs = build(
            snapshot.services,
            snapshot.endpoints,
            self.config,
            changed=None if full else snapshot.changed,
            existing_chains=existing,
        )
        self.last_text = rs.text()
        self.need_full = True  # until this restore is known to have worked
        self.runner.run("iptables-restore", "-w", "5", "--noflush", input=self.last_text)
        self.need_full = False
        self._chains = rs.active_nat_chains
        conntrack.clear_stale(snapshot, self.runner)
        return self._result(full, rs, snapshot)

    def _result(self, full: bool, rs: RuleSet, snapshot: Snapshot) -> SyncResult:
        if full:
            self._service_rules = {}
        self._service_rules.update(rs.service_rules)
        for key in list(self._service_rules):
            if key in snapshot.changed and key not in rs.service_rules:
                del self._service_rules[key]
        shared = len(rs.nat_rules) - sum(rs.service_rules.values())
        return SyncResult(
            full=full,
            rules={"filter": len(rs.filter_rules), "nat": shared + sum(self._service_rules.values())},
            written={"filter": len(rs.filter_rules), "nat": len(rs.nat_rules)},
            no_local_internal=rs.no_local_internal,
            no_local_external=rs.no_local_external,
        )

    def _ensure_jumps(self) -> None:
        for table, chain, target, match, comment in JUMPS:
            self.runner.run("iptables", "-w", "5", "-t", table, "-N", target, check=False)
            args = [*match, "-m", "comment", "--comment", comment, "-j", target]
            if (
                self.runner.run(
                    "iptables", "-w", "5", "-t", table, "-C", chain, *args, check=False
                ).returncode
                != 0
            ):
                self.runner.run("iptables", "-w", "5", "-t", table, "-I", chain, "1", *args)

    def cleanup(self) -> None:
        for table, chain, target, match, comment in JUMPS:
            args = [*match, "-m", "comment", "--comment", comment, "-j", target]
            while (
                self.runner.run(
                    "iptables", "-w", "5", "-t", table, "-D", chain, *args, check=False
                ).returncode
                == 0
            ):
                pass
        for table in ("nat", "filter"):
            try:
                existing = chains_in(self.runner.run("iptables-save", "-t", table).stdout)
            except CommandError as err:
                log.warning("cannot read the %s table: %s", table, err)
                continue
            ours = [
                c for c in existing if c in FIXED_CHAINS[table] or (table == "nat" and n.is_service_chain(c))
            ]
            if not ours:
                continue
            declared = (f":{c} - [0:0]" for c in ours)
            lines = [*table_header(table, len(ours)), *declared, *(f"-X {c}" for c in ours), "COMMIT", ""]
            self.runner.run("iptables-restore", "-w", "5", "--noflush", input="\n".join(lines))
        self.need_full = True
        self._chains = set()
