"""The taints the node lifecycle controller keeps on nodes.

NoSchedule, from the node's conditions and spec (TaintNodesByCondition), written as soon
as a node changes:

    Ready False               node.kubernetes.io/not-ready:NoSchedule
    Ready Unknown             node.kubernetes.io/unreachable:NoSchedule
    MemoryPressure True       node.kubernetes.io/memory-pressure:NoSchedule
    DiskPressure True         node.kubernetes.io/disk-pressure:NoSchedule
    PIDPressure True          node.kubernetes.io/pid-pressure:NoSchedule
    NetworkUnavailable True   node.kubernetes.io/network-unavailable:NoSchedule
    spec.unschedulable        node.kubernetes.io/unschedulable:NoSchedule

NoExecute, which evicts pods, only not-ready and unreachable - one at a time, as Ready is
False or Unknown - added through each zone's rate-limited queue and removed as soon as the
node is Ready again.
"""

from __future__ import annotations

from kubelite.api.types import Object
from kubelite.controllers.nodes import taints_of

NOT_READY_KEY = "node.kubernetes.io/not-ready"
UNREACHABLE_KEY = "node.kubernetes.io/unreachable"
UNSCHEDULABLE_KEY = "node.kubernetes.io/unschedulable"
NOT_READY_TAINT: Object = {"key": NOT_READY_KEY, "effect": "NoExecute"}
UNREACHABLE_TAINT: Object = {"key": UNREACHABLE_KEY, "effect": "NoExecute"}

# (condition type, status) -> the NoSchedule taint's key
CONDITION_TAINTS = {
    ("Ready", "False"): NOT_READY_KEY,
    ("Ready", "Unknown"): UNREACHABLE_KEY,
    ("MemoryPressure", "True"): "node.kubernetes.io/memory-pressure",
    ("DiskPressure", "True"): "node.kubernetes.io/disk-pressure",
    ("NetworkUnavailable", "True"): "node.kubernetes.io/network-unavailable",
    ("PIDPressure", "True"): "node.kubernetes.io/pid-pressure",
}
_MANAGED_KEYS = frozenset(CONDITION_TAINTS.values()) | {UNSCHEDULABLE_KEY}


def wanted_no_schedule(node: Object) -> list[Object]:
    """The NoSchedule taints the node's conditions and spec call for."""
    taints = []
    for c in (node.get("status") or {}).get("conditions") or ():
        key = CONDITION_TAINTS.get((c.get("type"), c.get("status")))
        if key is not None:
            taints.append({"key": key, "effect": "NoSchedule"})
    if (node.get("spec") or {}).get("unschedulable"):
        taints.append({"key": UNSCHEDULABLE_KEY, "effect": "NoSchedule"})
    return taints


def no_schedule_changes(node: Object) -> tuple[list[Object], list[Object]]:
    """(taints to add, taints to remove) to bring the managed NoSchedule taints in line."""
    have = {
        t["key"] for t in taints_of(node) if t.get("effect") == "NoSchedule" and t.get("key") in _MANAGED_KEYS
    }
    want = {t["key"] for t in wanted_no_schedule(node)}
    add = [{"key": k, "effect": "NoSchedule"} for k in sorted(want - have)]
    remove = [{"key": k, "effect": "NoSchedule"} for k in sorted(have - want)]
    return add, remove
