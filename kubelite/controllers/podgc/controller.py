"""The pod garbage collector: force-deletes pods nothing else will ever clean up.

    every 20 s, from the caches:
      terminated      Succeeded/Failed pods beyond --terminated-pod-gc-threshold (12500; 0:
                      off), evicted ones first, then the oldest
      out of service  terminating pods on a node that is not Ready and carries the
                      node.kubernetes.io/out-of-service taint
      orphaned        pods bound to a node that is gone: missing from the node cache for 40 s
                      (quarantine) and then not found by a direct read; they get the
                      DisruptionTarget condition (DeletionByPodGC, "PodGC: node no longer
                      exists")
      unscheduled     terminating pods never bound to a node
                      terminating

A pod not yet terminal is first patched to phase Failed (no kubelet is left to say so),
then deleted with grace period 0. The count of deletions per namespace and reason is
published as pod_gc_collector_force_delete_pods_total.
"""

from __future__ import annotations

import asyncio
import logging
import weakref
from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter

from kubelite.api import errors
from kubelite.api.meta import format_wall
from kubelite.api.pods import is_terminal
from kubelite.api.types import Object
from kubelite.client.resource import PatchType
from kubelite.controllers.context import ControllerContext
from kubelite.controllers.nodes import condition, taints_of

log = logging.getLogger("kubelite.controllers.podgc")

NAME = "pod-garbage-collector-controller"
GC_CHECK_PERIOD = 20.0
QUARANTINE = 40.0  # a node missing from the cache this long is looked up
PARALLEL_DELETIONS = 10
OUT_OF_SERVICE_TAINT = "node.kubernetes.io/out-of-service"


class PodGCMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self.deleted = Counter(
            "pod_gc_collector_force_delete_pods",
            "Number of pods that are being forcefully deleted since the Pod GC Controller started.",
            ["namespace", "reason"],
            registry=registry,
        )
        self.errors = Counter(
            "pod_gc_collector_force_delete_pod_errors",
            "Number of errors encountered when forcefully deleting the pods since the Pod GC "
            "Controller started.",
            ["namespace", "reason"],
            registry=registry,
        )

    @classmethod
    def of(cls, registry: CollectorRegistry | None) -> PodGCMetrics:
        """The families in `registry`, made once per registry (a private one for None)."""
        if registry is None:
            return cls(CollectorRegistry())
        if registry not in _FAMILIES:
            _FAMILIES[registry] = cls(registry)
        return _FAMILIES[registry]


_FAMILIES: weakref.WeakKeyDictionary[CollectorRegistry, PodGCMetrics] = weakref.WeakKeyDictionary()


def _eviction_then_age(pod: Object) -> tuple[bool, str, str]:
    """Evicted pods first, then the oldest, then by name (Kubernetes' byEvictionAndCreationTimestamp)."""
    evicted = (pod.get("status") or {}).get("reason") == "Evicted"
    return not evicted, str(pod["metadata"].get("creationTimestamp") or ""), pod["metadata"]["name"]


class PodGCController:
    def __init__(self, ctx: ControllerContext) -> None:
        self.clock = ctx.clock
        self.threshold = ctx.settings.terminated_pod_gc_threshold
        self.pods = ctx.client.resource("pods")
        self.nodes = ctx.client.resource("nodes")
        self.pod_informer = ctx.informers.informer("pods")
        self.node_informer = ctx.informers.informer("nodes")
        self.metrics = PodGCMetrics.of(ctx.registry)
        self.missing_since: dict[str, float] = {}  # node name -> when it was first missed

    async def run(self, ready: asyncio.Event | None = None) -> None:
        await asyncio.gather(self.pod_informer.wait_for_sync(), self.node_informer.wait_for_sync())
        if ready is not None:
            ready.set()
        while True:
            try:
                await self.gc()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("pod garbage collection failed")
            await self.clock.sleep(GC_CHECK_PERIOD)

    async def gc(self) -> None:
        pods = self.pod_informer.lister.list()
        nodes = {n["metadata"]["name"]: n for n in self.node_informer.lister.list()}
        if self.threshold > 0:
            await self._gc_terminated(pods)
        await self._gc_out_of_service(pods, nodes)
        await self._gc_orphaned(pods, nodes)
        await self._gc_unscheduled_terminating(pods)

    async def _gc_terminated(self, pods: list[Object]) -> None:
        terminated = sorted((p for p in pods if is_terminal(p)), key=_eviction_then_age)
        excess = len(terminated) - self.threshold
        if excess <= 0:
            return
        log.info("garbage collecting terminated pods", extra={"count": excess, "threshold": self.threshold})
        await self._delete_all(terminated[:excess], "terminated", None)

    async def _gc_out_of_service(self, pods: list[Object], nodes: dict[str, Object]) -> None:
        out = {
            name
            for name, node in nodes.items()
            if (condition(node, "Ready") or {}).get("status") != "True"
            and any(t.get("key") == OUT_OF_SERVICE_TAINT for t in taints_of(node))
        }
        doomed = [
            p
            for p in pods
            if p["metadata"].get("deletionTimestamp") and (p.get("spec") or {}).get("nodeName") in out
        ]
        await self._delete_all(doomed, "out-of-service", None)

    async def _gc_orphaned(self, pods: list[Object], nodes: dict[str, Object]) -> None:
        now = self.clock.now()
        for p in pods:
            node = (p.get("spec") or {}).get("nodeName")
            if node and node not in nodes:
                self.missing_since.setdefault(node, now)
        gone: set[str] = set()
        for node, since in list(self.missing_since.items()):
            if node in nodes:
                del self.missing_since[node]
            elif now - since >= QUARANTINE:
                del self.missing_since[node]
                if await self._node_deleted(node):
                    gone.add(node)
        orphans = [p for p in pods if (p.get("spec") or {}).get("nodeName") in gone]
        cond = {
            "type": "DisruptionTarget",
            "status": "True",
            "reason": "DeletionByPodGC",
            "message": "PodGC: node no longer exists",
        }
        await self._delete_all(orphans, "orphaned", cond)

    async def _node_deleted(self, name: str) -> bool:
        try:
            await self.nodes.get(name)
        except errors.NotFound:
            return True
        except errors.APIError as err:
            log.info("could not check whether the node exists: %s", err, extra={"node": name})
        return False

    async def _gc_unscheduled_terminating(self, pods: list[Object]) -> None:
        doomed = [
            p
            for p in pods
            if p["metadata"].get("deletionTimestamp") and not (p.get("spec") or {}).get("nodeName")
        ]
        await self._delete_all(doomed, "unscheduled", None)

    async def _delete_all(self, pods: Iterable[Object], reason: str, cond: Object | None) -> None:
        limit = asyncio.Semaphore(PARALLEL_DELETIONS)

        async def one(pod: Object) -> None:
            async with limit:
                await self._force_delete(pod, reason, cond)

        await asyncio.gather(*(one(p) for p in pods))

    async def _force_delete(self, pod: Object, reason: str, cond: Object | None) -> None:
        md = pod["metadata"]
        namespace, name = md.get("namespace", ""), md["name"]
        log.info(
            "PodGC is force deleting pod %s/%s (%s)",
            namespace,
            name,
            reason,
            extra={"pod": f"{namespace}/{name}"},
        )
        try:
            if not is_terminal(pod):
                status: Object = {"phase": "Failed"}
                if cond is not None:
                    status["conditions"] = [{**cond, "lastTransitionTime": format_wall(self.clock.wall())}]
                patch = {"metadata": {"uid": md.get("uid", "")}, "status": status}
                await self.pods.patch(
                    name, patch, namespace=namespace, subresource="status", patch_type=PatchType.STRATEGIC
                )
            await self.pods.delete(name, namespace=namespace, grace_period_seconds=0)
        except errors.NotFound:
            return
        except errors.APIError as err:
            log.warning("failed to force delete pod: %s", err, extra={"pod": f"{namespace}/{name}"})
            self.metrics.errors.labels(namespace, reason).inc()
            return
        self.metrics.deleted.labels(namespace, reason).inc()
