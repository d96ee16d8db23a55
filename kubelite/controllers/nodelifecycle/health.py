"""Is a node alive? Its kubelet's signs of life, and the verdict when they stop.

    kubelet ── renews its Lease (kube-node-lease/<node>) every 10 s ──┐
            ── posts node status (Ready's lastHeartbeatTime) ─────────┤  a new renewTime or
                                                                      ▼  heartbeat: probe = now
    monitor pass (every --node-monitor-period) ── now > probe + grace? ──▶ Ready, MemoryPressure,
                                                                          DiskPressure, PIDPressure
                                                                          := Unknown, reason
                                                                          NodeStatusUnknown

The grace is --node-monitor-grace-period (40 s) for a node that has posted a Ready
condition, --node-startup-grace-period (60 s, counted from its creation) for one that never
has; a condition the kubelet never posted is added as Unknown with reason
NodeStatusNeverUpdated. Times are this process's clock readings from when it saw each sign
of life, not the timestamps the kubelet wrote, so a skewed node clock does not matter.
NetworkUnavailable is left alone: it belongs to the network, not the kubelet.
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
from dataclasses import dataclass

from kubelite.api.meta import format_wall, parse_time
from kubelite.api.types import Object
from kubelite.controllers.nodes import condition

log = logging.getLogger("kubelite.controllers.nodelifecycle")

READY = "Ready"
KUBELET_CONDITIONS = ("Ready", "MemoryPressure", "DiskPressure", "PIDPressure")


@dataclass(slots=True)
class NodeHealth:
    status: Object  # the node status last seen (or written by us)
    probe_timestamp: float  # clock.now() of the last sign of life
    ready_transition_timestamp: float
    lease_renewed: dt.datetime | None = None  # the Lease's renewTime when last seen


@dataclass(slots=True)
class Verdict:
    observed_ready: Object  # the Ready condition as the node has it (a stand-in when none)
    node: Object  # the node, or a copy with conditions set to Unknown when `changed`
    changed: bool  # the status must be written

    @property
    def ready(self) -> Object | None:
        return condition(self.node, READY)


def _renew_time(lease: Object | None) -> dt.datetime | None:
    renew = ((lease or {}).get("spec") or {}).get("renewTime")
    try:
        return parse_time(renew) if renew else None
    except ValueError:
        return None


class HealthTracker:
    def __init__(self, grace_period: float, startup_grace_period: float) -> None:
        self.grace_period = grace_period
        self.startup_grace_period = startup_grace_period
        self.nodes: dict[str, NodeHealth] = {}

    def get(self, name: str) -> NodeHealth | None:
        return self.nodes.get(name)

    def forget(self, name: str) -> None:
        self.nodes.pop(name, None)

    def assess(self, node: Object, lease: Object | None, now: float, wall: float) -> Verdict:
        """Record what `node` and its `lease` say, and decide whether it is overdue."""
        name = node["metadata"]["name"]
        status = node.get("status") or {}
        health = self.nodes.get(name)
        ready = condition(node, READY)
        if ready is None:
            # Never posted: count from the node's creation, as if it had said Unknown then.
            created = node["metadata"].get("creationTimestamp") or format_wall(wall)
            observed: Object = {
                "type": READY,
                "status": "Unknown",
                "lastHeartbeatTime": created,
                "lastTransitionTime": created,
            }
            grace = self.startup_grace_period
            created_at = now - max(0.0, wall - parse_time(created).timestamp())
            if health is not None:
                health.status = status
            else:
                health = NodeHealth(status, created_at, created_at)
        else:
            observed = copy.deepcopy(ready)
            grace = self.grace_period
        health = self._seen(name, health, status, ready, now)
        renewed = _renew_time(lease)
        if renewed is not None and (health.lease_renewed is None or health.lease_renewed < renewed):
            health.lease_renewed = renewed
            health.probe_timestamp = now
        self.nodes[name] = health
        if now <= health.probe_timestamp + grace:
            return Verdict(observed, node, False)
        updated = _mark_unknown(node, wall)
        current = condition(updated, READY)
        return Verdict(observed, updated, current != observed)

    def _seen(
        self, name: str, health: NodeHealth | None, status: Object, ready: Object | None, now: float
    ) -> NodeHealth:
        saved = condition({"status": health.status}, READY) if health is not None else None
        if health is None:
            log.debug("missing timestamp for node, assuming now", extra={"node": name})
            return NodeHealth(status, now, now)
        if saved is None and ready is not None:
            return NodeHealth(status, now, now, health.lease_renewed)
        if saved is not None and ready is None:
            log.error("the Ready condition was removed from the node's status", extra={"node": name})
            return NodeHealth(status, now, now, health.lease_renewed)
        if (
            saved is not None
            and ready is not None
            and saved.get("lastHeartbeatTime") != ready.get("lastHeartbeatTime")
        ):
            moved = saved.get("lastTransitionTime") != ready.get("lastTransitionTime")
            transition = now if moved else health.ready_transition_timestamp
            return NodeHealth(status, now, transition, health.lease_renewed)
        return health

    def written(self, name: str, status: Object, now: float) -> None:
        """The controller wrote `status` (conditions Unknown): remember it as seen."""
        old = self.nodes.get(name)
        probe = old.probe_timestamp if old is not None else now
        renewed = old.lease_renewed if old is not None else None
        self.nodes[name] = NodeHealth(status, probe, now, renewed)

    def reset(self, now: float) -> None:
        """Leaving the master disruption mode: every node gets a fresh grace period."""
        for health in self.nodes.values():
            health.probe_timestamp = now
            health.ready_transition_timestamp = now


def _mark_unknown(node: Object, wall: float) -> Object:
    """A copy of `node` with the kubelet's conditions Unknown (a missing one added)."""
    updated = copy.deepcopy(node)
    status = updated.setdefault("status", {})
    conditions = status.setdefault("conditions", [])
    stamp = format_wall(wall)
    for type_ in KUBELET_CONDITIONS:
        c = condition(updated, type_)
        if c is None:
            conditions.append(
                {
                    "type": type_,
                    "status": "Unknown",
                    "lastHeartbeatTime": node["metadata"].get("creationTimestamp"),
                    "lastTransitionTime": stamp,
                    "reason": "NodeStatusNeverUpdated",
                    "message": "Kubelet never posted node status.",
                }
            )
        elif c.get("status") != "Unknown":
            c.update(
                status="Unknown",
                reason="NodeStatusUnknown",
                message="Kubelet stopped posting node status.",
                lastTransitionTime=stamp,
            )
    return updated
