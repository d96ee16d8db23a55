"""The garbage collector's graph: every object with its owners and dependents, by uid.

A `Node` stands for one object: its identity (apiVersion, kind, namespace, name, uid),
the ownerReferences it carries, and the nodes that name it as an owner. Owners are
often seen before or without their dependents' informers agreeing, so a node can be
*virtual*: created only because some dependent names it, its coordinates taken from that
ownerReference, until an informer reports the real object (then it is *observed*) or the
API says it does not exist (then it is removed, and its dependents re-examined).

    node flags   being_deleted        the object has a deletionTimestamp
                 deleting_dependents  ...and the `foregroundDeletion` finalizer: it waits
                                      for its blocking dependents to go first

The graph is changed only by the graph builder (one task, in event order); the workers
read it.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from kubelite.api.types import Object

ORPHAN_FINALIZER = "orphan"
FOREGROUND_FINALIZER = "foregroundDeletion"


@dataclass(slots=True, frozen=True)
class Identity:
    api_version: str
    kind: str
    namespace: str
    name: str
    uid: str

    def __str__(self) -> str:
        # Kubernetes' objectReference.String(), which its events and logs print.
        where = f"namespace: {self.namespace}, name: {self.name}, uid: {self.uid}"
        return f"[{self.api_version}/{self.kind}, {where}]"

    @property
    def group(self) -> str:
        return self.api_version.rpartition("/")[0]

    @classmethod
    def of(cls, obj: Object) -> Identity:
        md = obj["metadata"]
        return cls(
            obj.get("apiVersion", ""), obj.get("kind", ""), md.get("namespace", ""), md["name"], md["uid"]
        )

    @classmethod
    def of_owner(cls, ref: Object, namespace: str) -> Identity:
        """An owner as a dependent in `namespace` names it (its namespace is a guess)."""
        return cls(ref.get("apiVersion", ""), ref.get("kind", ""), namespace, ref.get("name", ""), ref["uid"])

    def matches_ref(self, ref: Object) -> bool:
        return (ref.get("apiVersion"), ref.get("kind"), ref.get("name"), ref.get("uid")) == (
            self.api_version,
            self.kind,
            self.name,
            self.uid,
        )


@dataclass(slots=True, eq=False)
class Node:
    identity: Identity
    owners: list[Object] = field(default_factory=list)  # its ownerReferences
    dependents: dict[str, Node] = field(default_factory=dict)  # by uid
    virtual: bool = False
    observed: bool = False
    being_deleted: bool = False
    deleting_dependents: bool = False

    @property
    def uid(self) -> str:
        return self.identity.uid

    def owner_ref(self, owner_uid: str) -> Object | None:
        return next((r for r in self.owners if r.get("uid") == owner_uid), None)

    def blocking_dependents(self) -> list[Node]:
        """Dependents whose reference to this node has blockOwnerDeletion: true."""
        out = []
        for dep in self.dependents.values():
            ref = dep.owner_ref(self.uid)
            if ref is not None and ref.get("blockOwnerDeletion"):
                out.append(dep)
        return out


class Graph:
    def __init__(self) -> None:
        self.nodes: dict[str, Node] = {}

    def get(self, uid: str) -> Node | None:
        return self.nodes.get(uid)

    def __len__(self) -> int:
        return len(self.nodes)


class AbsentOwnerCache:
    """Owners the API said do not exist, so many dependents need not ask again (an LRU)."""

    def __init__(self, size: int = 500) -> None:
        self.size = size
        self._items: OrderedDict[Identity, None] = OrderedDict()

    def add(self, identity: Identity) -> None:
        self._items[identity] = None
        self._items.move_to_end(identity)
        if len(self._items) > self.size:
            self._items.popitem(last=False)

    def __contains__(self, identity: object) -> bool:
        return identity in self._items
