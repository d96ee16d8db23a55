"""The nftables mode: rules.py's table applied with one `nft -f` transaction per sync.

Every sync replaces the `ip kube-proxy` table whole, in one transaction (atomic: packets
see the old table or the new one). kube-proxy 1.31 updates only changed chains and map
elements in its partial syncs; kubelite writes the table whole each time (see
docs/compatibility.md), which the benchmark measures.
"""

from __future__ import annotations

from kubelite.proxy import conntrack
from kubelite.proxy.changes import Snapshot
from kubelite.proxy.netcmd import Runner
from kubelite.proxy.nftables.rules import TABLE, NftConfig, build
from kubelite.proxy.proxier import SyncResult


class NftablesProxier:
    mode = "nftables"

    def __init__(self, config: NftConfig, runner: Runner | None = None) -> None:
        self.config = config
        self.runner = runner or Runner()
        self.last_text = ""

    def sync(self, snapshot: Snapshot) -> SyncResult:
        rs = build(snapshot.services, snapshot.endpoints, self.config)
        self.last_text = rs.text()
        self.runner.run("nft", "-f", "-", input=self.last_text)
        conntrack.clear_stale(snapshot, self.runner)
        return SyncResult(full=True, rules={"nftables": rs.rules}, written={"nftables": rs.rules})

    def cleanup(self) -> None:
        self.runner.run("nft", "delete", "table", "ip", TABLE, check=False)
