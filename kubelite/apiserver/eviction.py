"""`POST pods/{name}/eviction` (policy/v1 Eviction): delete a pod unless a disruption
budget forbids it. `kubectl drain` evicts every pod of a node this way.

    pod missing                            404
    pod Pending, Succeeded, Failed, or     deleted: it counts against no budget
      already terminating
    no PodDisruptionBudget selects it      deleted (a budget with an empty selector
                                           selects nothing here)
    more than one budget selects it        500, as Kubernetes refuses to choose
    one budget selects it:
        pod not Ready, and the budget's unhealthyPodEvictionPolicy is AlwaysAllow,
          or it is currently healthy enough     deleted, the budget not charged
        status not yet computed for the        429, "still being processed" (retry in 10 s)
          budget's generation
        status.disruptionsAllowed > 0          charged, then deleted
        status.disruptionsAllowed = 0          429 TooManyRequests, cause DisruptionBudget

The budget's status is kept by the disruption controller (`kubelite controller-manager`).
Charging it is one compare-and-swap write of its status: disruptionsAllowed - 1, the pod
added to status.disruptedPods (so the controller does not count it healthy while it goes),
the DisruptionAllowed condition turned False when nothing is left. Two evictions at the
same moment cannot both spend the last disruption: the loser's write is retried against
the winner's status and refused. Success is `201` with a Success Status; the pod is
deleted gracefully with the eviction's deleteOptions.
"""

from __future__ import annotations

from aiohttp import web

from kubelite.api import errors, meta
from kubelite.api.pods import is_ready
from kubelite.api.selectors.labels import selector_from_label_selector_object as label_selector
from kubelite.api.types import Object
from kubelite.apiserver.registry import ListOptions, Registry, RequestContext
from kubelite.apiserver.request import (
    RequestInfo,
    check_delete_options,
    decode_object,
    delete_options_from,
    read_body,
    request_context,
)
from kubelite.apiserver.responses import success_status

MAX_DISRUPTED_PODS = 2000
_CANNOT_EVICT = "Cannot evict pod as it would violate the pod's disruption budget."


async def evict(registry: Registry, request: web.Request, info: RequestInfo) -> web.StreamResponse:
    body = decode_object(await read_body(request), request.headers.get("Content-Type", ""))
    name = info.name
    if body["metadata"].get("name") and body["metadata"]["name"] != name:
        raise errors.BadRequest("name in URL does not match name in Eviction object")
    given = body.get("deleteOptions")
    opts, body_dry = delete_options_from(
        {} if given is None else check_delete_options(given, "deleteOptions")
    )
    ctx = request_context(request, body_dry_run=body_dry)
    opts.dry_run = ctx.dry_run
    pod = (await registry.get(info.rt, info.namespace, name)).obj
    if not _ignores_budgets(pod):
        await _charge_budget(registry, info.namespace, pod, ctx)
    await registry.delete(info.rt, info.namespace, name, opts, ctx)
    return success_status(201, ctx=ctx)


def _ignores_budgets(pod: Object) -> bool:
    phase = (pod.get("status") or {}).get("phase")
    return phase in ("Pending", "Succeeded", "Failed") or bool(pod["metadata"].get("deletionTimestamp"))


async def _budget_for(registry: Registry, namespace: str, pod: Object) -> Object | None:
    rt = registry.catalog.get("policy", "v1", "poddisruptionbudgets")
    assert rt is not None
    labels = meta.labels_of(pod)
    matching = []
    for co in (await registry.list(rt, namespace, ListOptions())).items:
        selector = (co.obj.get("spec") or {}).get("selector")
        if not selector or not (selector.get("matchLabels") or selector.get("matchExpressions")):
            continue  # a budget without a selector selects nothing here
        if label_selector(selector).matches(labels):
            matching.append(co.obj)
    if len(matching) > 1:
        raise errors.InternalError(
            "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
        )
    return matching[0] if matching else None


def _unhealthy_may_go(pod: Object, pdb: Object) -> bool:
    """A pod that is not Ready counts for nothing: it may go when the policy says so, or
    while the budget is met without it."""
    if is_ready(pod):
        return False
    if (pdb.get("spec") or {}).get("unhealthyPodEvictionPolicy") == "AlwaysAllow":
        return True
    status = pdb.get("status") or {}
    desired = status.get("desiredHealthy", 0)
    return bool(status.get("currentHealthy", 0) >= desired and desired > 0)


async def _charge_budget(registry: Registry, namespace: str, pod: Object, ctx: RequestContext) -> None:
    pdb = await _budget_for(registry, namespace, pod)
    if pdb is None or _unhealthy_may_go(pod, pdb):
        return
    rt = registry.catalog.get("policy", "v1", "poddisruptionbudgets")
    assert rt is not None
    pod_name = meta.name_of(pod)

    def charge(current: Object) -> Object:
        # Called on the budget as it is now, again after a lost compare-and-swap.
        if _unhealthy_may_go(pod, current):
            return current
        _check_and_decrement(current, pod_name)
        return current

    await registry.update(rt, namespace, meta.name_of(pdb), charge, ctx, subresource="status")


def _too_many_requests(cause: str, retry_after: int = 0) -> errors.TooManyRequests:
    details: Object = {"causes": [{"reason": "DisruptionBudget", "message": cause}]}
    headers = {}
    if retry_after:
        details["retryAfterSeconds"] = retry_after
        headers["Retry-After"] = str(retry_after)
    return errors.TooManyRequests(_CANNOT_EVICT, details=details, headers=headers)


def _forbidden(name: str, why: str) -> errors.Forbidden:
    return errors.Forbidden(
        f'poddisruptionbudgets.policy "{name}" is forbidden: {why}',
        details={"name": name, "group": "policy", "kind": "poddisruptionbudgets"},
    )


def _check_and_decrement(pdb: Object, pod_name: str) -> None:
    name = meta.name_of(pdb)
    status = pdb.setdefault("status", {})
    if status.get("observedGeneration", 0) < pdb["metadata"].get("generation", 0):
        raise _too_many_requests(f"The disruption budget {name} is still being processed by the server.", 10)
    allowed = int(status.get("disruptionsAllowed", 0))
    if allowed < 0:
        raise _forbidden(name, "pdb disruptions allowed is negative")
    if len(status.get("disruptedPods") or {}) > MAX_DISRUPTED_PODS:
        raise _forbidden(
            name, "DisruptedPods map too big - too many evictions not confirmed by PDB controller"
        )
    if allowed == 0:
        raise _too_many_requests(
            f"The disruption budget {name} needs {status.get('desiredHealthy', 0)} healthy pods "
            f"and has {status.get('currentHealthy', 0)} currently"
        )
    status["disruptionsAllowed"] = allowed - 1
    if allowed - 1 == 0:
        _insufficient(status)
    status.setdefault("disruptedPods", {})[pod_name] = meta.now_rfc3339()


def _insufficient(status: Object) -> None:
    """The DisruptionAllowed condition once the last disruption is spent."""
    conditions = status.setdefault("conditions", [])
    cond = next((c for c in conditions if c.get("type") == "DisruptionAllowed"), None)
    if cond is None:
        cond = {"type": "DisruptionAllowed", "message": ""}
        conditions.append(cond)
    if cond.get("status") != "False":
        cond["lastTransitionTime"] = meta.now_rfc3339()
    generation = status.get("observedGeneration", 0)
    cond.update(status="False", reason="InsufficientPods", observedGeneration=generation)
