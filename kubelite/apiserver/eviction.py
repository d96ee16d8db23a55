"""`POST pods/{name}/eviction` (policy/v1 Eviction): delete a pod unless a disruption
budget forbids it. `kubectl drain` evicts every pod of a node this way.

    pod missing                            404
    pod not Running (or terminating)       deleted: it counts against no budget
    no PodDisruptionBudget selects it      deleted
    a budget selects it:
        disruptions allowed > 0            deleted, budget charged for this eviction
        otherwise                          429 TooManyRequests, cause DisruptionBudget
    more than one budget selects it        500, as Kubernetes refuses to choose

Kubernetes reads `status.disruptionsAllowed`, which the disruption controller keeps up to
date. Until kubelite has that controller, the API server computes it from the budget and
the pods its selector matches (healthy = condition Ready is True) at eviction time.
Success is `201` with a Success Status; the pod is deleted gracefully with the eviction's
deleteOptions.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from kubelite.api import errors, meta
from kubelite.api.selectors.labels import selector_from_label_selector_object as label_selector
from kubelite.apiserver.registry import ListOptions, Registry
from kubelite.apiserver.request import RequestInfo, decode_object, delete_options_from, request_context
from kubelite.apiserver.responses import success_status


async def evict(registry: Registry, request: web.Request, info: RequestInfo) -> web.StreamResponse:
    body = decode_object(await request.read(), request.headers.get("Content-Type", ""))
    name = info.name
    if body["metadata"].get("name") and body["metadata"]["name"] != name:
        raise errors.BadRequest("name in URL does not match name in Eviction object")
    opts, body_dry = delete_options_from(body.get("deleteOptions") or {})
    ctx = request_context(request, body_dry_run=body_dry)
    opts.dry_run = ctx.dry_run
    pod = (await registry.get(info.rt, info.namespace, name)).obj
    if _counts_against_budgets(pod):
        await _check_budgets(registry, info.namespace, pod)
    await registry.delete(info.rt, info.namespace, name, opts, ctx)
    return success_status(201, ctx=ctx)


def _counts_against_budgets(pod: dict[str, Any]) -> bool:
    status = pod.get("status") or {}
    return status.get("phase") == "Running" and not pod["metadata"].get("deletionTimestamp")


def _healthy(pod: dict[str, Any]) -> bool:
    if pod["metadata"].get("deletionTimestamp"):
        return False
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (pod.get("status") or {}).get("conditions") or []
    )


async def _check_budgets(registry: Registry, namespace: str, pod: dict[str, Any]) -> None:
    pdbs = registry.catalog.get("policy", "v1", "poddisruptionbudgets")
    pods = registry.catalog.get("", "v1", "pods")
    assert pdbs is not None and pods is not None
    page = await registry.list(pdbs, namespace, ListOptions())
    labels = meta.labels_of(pod)
    matching = []
    for co in page.items:
        selector = (co.obj.get("spec") or {}).get("selector")
        if selector is None:
            continue
        compiled = label_selector(selector)
        if compiled.matches(labels):
            matching.append((co.obj, compiled))
    if not matching:
        return
    if len(matching) > 1:
        raise errors.InternalError(
            "This pod has more than one PodDisruptionBudget, which the eviction subresource does not support."
        )
    pdb, selector = matching[0]
    members = [
        co.obj
        for co in (await registry.list(pods, namespace, ListOptions())).items
        if selector.matches(meta.labels_of(co.obj))
    ]
    allowed = disruptions_allowed(pdb, members)
    if allowed <= 0:
        raise errors.TooManyRequests(
            "Cannot evict pod as it would violate the pod's disruption budget.",
            details={
                "causes": [
                    {
                        "reason": "DisruptionBudget",
                        "message": f"The disruption budget {meta.name_of(pdb)} needs "
                        f"{_desired_healthy(pdb, len(members))} healthy pods and has "
                        f"{sum(map(_healthy, members))} currently",
                    }
                ]
            },
            headers={"Retry-After": "5"},
        )


def _desired_healthy(pdb: dict[str, Any], expected: int) -> int:
    spec = pdb.get("spec") or {}
    if "maxUnavailable" in spec:
        return max(0, expected - _int_or_percent(spec["maxUnavailable"], expected))
    if "minAvailable" in spec:
        return _int_or_percent(spec["minAvailable"], expected)
    return expected


def disruptions_allowed(pdb: dict[str, Any], members: list[dict[str, Any]]) -> int:
    """What the disruption controller would publish as status.disruptionsAllowed."""
    healthy = sum(1 for p in members if _healthy(p))
    return max(0, healthy - _desired_healthy(pdb, len(members)))


def _int_or_percent(value: Any, total: int) -> int:
    """An IntOrString count: `2`, or `"50%"` of `total` rounded up (as the disruption controller)."""
    if isinstance(value, str) and value.endswith("%"):
        percent = int(value[:-1])
        return -(-percent * total // 100)
    return int(value)
