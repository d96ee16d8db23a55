"""The seam between the sync loop and a proxy mode.

Each mode (iptables/, nftables/, userspace/) implements `Proxier`: `sync(snapshot)`
makes the node's rules match the snapshot and `cleanup()` removes whatever the mode ever
installed. The sync loop (process.py) calls them one at a time, off the event loop (they
run the machine's tools), so a mode needs no locking of its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from kubelite.proxy.changes import Snapshot


@dataclass(slots=True)
class SyncResult:
    full: bool  # a full sync (every chain written) rather than a partial one
    rules: dict[str, int] = field(default_factory=dict)  # table -> rules owned now
    written: dict[str, int] = field(default_factory=dict)  # table -> rules written by this sync
    no_local_internal: int = 0
    no_local_external: int = 0


class Proxier(Protocol):
    mode: str

    def sync(self, snapshot: Snapshot) -> SyncResult:
        """Program the node for `snapshot` (whose `changed` names what differs from the
        previous call). Raises on failure; the next call then rewrites everything.
        Blocking; never called concurrently."""
        ...

    def cleanup(self) -> None:
        """Remove every rule, chain, table or listener this mode installs; idempotent,
        fine to call when nothing is installed."""
        ...
