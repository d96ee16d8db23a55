"""The nftables mode: rules.py's table applied with one `nft -f` transaction per sync.

A full sync (the first, after a failure, every --iptables-sync-period) replaces the `ip
kube-proxy` table whole; a partial sync replaces only the changed services' chains, sets and
map elements (and the cluster-ips set), as kube-proxy 1.31's partial syncs do. Either is one
transaction: packets see the old rules or the new ones.
"""

from __future__ import annotations

from kubelite.proxy import conntrack
from kubelite.proxy.changes import Snapshot
from kubelite.proxy.netcmd import Runner
from kubelite.proxy.nftables.rules import TABLE, NftConfig, ServiceParts, build, partial
from kubelite.proxy.proxier import SyncResult


class NftablesProxier:
    mode = "nftables"

    def __init__(self, config: NftConfig, runner: Runner | None = None) -> None:
        self.config = config
        self.runner = runner or Runner()
        self.last_text = ""
        self.need_full = True
        self._parts: dict[str, ServiceParts] = {}
        self._rules = 0

    def sync(self, snapshot: Snapshot) -> SyncResult:
        full = self.need_full
        rs = build(snapshot.services, snapshot.endpoints, self.config)
        if full:
            self.last_text, written = rs.text(), rs.rules
        else:
            self.last_text, written = partial(self._parts, rs.parts, snapshot.changed, rs.cluster_ips)
        self.need_full = True  # until this transaction is known to have worked
        self.runner.run("nft", "-f", "-", input=self.last_text)
        self.need_full = False
        self._parts = rs.parts
        conntrack.clear_stale(snapshot, self.runner)
        return SyncResult(full=full, rules={"nftables": rs.rules}, written={"nftables": written})

    def cleanup(self) -> None:
        self.runner.run("nft", "delete", "table", "ip", TABLE, check=False)
