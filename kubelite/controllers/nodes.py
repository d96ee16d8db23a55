"""What the node controllers share: node conditions, the pods of a node, and changing a node's taints.

condition(node, "Ready")          the condition dict, or None
pods_on_node(informer, name)      the pods bound to the node, from the cache's
                                  spec.nodeName index (added once per shared informer)
swap_taints(nodes, node, add, remove)
                                  the node's taints with `add` put in (timeAdded now) and
                                  `remove` taken out, written as a merge patch pinned to
                                  the resourceVersion read; a lost race reads the node
                                  again, up to five times (as Kubernetes' PatchNodeTaints
                                  under RetryOnConflict)
"""

from __future__ import annotations

from kubelite.api import errors
from kubelite.api.meta import format_wall
from kubelite.api.taints import has_taint, same_taint
from kubelite.api.types import Object
from kubelite.client.informer import SharedInformer
from kubelite.client.resource import PatchType, ResourceClient
from kubelite.client.store import by_node_name
from kubelite.util.clock import Clock

NODE_NAME_INDEX = "spec.nodeName"
TAINT_RETRIES = 5


def condition(node: Object | None, type_: str) -> Object | None:
    for c in ((node or {}).get("status") or {}).get("conditions") or ():
        if c.get("type") == type_:
            return c  # type: ignore[no-any-return]
    return None


def index_pods_by_node(pods: SharedInformer) -> None:
    """File the informer's pods under spec.nodeName (once, however many controllers ask)."""
    if not pods.indexer.has_index(NODE_NAME_INDEX):
        pods.add_indexer(NODE_NAME_INDEX, by_node_name)


def pods_on_node(pods: SharedInformer, node_name: str) -> list[Object]:
    return pods.indexer.by_index(NODE_NAME_INDEX, node_name)


def taints_of(node: Object) -> list[Object]:
    return list((node.get("spec") or {}).get("taints") or [])


def with_taints(current: list[Object], add: list[Object], remove: list[Object], now: float) -> list[Object]:
    """`current` without `remove`, with `add` (stamped `now`) in place of any taint of the
    same key and effect."""
    kept = [t for t in current if not has_taint(remove, t) and not has_taint(add, t)]
    return kept + [{**t, "timeAdded": format_wall(now)} for t in add]


async def swap_taints(
    nodes: ResourceClient, node: Object, add: list[Object], remove: list[Object], clock: Clock
) -> Object | None:
    """Put `add` on the node and take `remove` off; the node written, or None when it is gone.
    A taint in `add` that the node already has (same key and effect) is left as it is."""
    current: Object | None = node
    for attempt in range(TAINT_RETRIES):
        if current is None or attempt > 0:
            try:
                current = await nodes.get(node["metadata"]["name"])
            except errors.NotFound:
                return None
        taints = taints_of(current)
        missing = [t for t in add if not has_taint(taints, t)]
        extra = [t for t in taints if any(same_taint(t, r) for r in remove)]
        if not missing and not extra:
            return current
        patch = {
            "metadata": {"resourceVersion": current["metadata"]["resourceVersion"]},
            "spec": {"taints": with_taints(taints, missing, remove, clock.wall())},
        }
        try:
            return await nodes.patch(current["metadata"]["name"], patch, patch_type=PatchType.MERGE)
        except errors.Conflict:
            current = None
        except errors.NotFound:
            return None
    raise errors.Conflict(f"could not change the taints of node {node['metadata']['name']}")
