"""The graph builder: turns every monitor event into graph changes and work for the collector.

Monitor handlers only queue events; one task applies them to the graph in order, so the
graph has one writer. What an event can set in motion:

    object seen for the first time     add its node; link it to its owners (an owner not
                                       in the graph becomes a virtual node, queued to be
                                       verified); an owner in another namespace is
                                       reported (OwnerRefInvalidNamespace)
    a virtual node's object observed   it becomes real; dependents whose references
                                       disagree with what was observed are re-examined
    ownerReferences changed            relink; an owner deleting its dependents that lost
                                       a blocking dependent is looked at again
    deletion starts with `orphan`      → attempt_to_orphan(owner)
    deletion starts with               → mark deleting_dependents; attempt_to_delete(it and
      `foregroundDeletion`               every dependent)
    object deleted (or verified        remove it; attempt_to_delete(every dependent); an
      absent: a virtual delete)        owner deleting its dependents is looked at again

The collector (`collector.py`) does the API work the queued keys (uids) call for.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from kubelite.api.types import Object
from kubelite.client.events import WARNING, EventRecorder
from kubelite.controllers.garbagecollector.graph import (
    FOREGROUND_FINALIZER,
    ORPHAN_FINALIZER,
    AbsentOwnerCache,
    Graph,
    Identity,
    Node,
)

log = logging.getLogger("kubelite.controllers.garbagecollector")


class EventKind(Enum):
    ADD = "add"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(slots=True)
class GraphEvent:
    kind: EventKind
    obj: Object | None  # None for a virtual delete
    old: Object | None = None
    identity: Identity | None = None  # a virtual delete's: the coordinates found absent

    @property
    def virtual(self) -> bool:
        return self.obj is None


def _being_deleted(obj: Object | None) -> bool:
    return obj is not None and bool(obj["metadata"].get("deletionTimestamp"))


def _has_finalizer(obj: Object | None, name: str) -> bool:
    return obj is not None and name in (obj["metadata"].get("finalizers") or [])


def deletion_starts_with(old: Object | None, new: Object, finalizer: str) -> bool:
    """`new` is being deleted with `finalizer`, and `old` was not (or lacked it)."""
    if not _being_deleted(new) or not _has_finalizer(new, finalizer):
        return False
    return old is None or not _being_deleted(old) or not _has_finalizer(old, finalizer)


def _refs(obj: Object) -> list[Object]:
    return [r for r in obj["metadata"].get("ownerReferences") or [] if r.get("uid")]


class GraphBuilder:
    def __init__(
        self,
        graph: Graph,
        absent: AbsentOwnerCache,
        recorder: EventRecorder,
        attempt_to_delete: Callable[[str], None],
        attempt_to_orphan: Callable[[str], None],
    ) -> None:
        self.graph = graph
        self.absent = absent
        self.recorder = recorder
        self.attempt_to_delete = attempt_to_delete
        self.attempt_to_orphan = attempt_to_orphan
        self.changes: asyncio.Queue[GraphEvent] = asyncio.Queue()

    # ---- the monitors' EventHandler: queue only ----

    def on_add(self, obj: Object, is_initial_list: bool) -> None:
        self.changes.put_nowait(GraphEvent(EventKind.ADD, obj))

    def on_update(self, old: Object, new: Object) -> None:
        self.changes.put_nowait(GraphEvent(EventKind.UPDATE, new, old))

    def on_delete(self, obj: Object) -> None:
        self.changes.put_nowait(GraphEvent(EventKind.DELETE, obj))

    def virtual_delete(self, identity: Identity) -> None:
        """The collector found `identity` absent from the API."""
        self.changes.put_nowait(GraphEvent(EventKind.DELETE, None, identity=identity))

    # ---- the one writer ----

    async def run(self) -> None:
        while True:
            event = await self.changes.get()
            try:
                self.process(event)
            except Exception:  # one bad event must not stop the graph
                log.exception("graph change failed", extra={"event": event.kind.value})

    def process(self, event: GraphEvent) -> None:
        if event.kind is EventKind.DELETE:
            self._deleted(event)
            return
        assert event.obj is not None
        obj = event.obj
        uid = obj["metadata"].get("uid")
        if not uid:
            return
        node = self.graph.get(uid)
        if node is None:
            node = Node(Identity.of(obj), owners=_refs(obj), observed=True)
            node.being_deleted = _being_deleted(obj)
            node.deleting_dependents = node.being_deleted and _has_finalizer(obj, FOREGROUND_FINALIZER)
            self.graph.nodes[uid] = node
            self._link_to_owners(node, node.owners)
            self._transitions(event.old, obj, node)
            return
        if not node.observed:
            self._observe_virtual(node, Identity.of(obj))
        self._update_owners(node, _refs(obj))
        if _being_deleted(obj):
            node.being_deleted = True
        self._transitions(event.old, obj, node)

    # ---- adds and updates ----

    def _link_to_owners(self, node: Node, owners: list[Object]) -> None:
        suspicious = False
        for ref in owners:
            owner = self.graph.get(ref["uid"])
            if owner is None:
                owner = Node(Identity.of_owner(ref, node.identity.namespace), virtual=True)
                self.graph.nodes[owner.uid] = owner
                owner.dependents[node.uid] = node
                self.attempt_to_delete(owner.uid)  # verify the owner exists
                continue
            owner.dependents[node.uid] = node
            if suspicious:
                continue
            owner_ns = owner.identity.namespace
            if owner_ns and owner_ns != node.identity.namespace:
                if owner.observed:
                    self.report_invalid_namespace(node, owner.uid)
                suspicious = True
            elif not owner.identity.matches_ref(ref):
                suspicious = True
            elif not owner_ns and owner_ns != node.identity.namespace and not owner.observed:
                suspicious = True  # maybe a namespaced owner named from a cluster-scoped object
        if suspicious:
            self.attempt_to_delete(node.uid)

    def _observe_virtual(self, node: Node, observed: Identity) -> None:
        if observed != node.identity:
            # Dependents that named this owner otherwise may hold a bad reference.
            _, suspicious = partition(list(node.dependents.values()), observed)
            for dep in suspicious:
                if observed.namespace and dep.identity.namespace != observed.namespace:
                    self.report_invalid_namespace(dep, observed.uid)
                self.attempt_to_delete(dep.uid)
            node.identity = observed
        node.virtual, node.observed = False, True

    def _update_owners(self, node: Node, new: list[Object]) -> None:
        old_by_uid = {r["uid"]: r for r in node.owners}
        new_by_uid = {r["uid"]: r for r in new}
        added = [r for u, r in new_by_uid.items() if u not in old_by_uid]
        removed = [r for u, r in old_by_uid.items() if u not in new_by_uid]
        changed = [
            (old_by_uid[u], r) for u, r in new_by_uid.items() if u in old_by_uid and old_by_uid[u] != r
        ]
        if not (added or removed or changed):
            return
        # An owner waiting for its blocking dependents may now be free to go.
        unblocked = [r for r in removed if r.get("blockOwnerDeletion")]
        unblocked += [
            o for o, n in changed if o.get("blockOwnerDeletion") and not n.get("blockOwnerDeletion")
        ]
        for ref in unblocked:
            owner = self.graph.get(ref["uid"])
            if owner is not None and owner.deleting_dependents:
                self.attempt_to_delete(owner.uid)
        node.owners = new
        self._link_to_owners(node, added)
        for ref in removed:
            owner = self.graph.get(ref["uid"])
            if owner is not None:
                owner.dependents.pop(node.uid, None)

    def _transitions(self, old: Object | None, new: Object, node: Node) -> None:
        if deletion_starts_with(old, new, ORPHAN_FINALIZER):
            self.attempt_to_orphan(node.uid)
            return
        if deletion_starts_with(old, new, FOREGROUND_FINALIZER):
            node.being_deleted = node.deleting_dependents = True
            for dep in node.dependents.values():
                self.attempt_to_delete(dep.uid)
            self.attempt_to_delete(node.uid)

    # ---- deletes ----

    def _deleted(self, event: GraphEvent) -> None:
        if event.obj is not None:
            uid = event.obj["metadata"].get("uid", "")
        else:
            assert event.identity is not None
            uid = event.identity.uid
        node = self.graph.get(uid)
        if node is None:
            return
        if event.identity is not None and not self._virtual_delete_removes(node, event.identity):
            return
        del self.graph.nodes[node.uid]
        for ref in node.owners:
            owner = self.graph.get(ref["uid"])
            if owner is not None:
                owner.dependents.pop(node.uid, None)
        if node.dependents:
            self.absent.add(event.identity or node.identity)
        for dep in node.dependents.values():
            self.attempt_to_delete(dep.uid)
        for ref in node.owners:
            owner = self.graph.get(ref["uid"])
            if owner is not None and owner.deleting_dependents:
                self.attempt_to_delete(owner.uid)  # one blocking dependent fewer

    def _virtual_delete_removes(self, node: Node, absent: Identity) -> bool:
        """Whether the API's "not found" for `absent` removes `node`: not when the node
        was observed with other coordinates, nor while other dependents name it
        differently (those coordinates are tried next)."""
        matching, others = partition(list(node.dependents.values()), absent)
        if node.observed and node.identity == absent:
            return True
        if node.observed or others:
            if matching:
                self.absent.add(absent)
                for dep in matching:
                    self.attempt_to_delete(dep.uid)
            if not node.observed and node.identity == absent:
                ref = others[0].owner_ref(node.uid)
                assert ref is not None
                node.identity = Identity.of_owner(ref, others[0].identity.namespace)
                self.attempt_to_delete(node.uid)
            return False
        return True

    def report_invalid_namespace(self, dependent: Node, owner_uid: str) -> None:
        ref = dependent.owner_ref(owner_uid)
        if ref is None:
            return
        owner = Identity.of_owner(ref, dependent.identity.namespace)
        i = dependent.identity
        involved = {
            "apiVersion": i.api_version,
            "kind": i.kind,
            "metadata": {"name": i.name, "namespace": i.namespace, "uid": i.uid},
        }
        self.recorder.event(
            involved,
            WARNING,
            "OwnerRefInvalidNamespace",
            f'ownerRef {owner} does not exist in namespace "{i.namespace}"',
        )


def partition(dependents: list[Node], owner: Identity) -> tuple[list[Node], list[Node]]:
    """(dependents whose reference matches `owner`'s coordinates, those that disagree);
    a namespaced owner in another namespace than the dependent is a disagreement."""
    matching, others = [], []
    for dep in dependents:
        match = False
        mismatch = bool(owner.namespace) and owner.namespace != dep.identity.namespace
        for ref in dep.owners:
            if ref.get("uid") != owner.uid:
                continue
            if owner.matches_ref(ref):
                match = True
            else:
                mismatch = True
        if match:
            matching.append(dep)
        if mismatch:
            others.append(dep)
    return matching, others
