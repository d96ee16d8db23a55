"""The IPVS schedulers, as the Linux kernel defines them, for the userspace relays.

Each picks one backend (a "real server") for a new connection, or None when none may
take it. A backend with weight 0 is never chosen (IPVS's "quiesced" server).

    rr   round robin: the next backend after the last one chosen; weights ignored
    lc   least connections: the fewest active connections (ties: the first listed)
    dh   destination hashing: a static 256-bucket table filled with the backends in turn,
         indexed by a hash of the destination address (the Service IP here): one backend
         per destination as long as the set of backends is the same
    sh   source hashing: the same with the client's address, each backend holding as many
         consecutive buckets as its weight: one backend per client
    sed  shortest expected delay: the smallest (active + 1) / weight
    nq   never queue: an idle backend (no active connection) if there is one, else sed

`active` is counted live by the relays: +1 when a connection (or UDP session) starts,
-1 when it ends (`Backend.opened` / `closed`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

TABLE_SIZE = 256  # IP_VS_DH_TAB_SIZE / IP_VS_SH_TAB_SIZE (8 bits)
GOLDEN = 2654435761  # the multiplicative hash the kernel uses


@dataclass(slots=True, eq=False)
class Backend:
    ip: str
    port: int
    weight: int = 1
    active: int = 0

    @property
    def address(self) -> str:
        return f"{self.ip}:{self.port}"

    def opened(self) -> None:
        self.active += 1

    def closed(self) -> None:
        self.active = max(0, self.active - 1)


class Scheduler(Protocol):
    name: str

    def update(self, backends: Sequence[Backend]) -> None:
        """The backend set changed (hash tables are rebuilt; counters live on Backend)."""
        ...

    def pick(self, backends: Sequence[Backend], *, client: str, destination: str) -> Backend | None:
        """The backend for a new connection from `client` to `destination`."""
        ...


def _available(backends: Sequence[Backend]) -> list[Backend]:
    return [b for b in backends if b.weight > 0]


def _hash(ip: str) -> int:
    return (int(ipaddress.ip_address(ip)) * GOLDEN) % (1 << 32) % TABLE_SIZE


class RoundRobin:
    name = "rr"

    def __init__(self) -> None:
        self._last: str | None = None

    def update(self, backends: Sequence[Backend]) -> None:
        pass

    def pick(self, backends: Sequence[Backend], *, client: str, destination: str) -> Backend | None:
        order = list(backends)
        start = next((i + 1 for i, b in enumerate(order) if b.address == self._last), 0)
        for b in order[start:] + order[:start]:
            if b.weight > 0:
                self._last = b.address
                return b
        return None


class LeastConnections:
    name = "lc"

    def update(self, backends: Sequence[Backend]) -> None:
        pass

    def pick(self, backends: Sequence[Backend], *, client: str, destination: str) -> Backend | None:
        available = _available(backends)
        return min(available, key=lambda b: b.active) if available else None


class _Hashing:
    """dh and sh: a 256-bucket table from the backend list, indexed by an address's hash."""

    weighted = False

    def __init__(self) -> None:
        self._table: list[str] = []

    def update(self, backends: Sequence[Backend]) -> None:
        table: list[str] = []
        if backends:
            cycle = [b.address for b in backends for _ in range(max(1, b.weight) if self.weighted else 1)]
            table = [cycle[i % len(cycle)] for i in range(TABLE_SIZE)]
        self._table = table

    def _lookup(self, backends: Sequence[Backend], ip: str) -> Backend | None:
        if not self._table:
            self.update(backends)
        if not self._table:
            return None
        address = self._table[_hash(ip)]
        chosen = next((b for b in backends if b.address == address), None)
        return chosen if chosen is not None and chosen.weight > 0 else None


class DestinationHashing(_Hashing):
    name = "dh"

    def pick(self, backends: Sequence[Backend], *, client: str, destination: str) -> Backend | None:
        return self._lookup(backends, destination)


class SourceHashing(_Hashing):
    name = "sh"
    weighted = True

    def pick(self, backends: Sequence[Backend], *, client: str, destination: str) -> Backend | None:
        return self._lookup(backends, client)


def _shortest_expected_delay(available: list[Backend]) -> Backend | None:
    best: Backend | None = None
    for b in available:  # (active+1)/weight smallest, compared without division as IPVS does
        if best is None or (best.active + 1) * b.weight > (b.active + 1) * best.weight:
            best = b
    return best


class ShortestExpectedDelay:
    name = "sed"

    def update(self, backends: Sequence[Backend]) -> None:
        pass

    def pick(self, backends: Sequence[Backend], *, client: str, destination: str) -> Backend | None:
        return _shortest_expected_delay(_available(backends))


class NeverQueue:
    name = "nq"

    def update(self, backends: Sequence[Backend]) -> None:
        pass

    def pick(self, backends: Sequence[Backend], *, client: str, destination: str) -> Backend | None:
        available = _available(backends)
        idle = next((b for b in available if b.active == 0), None)
        return idle if idle is not None else _shortest_expected_delay(available)


SCHEDULERS: dict[str, type[Scheduler]] = {
    "rr": RoundRobin,
    "lc": LeastConnections,
    "dh": DestinationHashing,
    "sh": SourceHashing,
    "sed": ShortestExpectedDelay,
    "nq": NeverQueue,
}


def new_scheduler(name: str) -> Scheduler:
    """A fresh scheduler of `name` (rr, lc, dh, sh, sed, nq); "" means rr, as kube-proxy."""
    return SCHEDULERS[name or "rr"]()
