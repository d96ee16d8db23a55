"""Registering the Node and keeping its status true.

    register: create the Node (labels, capacity, allocatable, addresses, conditions,
              nodeInfo); if it exists already, adopt it and update labels and status;
              retried with back-off until the API server answers.
    status:   every `update_frequency` (10 s) compute the status; post it (merge patch
              of /status) when it differs from the last one posted, or when
              `report_frequency` (5 min) has passed since, as Kubernetes' kubelet does.
              Each post stamps the conditions' lastHeartbeatTime; lastTransitionTime
              moves only when a condition's status changes.

`NodeAgent` does both for one node from a `NodeFacts` (what the node is) and a
`conditions` callable (how it is doing). The real kubelet and each simulated node use it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kubelite.api.errors import AlreadyExists, APIError
from kubelite.api.meta import format_wall
from kubelite.api.types import Object
from kubelite.client.resource import PatchType
from kubelite.kubelet.backoff import RetryDelay
from kubelite.util.clock import Clock

log = logging.getLogger("kubelite.kubelet.nodestatus")

# (status, reason, message) per condition type.
Conditions = dict[str, tuple[str, str, str]]

CONDITION_ORDER = ("MemoryPressure", "DiskPressure", "PIDPressure", "Ready")


def healthy_conditions(ready_message: str = "kubelet is posting ready status") -> Conditions:
    return {
        "MemoryPressure": ("False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
        "DiskPressure": ("False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        "PIDPressure": ("False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        "Ready": ("True", "KubeletReady", ready_message),
    }


@dataclass(slots=True)
class NodeFacts:
    name: str
    labels: dict[str, str]
    capacity: dict[str, str]
    allocatable: dict[str, str]
    addresses: list[dict[str, str]]
    node_info: dict[str, str]
    taints: list[dict[str, str]] = field(default_factory=list)
    annotations: dict[str, str] = field(default_factory=dict)
    kubelet_port: int = 10250


class NodeAgent:
    def __init__(
        self,
        client: Any,
        facts: NodeFacts,
        *,
        clock: Clock,
        conditions: Callable[[], Conditions] = healthy_conditions,
        update_frequency: float = 10.0,
        report_frequency: float = 300.0,
        retry_initial: float = 0.2,
        retry_max: float = 7.0,
    ) -> None:
        self.nodes = client.resource("nodes")
        self.facts = facts
        self.clock = clock
        self.conditions = conditions
        self.update_frequency = update_frequency
        self.report_frequency = report_frequency
        self.retry = RetryDelay(retry_initial, retry_max)
        self.node: Object | None = None  # the Node as last read or written
        self.posts = 0
        self._last_posted: Object | None = None  # status without heartbeat times
        self._last_post_at = -1e18
        self._transitions: dict[str, tuple[str, str]] = {}  # type -> (status, lastTransitionTime)

    @property
    def uid(self) -> str:
        return str((self.node or {}).get("metadata", {}).get("uid", ""))

    @property
    def pod_cidr(self) -> str:
        return str((self.node or {}).get("spec", {}).get("podCIDR", ""))

    def _stamp(self) -> str:
        return format_wall(self.clock.wall())

    def build_status(self) -> Object:
        """The status to post now (heartbeat times filled in)."""
        now = self._stamp()
        conds = []
        for ctype, (status, reason, message) in sorted(
            self.conditions().items(),
            key=lambda kv: CONDITION_ORDER.index(kv[0]) if kv[0] in CONDITION_ORDER else 99,
        ):
            prev = self._transitions.get(ctype)
            since = prev[1] if prev and prev[0] == status else now
            self._transitions[ctype] = (status, since)
            conds.append(
                {
                    "type": ctype,
                    "status": status,
                    "reason": reason,
                    "message": message,
                    "lastHeartbeatTime": now,
                    "lastTransitionTime": since,
                }
            )
        f = self.facts
        return {
            "capacity": dict(f.capacity),
            "allocatable": dict(f.allocatable),
            "conditions": conds,
            "addresses": [dict(a) for a in f.addresses],
            "nodeInfo": dict(f.node_info),
            "daemonEndpoints": {"kubeletEndpoint": {"Port": f.kubelet_port}},
        }

    def initial_node(self) -> Object:
        f = self.facts
        md: Object = {"name": f.name, "labels": dict(f.labels)}
        if f.annotations:
            md["annotations"] = dict(f.annotations)
        spec: Object = {"taints": [dict(t) for t in f.taints]} if f.taints else {}
        return {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": md,
            "spec": spec,
            "status": self.build_status(),
        }

    async def register(self) -> Object:
        """Create or adopt the Node; retries until it succeeds (or the task is cancelled)."""
        while True:
            try:
                return await self._register_once()
            except Exception as err:  # API or connection errors: the API server may be starting
                delay = self.retry.failure()
                log.warning(
                    "unable to register the node, retrying: %s",
                    err,
                    extra={"node": self.facts.name, "retry_in": delay},
                )
                await self.clock.sleep(delay)

    async def _register_once(self) -> Object:
        node = self.initial_node()
        try:
            self.node = await self.nodes.create(node)
            log.info("node registered", extra={"node": self.facts.name})
        except AlreadyExists:
            # Our own Node from an earlier run: keep its spec (podCIDR, taints, unschedulable),
            # bring its labels and status up to date.
            self.node = await self.nodes.patch(self.facts.name, {"metadata": {"labels": self.facts.labels}})
            await self.post_status(force=True)
        self.retry.success()
        self._note_posted(node["status"])
        return self.node

    def _note_posted(self, status: Object) -> None:
        self._last_posted = _without_heartbeats(status)
        self._last_post_at = self.clock.now()
        self.posts += 1

    async def post_status(self, *, force: bool = False) -> bool:
        """Post the status if it changed or is due; True when it was posted."""
        status = self.build_status()
        due = self.clock.now() - self._last_post_at >= self.report_frequency
        if not force and not due and _without_heartbeats(status) == self._last_posted:
            return False
        self.node = await self.nodes.patch(
            self.facts.name, {"status": status}, subresource="status", patch_type=PatchType.MERGE
        )
        self._note_posted(status)
        return True

    async def run_status_loop(self, *, first_delay: float | None = None) -> None:
        """Check the status every `update_frequency` (first after `first_delay`, default one
        period), at a fixed rate so nodes spread over the period stay spread."""
        due = self.clock.now() + (self.update_frequency if first_delay is None else first_delay)
        while True:
            await self.clock.sleep(due - self.clock.now())
            due = max(due + self.update_frequency, self.clock.now())
            try:
                await self.post_status()
            except asyncio.CancelledError:
                raise
            except APIError as err:
                log.warning("unable to update node status: %s", err, extra={"node": self.facts.name})
                if err.code == 404:  # deleted under us: register again, as the kubelet does
                    await self.register()
            except Exception as err:
                log.warning("unable to update node status: %s", err, extra={"node": self.facts.name})

    async def refresh(self) -> Object | None:
        """Read the Node again (its spec: podCIDR, taints)."""
        try:
            self.node = await self.nodes.get(self.facts.name)
        except Exception as err:
            log.debug("could not read the node: %s", err)
        return self.node


def _without_heartbeats(status: Object) -> Object:
    """`status` for comparing with the last one posted: conditions without their heartbeat
    times (copied; the rest is shared, as build_status makes a fresh status every time)."""
    conds = [{k: v for k, v in c.items() if k != "lastHeartbeatTime"} for c in status.get("conditions", [])]
    return {**status, "conditions": conds}
