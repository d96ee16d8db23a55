"""A cluster CIDR cut into equal node CIDRs, and which of them are taken.

    --cluster-cidr 10.244.0.0/16, --node-cidr-mask-size 24
      → 256 node CIDRs: 10.244.0.0/24, 10.244.1.0/24, ... 10.244.255.0/24

`allocate()` hands out the first free one at or after the one after the last handed out
(round robin, as Kubernetes' cidrset does, so a CIDR just released is not reused at once);
`occupy()` marks one already on a node as taken (on start, from the existing nodes);
`release()` frees it when its node is gone.
"""

from __future__ import annotations

import ipaddress

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class CIDRRangeFull(Exception):
    """Every node CIDR of the cluster CIDR is taken."""


class CIDROutOfRange(ValueError):
    """A CIDR that is not one of this set's node CIDRs."""


class CIDRSet:
    def __init__(self, cluster_cidr: Network, mask_size: int) -> None:
        if mask_size < cluster_cidr.prefixlen:
            raise ValueError(
                f"the node CIDR mask size {mask_size} is smaller than the cluster CIDR's "
                f"{cluster_cidr.prefixlen}"
            )
        if mask_size - cluster_cidr.prefixlen > 16:
            raise ValueError(
                f"the cluster CIDR {cluster_cidr} holds more than 65536 node CIDRs of size /{mask_size}"
            )
        self.cluster_cidr = cluster_cidr
        self.mask_size = mask_size
        self.max_cidrs = 1 << (mask_size - cluster_cidr.prefixlen)
        self._step = 1 << (cluster_cidr.max_prefixlen - mask_size)
        self._used: set[int] = set()
        self._next = 0

    def __len__(self) -> int:
        return len(self._used)

    def _network(self, index: int) -> Network:
        base = int(self.cluster_cidr.network_address) + index * self._step
        return ipaddress.ip_network((base, self.mask_size))

    def _index(self, cidr: Network) -> int:
        if cidr.version != self.cluster_cidr.version or not cidr.subnet_of(self.cluster_cidr):  # type: ignore[arg-type]
            raise CIDROutOfRange(f"CIDR {cidr} is out the range of cluster CIDR {self.cluster_cidr}")
        if cidr.prefixlen != self.mask_size:
            raise CIDROutOfRange(f"CIDR {cidr} is not a /{self.mask_size} of {self.cluster_cidr}")
        return (int(cidr.network_address) - int(self.cluster_cidr.network_address)) // self._step

    def allocate(self) -> Network:
        for offset in range(self.max_cidrs):
            index = (self._next + offset) % self.max_cidrs
            if index not in self._used:
                self._used.add(index)
                self._next = (index + 1) % self.max_cidrs
                return self._network(index)
        raise CIDRRangeFull(f"no remaining CIDRs left to allocate in {self.cluster_cidr}")

    def occupy(self, cidr: Network) -> None:
        self._used.add(self._index(cidr))

    def release(self, cidr: Network) -> None:
        self._used.discard(self._index(cidr))

    def occupy_overlapping(self, other: Network) -> None:
        """Mark every node CIDR overlapping `other` as taken (the service range, say)."""
        if other.version != self.cluster_cidr.version or not other.overlaps(self.cluster_cidr):
            return
        for index in range(self.max_cidrs):
            if self._network(index).overlaps(other):
                self._used.add(index)
