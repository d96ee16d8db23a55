"""The taint eviction controller: pods leave nodes tainted NoExecute, after their tolerationSeconds.

    node informer (NoExecute taints changed) ──▶ node queue ──▶ every pod of the node
    pod informer (bound, moved, tolerations changed, deleted) ──▶ pod queue ──▶ that pod
                                                │
        for a pod on a node with NoExecute taints:
          a taint not tolerated        → deleted now
          all tolerated, some with     → deleted after the smallest tolerationSeconds,
            tolerationSeconds            counted from when its wait began (a deletion
                                         already pending keeps its time)
          all tolerated for ever       → stays; a pending deletion is cancelled
        taints gone, pod gone          → a pending deletion is cancelled

A deletion first sets the pod's DisruptionTarget condition (reason
DeletionByTaintManager), then deletes the pod with its own grace period. Events
(component "taint-eviction-controller"): TaintManagerEviction "Marking for deletion Pod
ns/name" and "Cancelling deletion of Pod ns/name".

The NoExecute taints come from the node lifecycle controller (not-ready, unreachable),
whose rate limits per zone pace the evictions, or from anyone else (kubectl taint).
"""

from __future__ import annotations

import asyncio
import logging

from kubelite.api import errors
from kubelite.api.meta import format_wall
from kubelite.api.pods import condition as pod_condition
from kubelite.api.taints import matching_tolerations
from kubelite.api.types import Object
from kubelite.client.events import NORMAL
from kubelite.client.informer import Handlers
from kubelite.client.reconcile import Controller
from kubelite.client.resource import PatchType
from kubelite.client.store import object_key, split_key
from kubelite.controllers.context import ControllerContext
from kubelite.controllers.nodes import index_pods_by_node, pods_on_node, taints_of
from kubelite.controllers.tainteviction.timed import TimedWorkers

log = logging.getLogger("kubelite.controllers.tainteviction")

NAME = "taint-eviction-controller"
WORKERS = 8
DELETE_RETRIES = 5


def no_execute_taints(node: Object | None) -> list[Object]:
    return [t for t in taints_of(node or {}) if t.get("effect") == "NoExecute"]


def min_toleration_seconds(used: list[Object]) -> float | None:
    """The shortest tolerationSeconds among the tolerations used (<= 0: at once); None: for ever."""
    if not used:
        return 0.0
    seconds = [t["tolerationSeconds"] for t in used if t.get("tolerationSeconds") is not None]
    if not seconds:
        return None
    return float(max(0, min(seconds)))


def _tolerations(pod: Object | None) -> list[Object]:
    return list(((pod or {}).get("spec") or {}).get("tolerations") or [])


def _node_name(pod: Object | None) -> str:
    return str(((pod or {}).get("spec") or {}).get("nodeName") or "")


class TaintEvictionController:
    def __init__(self, ctx: ControllerContext) -> None:
        self.clock = ctx.clock
        self.pods = ctx.client.resource("pods")
        self.node_informer = ctx.informers.informer("nodes")
        self.pod_informer = ctx.informers.informer("pods")
        index_pods_by_node(self.pod_informer)
        self.recorder = ctx.recorder(NAME)
        self.evictions = TimedWorkers(self._evict, ctx.clock)
        self.tainted: dict[str, list[Object]] = {}  # node name -> its NoExecute taints
        self.node_queue = Controller(
            "noexec_taint_node",
            self.sync_node,
            workers=WORKERS,
            clock=ctx.clock,
            metrics=ctx.queue_metrics("noexec_taint_node"),
        )
        self.pod_queue = Controller(
            "noexec_taint_pod",
            self.sync_pod,
            workers=WORKERS,
            clock=ctx.clock,
            metrics=ctx.queue_metrics("noexec_taint_pod"),
        )
        self.node_informer.add_event_handler(
            Handlers(
                add=lambda n: self.node_queue.enqueue(n["metadata"]["name"]),
                update=self._node_updated,
                delete=lambda n: self.node_queue.enqueue(n["metadata"]["name"]),
            )
        )
        self.pod_informer.add_event_handler(
            Handlers(
                add=lambda p: self.pod_queue.enqueue(object_key(p)),
                update=self._pod_updated,
                delete=lambda p: self.pod_queue.enqueue(object_key(p)),
            )
        )
        self.node_queue.track(self.node_informer)
        self.pod_queue.track(self.pod_informer)

    def _node_updated(self, old: Object, new: Object) -> None:
        if no_execute_taints(old) != no_execute_taints(new):
            self.node_queue.enqueue(new["metadata"]["name"])

    def _pod_updated(self, old: Object, new: Object) -> None:
        if _tolerations(old) != _tolerations(new) or _node_name(old) != _node_name(new):
            self.pod_queue.enqueue(object_key(new))

    async def run(self, ready: asyncio.Event | None = None) -> None:
        log.info("starting controller", extra={"controller": NAME})
        try:
            async with asyncio.TaskGroup() as tg:
                started = [asyncio.Event(), asyncio.Event()]
                tg.create_task(self.node_queue.run(started[0]))
                tg.create_task(self.pod_queue.run(started[1]))
                for event in started:
                    await event.wait()
                if ready is not None:
                    ready.set()
        finally:
            await asyncio.shield(self.evictions.shutdown())

    # ---- reconcile ----

    async def sync_node(self, name: str) -> None:
        node = self.node_informer.lister.get(name)
        taints = no_execute_taints(node)
        if taints:
            self.tainted[name] = taints
        else:
            self.tainted.pop(name, None)
        if node is None:
            return
        pods = pods_on_node(self.pod_informer, name)
        now = self.clock.now()
        for pod in pods:
            self._process(object_key(pod), pod, taints, now)

    async def sync_pod(self, key: str) -> None:
        namespace, name = split_key(key)
        pod = self.pod_informer.lister.get(name, namespace)
        if pod is None:
            self._cancel(key)
            return
        node = _node_name(pod)
        if not node or node not in self.tainted:
            return
        self._process(key, pod, self.tainted[node], self.clock.now())

    def _process(self, key: str, pod: Object, taints: list[Object], now: float) -> None:
        if not taints:
            self._cancel(key)
            return
        used = matching_tolerations(taints, _tolerations(pod))
        if used is None:
            log.info(
                "not all taints are tolerated, evicting the pod now",
                extra={"pod": key, "node": _node_name(pod)},
            )
            self._cancel(key)
            self.evictions.schedule(key, now, now)
            return
        wait = min_toleration_seconds(used)
        if wait is None:
            self._cancel(key)  # tolerated for ever
            return
        pending = self.evictions.scheduled(key)
        if pending is not None:
            if pending.created_at < now:
                return  # a wait already running keeps its time
            self._cancel(key)
        self.evictions.schedule(key, now, now + wait)

    def _cancel(self, key: str) -> None:
        if self.evictions.cancel(key):
            self._pod_event(key, f"Cancelling deletion of Pod {key}")

    def _pod_event(self, key: str, message: str) -> None:
        namespace, name = split_key(key)
        ref = {"kind": "Pod", "apiVersion": "v1", "metadata": {"name": name, "namespace": namespace}}
        self.recorder.event(ref, NORMAL, "TaintManagerEviction", message)

    # ---- the eviction ----

    async def _evict(self, key: str, fire_at: float) -> None:
        log.info("deleting pod %s", key, extra={"controller": NAME, "pod": key})
        self._pod_event(key, f"Marking for deletion Pod {key}")
        namespace, name = split_key(key)
        for attempt in range(DELETE_RETRIES):
            try:
                await self._mark_and_delete(name, namespace)
                return
            except errors.NotFound:
                return
            except errors.APIError:
                if attempt == DELETE_RETRIES - 1:
                    raise
                await self.clock.sleep(0.01)

    async def _mark_and_delete(self, name: str, namespace: str) -> None:
        pod = await self.pods.get(name, namespace=namespace)
        target = pod_condition(pod, "DisruptionTarget")
        if (
            target is None
            or target.get("status") != "True"
            or target.get("reason") != "DeletionByTaintManager"
        ):
            cond = {
                "type": "DisruptionTarget",
                "status": "True",
                "reason": "DeletionByTaintManager",
                "message": "Taint manager: deleting due to NoExecute taint",
                "lastTransitionTime": format_wall(self.clock.wall()),
            }
            patch = {"metadata": {"uid": pod["metadata"]["uid"]}, "status": {"conditions": [cond]}}
            await self.pods.patch(
                name, patch, namespace=namespace, subresource="status", patch_type=PatchType.STRATEGIC
            )
        await self.pods.delete(name, namespace=namespace)
