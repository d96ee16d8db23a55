"""How NodeResourcesFit and BalancedAllocation score: the per-resource arithmetic.

For each scored resource (cpu and memory, weight 1 each, unless configured) a node has an
*allocatable* amount and a *requested* amount: what its pods request plus what this pod
requests. For the Fit strategies the pods' cpu/memory are counted with the 100m / 200Mi a
container without a request is assumed to use ("non-zero"); BalancedAllocation counts the
actual requests. An extended resource the pod does not request is left out.

    LeastAllocated            (allocatable - requested) * 100 / allocatable  per resource
    MostAllocated             requested * 100 / allocatable (requested capped at allocatable)
    RequestedToCapacityRatio  a piecewise linear function of utilisation (shape points of
                              utilisation 0..100 -> score 0..10, scaled to 0..100)

and the node's score is the weighted average over the resources (integer division;
RequestedToCapacityRatio rounds to nearest and leaves out resources scoring 0).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubelite.scheduler.framework.interface import MAX_NODE_SCORE
from kubelite.scheduler.framework.types import (
    DEFAULT_MEMORY_REQUEST,
    DEFAULT_MILLI_CPU_REQUEST,
    NodeInfo,
    PodInfo,
    is_scalar_resource,
    pod_requests,
)

MAX_CUSTOM_PRIORITY_SCORE = 10
MAX_UTILIZATION = 100

Scorer = Callable[[list[int], list[int]], int]


@dataclass(slots=True, frozen=True)
class ResourceSpec:
    name: str
    weight: int = 1


DEFAULT_RESOURCES = (ResourceSpec("cpu", 1), ResourceSpec("memory", 1))


def parse_resources(
    raw: Any, default: tuple[ResourceSpec, ...] = DEFAULT_RESOURCES
) -> tuple[ResourceSpec, ...]:
    if not raw:
        return default
    out = []
    for r in raw:
        weight = int(r.get("weight") or 0) or 1
        if not 1 <= weight <= 100:
            raise ValueError(f"resources[].weight: Invalid value: {weight}: must be in the range [1, 100]")
        out.append(ResourceSpec(str(r["name"]), weight))
    return tuple(out)


def pod_request_list(pod: PodInfo, resources: tuple[ResourceSpec, ...], *, use_requested: bool) -> list[int]:
    """The pod's request of each scored resource (non-zero cpu/memory unless `use_requested`)."""
    if use_requested:
        reqs = pod.requests
        return [reqs.get(r.name) for r in resources]
    out = []
    extended: dict[str, int] | None = None
    for r in resources:
        if r.name == "cpu":
            out.append(pod.non_zero_cpu)
        elif r.name == "memory":
            out.append(pod.non_zero_memory)
        else:
            if extended is None:
                extended = pod_requests(
                    pod.pod, non_missing={"cpu": DEFAULT_MILLI_CPU_REQUEST, "memory": DEFAULT_MEMORY_REQUEST}
                )
            out.append(extended.get(r.name, 0))
    return out


def allocatable_and_requested(
    node: NodeInfo, resources: tuple[ResourceSpec, ...], pod_requests_: list[int], *, use_requested: bool
) -> tuple[list[int], list[int]]:
    requested_on_node = node.requested if use_requested else node.non_zero_requested
    allocs, reqs = [], []
    for r, pod_req in zip(resources, pod_requests_, strict=True):
        name = r.name
        if name == "cpu":
            alloc, used = node.allocatable.milli_cpu, requested_on_node.milli_cpu
        elif name == "memory":
            alloc, used = node.allocatable.memory, requested_on_node.memory
        elif name == "ephemeral-storage":
            alloc, used = node.allocatable.ephemeral_storage, node.requested.ephemeral_storage
        elif is_scalar_resource(name) and pod_req and name in node.allocatable.scalar:
            alloc, used = node.allocatable.scalar[name], node.requested.scalar.get(name, 0)
        else:
            alloc, used, pod_req = 0, 0, 0
        allocs.append(alloc)
        reqs.append(used + pod_req if alloc else 0)
    return allocs, reqs


def least_allocated(resources: tuple[ResourceSpec, ...]) -> Scorer:
    weights = [r.weight for r in resources]

    def score(requested: list[int], allocatable: list[int]) -> int:
        total = weight_sum = 0
        for req, cap, w in zip(requested, allocatable, weights, strict=True):
            if cap == 0:
                continue
            s = 0 if req > cap else (cap - req) * MAX_NODE_SCORE // cap
            total += s * w
            weight_sum += w
        return total // weight_sum if weight_sum else 0

    return score


def most_allocated(resources: tuple[ResourceSpec, ...]) -> Scorer:
    weights = [r.weight for r in resources]

    def score(requested: list[int], allocatable: list[int]) -> int:
        total = weight_sum = 0
        for req, cap, w in zip(requested, allocatable, weights, strict=True):
            if cap == 0:
                continue
            total += min(req, cap) * MAX_NODE_SCORE // cap * w
            weight_sum += w
        return total // weight_sum if weight_sum else 0

    return score


def broken_linear(shape: list[tuple[int, int]]) -> Callable[[int], int]:
    """Kubernetes' BuildBrokenLinearFunction over (utilisation, score) points."""

    def f(p: int) -> int:
        for i, (util, score) in enumerate(shape):
            if p <= util:
                if i == 0:
                    return shape[0][1]
                pu, ps = shape[i - 1]
                return ps + (score - ps) * (p - pu) // (util - pu)
        return shape[-1][1]

    return f


def requested_to_capacity_ratio(resources: tuple[ResourceSpec, ...], shape_raw: list[Any]) -> Scorer:
    shape = [
        (int(p["utilization"]), int(p["score"]) * (MAX_NODE_SCORE // MAX_CUSTOM_PRIORITY_SCORE))
        for p in shape_raw
    ]
    if not shape:
        raise ValueError(
            "requestedToCapacityRatio.shape: Required value: at least one point must be specified"
        )
    raw = broken_linear(shape)
    weights = [r.weight for r in resources]

    def resource_score(req: int, cap: int) -> int:
        if cap == 0 or req > cap:
            return raw(MAX_UTILIZATION)
        return raw(req * MAX_UTILIZATION // cap if req > 0 else 0)

    def score(requested: list[int], allocatable: list[int]) -> int:
        total = weight_sum = 0
        for req, cap, w in zip(requested, allocatable, weights, strict=True):
            if cap == 0:
                continue
            s = resource_score(req, cap)
            if s > 0:
                total += s * w
                weight_sum += w
        return round(total / weight_sum) if weight_sum else 0

    return score


def fast_cpu_memory(
    strategy: str, resources: tuple[ResourceSpec, ...]
) -> Callable[[PodInfo, list[NodeInfo]], list[int]] | None:
    """The default case - cpu and memory, LeastAllocated or MostAllocated - as one loop over
    the nodes (the same arithmetic as the generic path, without its per-resource lists)."""
    if [r.name for r in resources] != ["cpu", "memory"] or strategy not in (
        "LeastAllocated",
        "MostAllocated",
    ):
        return None
    wc, wm = resources[0].weight, resources[1].weight
    least = strategy == "LeastAllocated"

    def score_nodes(pod: PodInfo, nodes: list[NodeInfo]) -> list[int]:
        pc, pm = pod.non_zero_cpu, pod.non_zero_memory
        top = MAX_NODE_SCORE
        out = []
        for n in nodes:
            alloc, used = n.allocatable, n.non_zero_requested
            cap_c, cap_m = alloc.milli_cpu, alloc.memory
            total = weights = 0
            if cap_c:
                req = used.milli_cpu + pc
                if least:
                    total += (0 if req > cap_c else (cap_c - req) * top // cap_c) * wc
                else:
                    total += (min(req, cap_c) * top // cap_c) * wc
                weights += wc
            if cap_m:
                req = used.memory + pm
                if least:
                    total += (0 if req > cap_m else (cap_m - req) * top // cap_m) * wm
                else:
                    total += (min(req, cap_m) * top // cap_m) * wm
                weights += wm
            out.append(total // weights if weights else 0)
        return out

    return score_nodes
