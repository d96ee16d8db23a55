"""Pod-to-pod traffic keeps its source address: the masquerade exemption.

The CNI `bridge` plugin with `ipMasq` masquerades everything a pod sends outside its own
node's range, pods on other nodes included; Kubernetes' network model wants a pod to see
the other pod's own IP. The agent puts one rule first in its namespace's nat POSTROUTING
chain, as flannel does:

    -s <cluster CIDR> -d <cluster CIDR> -j RETURN     (comment "kubelite hostgw: ...")

so traffic between pod ranges leaves unchanged and only traffic leaving the cluster's
ranges is masqueraded. The rule is the agent's alone (its comment names the cluster
CIDR); it is removed when the agent stops.
"""

from __future__ import annotations

import subprocess
from typing import Protocol


class NatRules(Protocol):
    def ensure(self) -> None:
        """Put the exemption in place (first in the chain); idempotent."""
        ...

    def remove(self) -> None:
        """Take it out; absent already is not an error."""
        ...


class PodToPodExemption:
    def __init__(self, cluster_cidr: str) -> None:
        comment = f"kubelite hostgw: pod to pod without NAT in {cluster_cidr}"
        self.rule = [
            "-s",
            cluster_cidr,
            "-d",
            cluster_cidr,
            "-m",
            "comment",
            "--comment",
            comment,
            "-j",
            "RETURN",
        ]

    def _iptables(self, *args: str) -> bool:
        argv = ["iptables", "-w", "5", "-t", "nat", *args]
        return subprocess.run(argv, capture_output=True).returncode == 0

    def ensure(self) -> None:
        if not self._iptables("-C", "POSTROUTING", *self.rule):
            if not self._iptables("-I", "POSTROUTING", "1", *self.rule):
                raise OSError("iptables could not insert the pod-to-pod masquerade exemption")

    def remove(self) -> None:
        while self._iptables("-D", "POSTROUTING", *self.rule):
            pass


class NoNatRules:
    """For tests and for namespaces without iptables: nothing to do."""

    def ensure(self) -> None:
        pass

    def remove(self) -> None:
        pass
