"""The disruption controller: keeps every PodDisruptionBudget's status true (`status.py`).

    PodDisruptionBudget informer (resync 30 s) ──key──┐
    pod informer ──the budget selecting the pod───────┼─▶ workqueue ──▶ sync(namespace/name)
    recheck queue (an evicted pod's 2 minutes end) ────┘

`sync` finds the pods the budget selects, the scale of the controllers owning them when
the budget is a percentage or maxUnavailable (Deployment, ReplicaSet,
ReplicationController, StatefulSet, or anything with a /scale subresource), and writes
the status when it changed. When that cannot be done (a pod with no controller whose
scale could be found, an API error) the budget fails safe: disruptionsAllowed 0 and
DisruptionAllowed=False, reason SyncFailed.

Events, as Kubernetes records them (source component "controllermanager"): NoPods,
CalculateExpectedPodCountFailed, UnmanagedPods on the budget; NotDeleted and
MultiplePodDisruptionBudgets on pods.

Departure from Kubernetes: the stale DisruptionTarget pod condition clean-up is not done
(kubelite's eviction does not set that condition).
"""

from __future__ import annotations

import asyncio
import copy
import logging

from kubelite.api import errors
from kubelite.api.intstr import IntOrPercentError
from kubelite.api.selectors.labels import LabelSelector, selector_from_label_selector_object
from kubelite.api.types import Object
from kubelite.client.events import NORMAL, WARNING
from kubelite.client.informer import Handlers
from kubelite.client.reconcile import Controller, Requeue
from kubelite.client.store import object_key, split_key
from kubelite.controllers.context import ControllerContext
from kubelite.controllers.disruption import status as pdbstatus
from kubelite.controllers.disruption.scale import ScaleFinder
from kubelite.controllers.ownership import controller_ref

log = logging.getLogger("kubelite.controllers.disruption")

NAME = "disruption-controller"
ALIAS = "disruption"
COMPONENT = "controllermanager"
QUEUE_NAME = "disruption"
RESYNC = 30.0


def budget_selector(pdb: Object) -> LabelSelector:
    """policy/v1: a missing selector selects nothing, an empty one every pod of the namespace."""
    raw = (pdb.get("spec") or {}).get("selector")
    return selector_from_label_selector_object(raw)


def go_selector_string(raw: Object | None) -> str:
    """A LabelSelector as Go's %v prints it in Kubernetes' event messages."""
    if raw is None:
        return "nil"
    labels = "".join(f"{k}: {v}," for k, v in sorted((raw.get("matchLabels") or {}).items()))
    exprs = "".join(
        f"LabelSelectorRequirement{{Key:{e.get('key', '')},Operator:{e.get('operator', '')},"
        f"Values:[{' '.join(e.get('values') or [])}],}},"
        for e in raw.get("matchExpressions") or []
    )
    return (
        f"&LabelSelector{{MatchLabels:map[string]string{{{labels}}},"
        f"MatchExpressions:[]LabelSelectorRequirement{{{exprs}}},}}"
    )


class DisruptionController:
    def __init__(self, ctx: ControllerContext) -> None:
        self.clock = ctx.clock
        self.pdbs = ctx.client.resource("poddisruptionbudgets", group="policy")
        self.pdb_informer = ctx.informers.informer("poddisruptionbudgets", group="policy")
        self.pod_informer = ctx.informers.informer("pods")
        self.recorder = ctx.recorder(COMPONENT)
        self.scales = ScaleFinder(ctx)
        self.controller = Controller(
            QUEUE_NAME, self.sync, workers=1, clock=ctx.clock, metrics=ctx.queue_metrics(QUEUE_NAME)
        )
        enqueue = Handlers(
            add=lambda pdb: self.controller.enqueue(object_key(pdb)),
            update=lambda old, new: self.controller.enqueue(object_key(new)),
            delete=lambda pdb: self.controller.enqueue(object_key(pdb)),
        )
        self.pdb_informer.add_event_handler(enqueue, resync_period=RESYNC)
        self.pod_informer.add_event_handler(
            Handlers(add=self._pod_changed, update=self._pod_updated, delete=self._pod_changed)
        )
        self.controller.track(self.pdb_informer)
        self.controller.track(self.pod_informer)
        for informer in self.scales.informers():
            self.controller.track(informer)

    async def run(self, ready: asyncio.Event | None = None) -> None:
        await self.controller.run(ready)

    # ---- handlers ----

    def _budget_for(self, pod: Object) -> Object | None:
        labels = pod["metadata"].get("labels") or {}
        matching = sorted(
            (
                pdb
                for pdb in self.pdb_informer.lister.list(pod["metadata"].get("namespace"))
                if budget_selector(pdb).matches(labels)
            ),
            key=lambda p: p["metadata"]["name"],
        )
        if not matching:
            return None
        if len(matching) > 1:
            md = pod["metadata"]
            msg = (
                f'Pod "{md.get("namespace")}"/"{md["name"]}" matches multiple PodDisruptionBudgets.  '
                f'Chose "{matching[0]["metadata"]["name"]}" arbitrarily.'
            )
            self.recorder.event(pod, WARNING, "MultiplePodDisruptionBudgets", msg)
        return matching[0]

    def _pod_changed(self, pod: Object) -> None:
        if (pdb := self._budget_for(pod)) is not None:
            self.controller.enqueue(object_key(pdb))

    def _pod_updated(self, old: Object, new: Object) -> None:
        if old["metadata"].get("resourceVersion") == new["metadata"].get("resourceVersion"):
            return
        self._pod_changed(new)
        if old["metadata"].get("labels") != new["metadata"].get("labels"):
            self._pod_changed(old)

    # ---- reconcile ----

    async def sync(self, key: str) -> Requeue | None:
        namespace, name = split_key(key)
        pdb = self.pdb_informer.lister.get(name, namespace)
        if pdb is None:
            return None
        try:
            return await self._try_sync(pdb)
        except errors.Conflict:
            raise  # retried without failing safe: someone else just wrote it
        except Exception as err:
            log.error("failed to sync PDB: %s", err, extra={"podDisruptionBudget": key})
            await self._fail_safe(pdb, err)
            return None

    async def _try_sync(self, pdb: Object) -> Requeue | None:
        selector = budget_selector(pdb)
        pods = self.pod_informer.lister.list(pdb["metadata"].get("namespace"), selector)
        if not pods:
            self.recorder.event(pdb, NORMAL, "NoPods", "No matching pods found")
        try:
            expected, wanted = await self._expected(pdb, pods)
        except (ScaleError, IntOrPercentError, errors.APIError) as err:
            msg = err.message if isinstance(err, errors.APIError) else str(err)
            self.recorder.event(
                pdb,
                WARNING,
                "CalculateExpectedPodCountFailed",
                f"Failed to calculate the number of expected pods: {msg}",
            )
            raise
        now = self.clock.wall()
        disrupted = pdbstatus.disrupted_pods(pdb, pods, now)
        for pod in disrupted.not_deleted:
            ns = pdb["metadata"].get("namespace")
            # Kubernetes names the budget "<namespace>/<namespace>" here; kept as it reads.
            self.recorder.event(
                pod, WARNING, "NotDeleted", f"Pod was expected by PDB {ns}/{ns} to be deleted but it wasn't"
            )
        healthy = pdbstatus.current_healthy(pods, disrupted.pods, now)
        status = pdbstatus.new_status(pdb, healthy, wanted, expected, disrupted.pods, now)
        if not pdbstatus.unchanged(pdb, status):
            await self.pdbs.update({**copy.deepcopy(pdb), "status": status}, subresource="status")
        if disrupted.recheck_at is not None:
            return Requeue(max(0.0, disrupted.recheck_at - now))
        return None

    async def _expected(self, pdb: Object, pods: list[Object]) -> tuple[int, int]:
        if not pdbstatus.needs_scale(pdb):
            return pdbstatus.desired(pdb, len(pods), None)
        scales: dict[str, int] = {}
        unmanaged = []
        for pod in pods:
            ref = controller_ref(pod)
            if ref is None:
                unmanaged.append(pod["metadata"]["name"])
                continue
            if ref["uid"] in scales:
                continue
            found = await self.scales.find(ref, pod["metadata"].get("namespace", ""))
            if found is None:
                raise ScaleError(f'found no controllers for pod "{pod["metadata"]["name"]}"')
            uid, scale = found
            scales[uid] = scale
        if unmanaged:
            self.recorder.event(
                pdb,
                WARNING,
                "UnmanagedPods",
                f"Pods selected by this PodDisruptionBudget (selector: "
                f"{go_selector_string((pdb.get('spec') or {}).get('selector'))}) were found to be unmanaged. "
                "As a result, the status of the PDB cannot be calculated correctly, which may result in "
                'undefined behavior. To account for these pods please set ".spec.minAvailable" field of the '
                "PDB to an integer value.",
            )
        return pdbstatus.desired(pdb, len(pods), sum(scales.values()))

    async def _fail_safe(self, pdb: Object, err: BaseException) -> None:
        status = copy.deepcopy(pdb.get("status") or {})
        status["disruptionsAllowed"] = 0
        message = err.message if isinstance(err, errors.APIError) else str(err)
        cond = {
            "type": pdbstatus.DISRUPTION_ALLOWED,
            "status": "False",
            "reason": pdbstatus.SYNC_FAILED,
            "message": message,
            "observedGeneration": status.get("observedGeneration", 0),
        }
        status["conditions"] = pdbstatus.set_condition(
            status.get("conditions") or [], cond, self.clock.wall()
        )
        await self.pdbs.update({**copy.deepcopy(pdb), "status": status}, subresource="status")


class ScaleError(Exception):
    """No controller whose scale could be read owns a selected pod."""
