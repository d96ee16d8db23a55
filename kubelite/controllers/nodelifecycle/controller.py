"""The node lifecycle controller: node health, the taints that follow it, and eviction pacing.

    every --node-monitor-period (5 s), for every node:
      health.py   Lease renewed or status posted within the grace period? if not, the
                  kubelet's conditions become Unknown (NodeStatusUnknown)
      Ready True      → NoExecute not-ready/unreachable taints off at once
      Ready False     → queued for not-ready:NoExecute in the zone's rate-limited queue
      Ready Unknown   → queued for unreachable:NoExecute (swapped at once if the other one is on)
      Ready left True → event NodeNotReady; the node's pods get Ready=False
    then zones.py: each zone's state and eviction rate, the master disruption mode
    every 100 ms: each zone's queue taints the nodes its rate allows (ratelimited.py)

    node informer ──▶ node queue ──▶ NoSchedule taints from conditions (taints.py)
    pod informer (bound, or moved) ──▶ pod queue ──▶ Ready=False if its node is not Ready

The NoExecute taints evict nothing themselves: the taint eviction controller deletes the
pods that do not tolerate them, after their tolerationSeconds. Events (component
"node-controller"): RegisteredNode and RemovingNode, NodeNotReady on the node and on its
pods.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from collections.abc import Awaitable, Callable

from kubelite.api import errors
from kubelite.api.meta import format_wall
from kubelite.api.pods import condition as pod_condition
from kubelite.api.taints import has_taint
from kubelite.api.types import Object
from kubelite.client.events import NORMAL, WARNING
from kubelite.client.informer import Handlers
from kubelite.client.reconcile import Controller, TemporaryError
from kubelite.client.store import object_key, split_key
from kubelite.controllers.context import ControllerContext
from kubelite.controllers.nodelifecycle.health import READY, HealthTracker, Verdict
from kubelite.controllers.nodelifecycle.metrics import NodeLifecycleMetrics
from kubelite.controllers.nodelifecycle.ratelimited import RateLimitedTimedQueue, TimedValue
from kubelite.controllers.nodelifecycle.taints import NOT_READY_TAINT, UNREACHABLE_TAINT, no_schedule_changes
from kubelite.controllers.nodelifecycle.zones import (
    EvictionRates,
    ZoneState,
    excluded_from_disruption,
    zone_key,
)
from kubelite.controllers.nodes import condition, index_pods_by_node, pods_on_node, swap_taints, taints_of

log = logging.getLogger("kubelite.controllers.nodelifecycle")

NAME = "node-lifecycle-controller"
COMPONENT = "node-controller"
NODE_LEASE_NAMESPACE = "kube-node-lease"
EVICTION_PERIOD = 0.1  # how often the zones' queues are drained (Kubernetes' NodeEvictionPeriod)
HEALTH_UPDATE_RETRIES = 5
NODE_WORKERS = 8
POD_WORKERS = 4


def node_ref(node: Object) -> Object:
    md = node["metadata"]
    return {"kind": "Node", "apiVersion": "v1", "metadata": {"name": md["name"], "uid": md.get("uid", "")}}


class NodeLifecycleController:
    def __init__(self, ctx: ControllerContext) -> None:
        s = ctx.settings
        self.clock = ctx.clock
        self.period = s.node_monitor_period
        self.nodes = ctx.client.resource("nodes")
        self.pods = ctx.client.resource("pods")
        self.node_informer = ctx.informers.informer("nodes")
        self.lease_informer = ctx.informers.informer("leases", group="coordination.k8s.io")
        self.pod_informer = ctx.informers.informer("pods")
        index_pods_by_node(self.pod_informer)
        self.recorder = ctx.recorder(COMPONENT)
        self.metrics = NodeLifecycleMetrics.of(ctx.registry)
        self.rates = EvictionRates(
            s.node_eviction_rate,
            s.secondary_node_eviction_rate,
            s.unhealthy_zone_threshold,
            s.large_cluster_size_threshold,
        )
        self.health = HealthTracker(s.node_monitor_grace_period, s.node_startup_grace_period)
        self.known: dict[str, Object] = {}
        self.zone_states: dict[str, ZoneState] = {}
        self.tainters: dict[str, RateLimitedTimedQueue] = {}
        self.retry_pods_of: set[str] = set()  # nodes whose pods still need Ready=False
        self.node_queue = Controller(
            "node_lifecycle_controller",
            self.sync_no_schedule_taints,
            workers=NODE_WORKERS,
            clock=ctx.clock,
            metrics=ctx.queue_metrics("node_lifecycle_controller"),
        )
        self.pod_queue = Controller(
            "node_lifecycle_controller_pods",
            self.sync_pod,
            workers=POD_WORKERS,
            clock=ctx.clock,
            metrics=ctx.queue_metrics("node_lifecycle_controller_pods"),
        )
        self.node_queue.watch(self.node_informer, lambda n: (n["metadata"]["name"],))
        self.pod_informer.add_event_handler(
            Handlers(add=lambda p: self._pod_changed(None, p), update=self._pod_changed)
        )
        self.pod_queue.track(self.pod_informer)
        self.pod_queue.track(self.lease_informer)

    def _pod_changed(self, old: Object | None, new: Object) -> None:
        node = (new.get("spec") or {}).get("nodeName")
        if node and (old is None or (old.get("spec") or {}).get("nodeName") != node):
            self.pod_queue.enqueue(object_key(new))

    async def run(self, ready: asyncio.Event | None = None) -> None:
        log.info("starting controller", extra={"controller": NAME})
        async with asyncio.TaskGroup() as tg:
            started = [asyncio.Event(), asyncio.Event()]
            tg.create_task(self.node_queue.run(started[0]))
            tg.create_task(self.pod_queue.run(started[1]))
            for event in started:
                await event.wait()
            tg.create_task(self._every(EVICTION_PERIOD, self.no_execute_tainting_pass))
            tg.create_task(self._every(self.period, self.monitor_node_health))
            if ready is not None:
                ready.set()

    async def _every(self, period: float, work: Callable[[], Awaitable[None]]) -> None:
        """Run `work`, then wait `period` after it ends, until cancelled (wait.Until)."""
        while True:
            try:
                await work()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("node lifecycle pass failed")
            await self.clock.sleep(period)

    # ---- NoSchedule taints (TaintNodesByCondition) ----

    async def sync_no_schedule_taints(self, name: str) -> None:
        node = self.node_informer.lister.get(name)
        if node is None:
            return
        add, remove = no_schedule_changes(node)
        if add or remove:
            await swap_taints(self.nodes, node, add, remove, self.clock)

    # ---- pods of nodes that are not Ready ----

    async def sync_pod(self, key: str) -> None:
        namespace, name = split_key(key)
        pod = self.pod_informer.lister.get(name, namespace)
        if pod is None:
            return
        node_name = pod["spec"].get("nodeName", "")
        health = self.health.get(node_name)
        if health is None:
            return  # not seen yet, or deleted: the next monitor pass handles it
        if self.node_informer.lister.get(node_name) is None:
            raise TemporaryError(f"node {node_name} of pod {key} is not in the cache")
        ready = condition({"status": health.status}, READY)
        if ready is not None and ready.get("status") != "True":
            await self.mark_pods_not_ready([pod], node_name)

    async def mark_pods_not_ready(self, pods: list[Object], node_name: str) -> None:
        """Set each pod's Ready condition False (an event NodeNotReady on each one changed)."""
        failed: list[errors.APIError] = []
        for pod in pods:
            if pod["spec"].get("nodeName") != node_name:
                continue
            cond = pod_condition(pod, "Ready")
            if cond is None or cond.get("status") == "False":
                continue
            updated = copy.deepcopy(pod)
            for c in updated["status"]["conditions"]:
                if c.get("type") == "Ready":
                    c.update(status="False", lastTransitionTime=format_wall(self.clock.wall()))
            try:
                await self.pods.update(updated, namespace=pod["metadata"]["namespace"], subresource="status")
            except errors.NotFound:
                continue
            except errors.APIError as err:
                log.info("failed to update status for pod: %s", err, extra={"pod": object_key(pod)})
                failed.append(err)
                continue
            self.recorder.event(
                {"kind": "Pod", "apiVersion": "v1", **pod}, WARNING, "NodeNotReady", "Node is not ready"
            )
        if failed:
            raise failed[0]

    # ---- the monitor pass ----

    async def monitor_node_health(self) -> None:
        start = self.clock.now()
        nodes = self.node_informer.lister.list()
        self._classify(nodes)
        for node in nodes:
            if node["metadata"]["name"] not in self.known:
                await self._added(node)
        by_zone: dict[str, list[str | None]] = {}
        limit = asyncio.Semaphore(NODE_WORKERS)

        async def one(node: Object) -> None:
            async with limit:
                t0 = self.clock.now()
                await self._update_node(node, by_zone)
                self.metrics.update_node_health.observe(self.clock.now() - t0)

        await asyncio.gather(*(one(n) for n in nodes))
        await self.handle_disruption(by_zone, nodes)
        self.metrics.update_all_nodes_health.observe(self.clock.now() - start)

    def _classify(self, nodes: list[Object]) -> None:
        names = {n["metadata"]["name"] for n in nodes}
        for name in [n for n in self.known if n not in names]:
            gone = self.known.pop(name)
            log.info("controller observed the deletion of node %s", name, extra={"node": name})
            self._node_event(gone, "RemovingNode", f"Removing Node {name} from Controller")
            self.health.forget(name)
            self.retry_pods_of.discard(name)
        for node in nodes:
            if node["metadata"]["name"] in self.known:
                self._zone_for(node)

    async def _added(self, node: Object) -> None:
        name = node["metadata"]["name"]
        log.debug("controller observed a new node", extra={"node": name})
        self._node_event(node, "RegisteredNode", f"Registered Node {name} in Controller")
        self.known[name] = node
        self._zone_for(node)
        await self._mark_reachable(node)

    def _node_event(self, node: Object, reason: str, message: str) -> None:
        name = node["metadata"]["name"]
        self.recorder.event(node_ref(node), NORMAL, reason, f"Node {name} event: {message}")

    def _zone_for(self, node: Object) -> RateLimitedTimedQueue:
        """The zone's queue, made (state Initial, the primary rate) when the zone is new."""
        zone = zone_key(node)
        if zone not in self.zone_states:
            self.zone_states[zone] = ZoneState.INITIAL
            self.tainters[zone] = RateLimitedTimedQueue(self.rates.primary, self.clock)
            log.debug("initializing eviction metric for zone", extra={"zone": zone})
            self.metrics.evictions.labels(zone).inc(0)
        return self.tainters[zone]

    async def _update_node(self, node: Object, by_zone: dict[str, list[str | None]]) -> None:
        name = node["metadata"]["name"]
        try:
            verdict = await self._update_health(node)
        except Exception as err:
            log.error(
                "update health of node from controller error, skipping - no pods will be evicted: %s",
                err,
                extra={"node": name},
            )
            return
        node, observed, current = verdict.node, verdict.observed_ready, verdict.ready
        if not excluded_from_disruption(node):
            by_zone.setdefault(zone_key(node), []).append(current.get("status") if current else None)
        if current is None:
            self.retry_pods_of.discard(name)
            return
        await self.process_taint_based_eviction(node, observed)
        was_ready = observed.get("status") == "True"
        if current.get("status") != "True" and was_ready:
            self.recorder.event(
                node_ref(node), NORMAL, "NodeNotReady", f"Node {name} status is now: NodeNotReady"
            )
        elif not (name in self.retry_pods_of and not was_ready):
            self.retry_pods_of.discard(name)
            return
        try:
            await self.mark_pods_not_ready(pods_on_node(self.pod_informer, name), name)
        except errors.APIError as err:
            log.info("unable to mark all pods NotReady on node, will retry: %s", err, extra={"node": name})
            self.retry_pods_of.add(name)
            return
        self.retry_pods_of.discard(name)

    async def _update_health(self, node: Object) -> Verdict:
        """Assess the node; write its Unknown conditions if it is overdue (a lost race reads it again)."""
        name = node["metadata"]["name"]
        for attempt in range(HEALTH_UPDATE_RETRIES):
            lease = self.lease_informer.lister.get(name, NODE_LEASE_NAMESPACE)
            verdict = self.health.assess(node, lease, self.clock.now(), self.clock.wall())
            if not verdict.changed:
                return verdict
            try:
                await self.nodes.update(verdict.node, subresource="status")
            except errors.APIError as err:
                if attempt == HEALTH_UPDATE_RETRIES - 1:
                    raise
                log.info("error updating node, reading it again: %s", err, extra={"node": name})
                node = await self.nodes.get(name)
                continue
            self.health.written(name, verdict.node.get("status") or {}, self.clock.now())
            return verdict
        raise AssertionError("unreachable")

    async def process_taint_based_eviction(self, node: Object, observed: Object) -> None:
        status, taints = observed.get("status"), taints_of(node)
        if status == "True":
            if await self._mark_reachable(node):
                log.info(
                    "node is healthy again, removed all taints", extra={"node": node["metadata"]["name"]}
                )
            return
        if status not in ("False", "Unknown"):
            return
        wanted, opposite = (
            (NOT_READY_TAINT, UNREACHABLE_TAINT)
            if status == "False"
            else (UNREACHABLE_TAINT, NOT_READY_TAINT)
        )
        if has_taint(taints, opposite):
            # Already evicting under the other taint: swap at once, no new wait in the queue.
            await self._swap(node, [wanted], [opposite])
            return
        queue = self.tainters[zone_key(node)]
        if not has_taint(taints, wanted):
            queue.remove(node["metadata"]["name"])
        if queue.add(node["metadata"]["name"], node["metadata"].get("uid", "")):
            log.info(
                "node %s is not ready (Ready %s), adding it to the taint queue",
                node["metadata"]["name"],
                status,
                extra={"node": node["metadata"]["name"], "ready": status},
            )

    async def _swap(self, node: Object, add: list[Object], remove: list[Object]) -> bool:
        try:
            return await swap_taints(self.nodes, node, add, remove, self.clock) is not None
        except errors.APIError as err:
            log.warning(
                "failed to change the taints of node: %s", err, extra={"node": node["metadata"]["name"]}
            )
            return False

    async def _mark_reachable(self, node: Object) -> bool:
        """Take the NoExecute taints off and the node out of its zone's queue."""
        if not await self._swap(node, [], [UNREACHABLE_TAINT, NOT_READY_TAINT]):
            return False
        return self._zone_for(node).remove(node["metadata"]["name"])

    # ---- the NoExecute tainting pass ----

    async def no_execute_tainting_pass(self) -> None:
        for queue in list(self.tainters.values()):
            await queue.try_each(self._taint_one)

    async def _taint_one(self, item: TimedValue) -> tuple[bool, float]:
        node = self.node_informer.lister.get(item.value)
        if node is None:
            return True, 0.0
        ready = condition(node, READY)
        if ready is None:
            return False, 0.05
        if ready.get("status") == "False":
            add, opposite = NOT_READY_TAINT, UNREACHABLE_TAINT
        elif ready.get("status") == "Unknown":
            add, opposite = UNREACHABLE_TAINT, NOT_READY_TAINT
        else:
            return True, 0.0  # Ready again while it waited
        done = await self._swap(node, [add], [opposite])
        if done:
            self.metrics.evictions.labels(zone_key(node)).inc()
        return done, 0.0

    # ---- zones ----

    def _new_zone_states(self, by_zone: dict[str, list[str | None]]) -> dict[str, ZoneState]:
        """Each zone's state from its nodes' Ready statuses (and the zone metrics)."""
        new_states: dict[str, ZoneState] = {}
        for zone, statuses in by_zone.items():
            unhealthy, state = self.rates.zone_state(statuses)
            self.metrics.zone_counts(zone, len(statuses), unhealthy)
            new_states[zone] = state
            if zone not in self.zone_states:
                log.error("setting initial state for unseen zone", extra={"zone": zone})
                self.zone_states[zone] = ZoneState.INITIAL
        return new_states

    async def handle_disruption(self, by_zone: dict[str, list[str | None]], nodes: list[Object]) -> None:
        new_states = self._new_zone_states(by_zone)
        all_full = all(s is ZoneState.FULL_DISRUPTION for s in new_states.values())
        all_were_full = True
        for zone in list(self.zone_states):
            if zone not in by_zone:
                self.metrics.zone_counts(zone, 0, 0)
                del self.zone_states[zone]
                continue
            if self.zone_states[zone] is not ZoneState.FULL_DISRUPTION:
                all_were_full = False
                break
        if all_full and all_were_full:
            return
        if all_full:
            await self._enter_master_disruption(nodes)
            return
        if all_were_full:
            log.info("controller detected that some nodes are Ready, exiting master disruption mode")
            self.health.reset(self.clock.now())
            for zone in self.zone_states:
                if zone in new_states:
                    self._set_zone(zone, len(by_zone[zone]), new_states[zone])
            return
        for zone, state in list(self.zone_states.items()):
            if zone in new_states and state is not new_states[zone]:
                log.info(
                    "controller detected that zone %r is now in state %s (%d of %d nodes not Ready)",
                    zone,
                    new_states[zone],
                    sum(1 for s in by_zone[zone] if s != "True"),
                    len(by_zone[zone]),
                    extra={"zone": zone, "newState": str(new_states[zone])},
                )
                self._set_zone(zone, len(by_zone[zone]), new_states[zone])

    async def _enter_master_disruption(self, nodes: list[Object]) -> None:
        log.info("controller detected that all nodes are not Ready, entering master disruption mode")
        for node in nodes:
            await self._mark_reachable(node)
        for zone in self.zone_states:
            self._queue(zone).swap_limiter(0.0)
            self.zone_states[zone] = ZoneState.FULL_DISRUPTION

    def _queue(self, zone: str) -> RateLimitedTimedQueue:
        if zone not in self.tainters:
            self.tainters[zone] = RateLimitedTimedQueue(self.rates.primary, self.clock)
        return self.tainters[zone]

    def _set_zone(self, zone: str, size: int, state: ZoneState) -> None:
        self._queue(zone).swap_limiter(self.rates.qps(state, size))
        self.zone_states[zone] = state
