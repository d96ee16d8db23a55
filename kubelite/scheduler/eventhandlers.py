"""What the scheduler does with each informer event (Kubernetes' eventhandlers.go).

    pods (not terminal)  unassigned, ours ──▶ queue add / update / delete
                         assigned ─────────▶ cache add / update / remove, then retry the
                                             parked pods the change may help
                         unassigned ▶ assigned (bound) ▶ out of the queue, into the cache
    nodes                ──▶ cache; added or changed (allocatable, labels, taints,
                             conditions) ▶ retry parked pods that change may help
    namespaces, claims   ──▶ retry parked pods rejected by plugins that read them

Handlers only update in-memory state; they never call the API or wait.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kubelite.api.types import Object
from kubelite.client.informer import Handlers
from kubelite.scheduler.framework import events as ev
from kubelite.scheduler.framework.events import ActionType, ClusterEvent, EventResource
from kubelite.scheduler.framework.types import PodInfo

if TYPE_CHECKING:
    from kubelite.scheduler.scheduler import Scheduler


def _assigned(pod: Object) -> bool:
    return bool((pod.get("spec") or {}).get("nodeName"))


def _uid(pod: Object) -> str:
    md = pod["metadata"]
    return str(md.get("uid") or f"{md.get('namespace') or 'default'}/{md['name']}")


def register(s: Scheduler) -> None:
    s.pod_informer.add_event_handler(
        Handlers(
            add=lambda p: on_pod_add(s, p),
            update=lambda o, n: on_pod_update(s, o, n),
            delete=lambda p: on_pod_delete(s, p),
        )
    )
    s.node_informer.add_event_handler(
        Handlers(
            add=lambda n: on_node_add(s, n),
            update=lambda o, n: on_node_update(s, o, n),
            delete=lambda n: on_node_delete(s, n),
        )
    )
    ns = s.informers.informer("namespaces")
    ns.add_event_handler(
        Handlers(
            add=lambda n: _move(s, EventResource.NAMESPACE, ActionType.ADD, None, n),
            update=lambda o, n: _namespace_update(s, o, n),
        )
    )
    pvcs = s.informers.informer("persistentvolumeclaims")
    pvcs.add_event_handler(
        Handlers(
            add=lambda p: _move(s, EventResource.PVC, ActionType.ADD, None, p),
            update=lambda o, n: _move(s, EventResource.PVC, ActionType.UPDATE_OTHER, o, n),
        )
    )
    pvs = s.informers.informer("persistentvolumes")
    pvs.add_event_handler(
        Handlers(
            add=lambda p: _move(s, EventResource.PV, ActionType.ADD, None, p),
            update=lambda o, n: _move(s, EventResource.PV, ActionType.UPDATE_OTHER, o, n),
        )
    )
    classes = s.informers.informer("storageclasses", group="storage.k8s.io")
    classes.add_event_handler(
        Handlers(
            add=lambda c: _move(s, EventResource.STORAGE_CLASS, ActionType.ADD, None, c),
            update=lambda o, n: _move(s, EventResource.STORAGE_CLASS, ActionType.UPDATE_OTHER, o, n),
        )
    )


def _move(
    s: Scheduler, resource: EventResource, action: ActionType, old: Object | None, new: Object | None
) -> None:
    s.queue.move_all_to_active_or_backoff(ClusterEvent(resource, action), old, new)


def _namespace_update(s: Scheduler, old: Object, new: Object) -> None:
    if (old["metadata"].get("labels") or {}) != (new["metadata"].get("labels") or {}):
        _move(s, EventResource.NAMESPACE, ActionType.UPDATE_OTHER, old, new)


# ---- pods ----


def on_pod_add(s: Scheduler, pod: Object) -> None:
    if _assigned(pod):
        s.cache.add_pod(pod)
        s.queue.move_all_to_active_or_backoff(ev.ASSIGNED_POD_ADD, None, pod)
    elif s.responsible_for(pod):
        s.queue.add(PodInfo(pod))


def on_pod_update(s: Scheduler, old: Object, new: Object) -> None:
    if _assigned(new):
        if not _assigned(old):
            s.queue.delete(_uid(new))  # bound: no longer pending
            s.cache.add_pod(new)
            s.queue.move_all_to_active_or_backoff(ev.ASSIGNED_POD_ADD, None, new)
            return
        s.cache.update_pod(new)
        action = ev.assigned_pod_update_actions(old, new)
        s.queue.move_all_to_active_or_backoff(ClusterEvent(EventResource.ASSIGNED_POD, action), old, new)
    elif s.responsible_for(new):
        s.queue.update(PodInfo(new))


def on_pod_delete(s: Scheduler, pod: Object) -> None:
    if _assigned(pod):
        s.cache.remove_pod(pod)
        s.queue.move_all_to_active_or_backoff(ev.ASSIGNED_POD_DELETE, pod, None)
        return
    uid = _uid(pod)
    s.queue.delete(uid)
    for fw in s.profiles.values():
        fw.reject_waiting_pod(uid, "", "pod was deleted")


# ---- nodes ----


def on_node_add(s: Scheduler, node: Object) -> None:
    s.cache.add_node(node)
    s.queue.move_all_to_active_or_backoff(ev.NODE_ADD, None, node)


def on_node_update(s: Scheduler, old: Object, new: Object) -> None:
    action = ev.node_update_actions(old, new)
    s.cache.update_node(
        new, changed=bool(action & ~ActionType.UPDATE_NODE_CONDITION) or _images_changed(old, new)
    )
    if action:
        s.queue.move_all_to_active_or_backoff(
            ClusterEvent(EventResource.NODE, action, "NodeUpdate"), old, new
        )


def _images_changed(old: Object, new: Object) -> bool:
    return (old.get("status") or {}).get("images") != (new.get("status") or {}).get("images")


def on_node_delete(s: Scheduler, node: Object) -> None:
    s.cache.remove_node(node)
