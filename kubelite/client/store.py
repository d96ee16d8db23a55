"""The informer's cache: objects by key, with secondary indexes, and listers that read it.

An `Indexer` holds the latest state of every object an informer has seen, keyed
`namespace/name` (or `name` for cluster-scoped objects), and keeps any number of named
indexes up to date: an index function maps an object to the values it is filed under
(`by_namespace` → `["default"]`, `by_node_name` → a pod's `spec.nodeName`, `by_owner_uid`
→ the uids of its ownerReferences), and `by_index(name, value)` answers "which objects are
filed under this value" without scanning the whole cache.

Objects in the cache are shared by every reader in the process: never change one in place;
copy it (`copy.deepcopy`) before building an update.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

from kubelite.api.selectors import LabelSelector
from kubelite.api.types import Object

Objects = list[Object]  # `list[...]` inside a class with a `list` method would name the method

IndexFunc = Callable[[Object], list[str]]
# Aliases: inside classes with a `list` method, `list[...]` would name the method.
Keys = list[str]

NAMESPACE_INDEX = "namespace"
NODE_NAME_INDEX = "spec.nodeName"
OWNER_UID_INDEX = "ownerUID"


def object_key(obj: Object) -> str:
    """`namespace/name`, or `name` for cluster-scoped objects (client-go's MetaNamespaceKeyFunc)."""
    meta = obj.get("metadata", {})
    ns = meta.get("namespace")
    return f"{ns}/{meta['name']}" if ns else meta["name"]


def split_key(key: str) -> tuple[str, str]:
    """(namespace, name) of a key; namespace is "" for cluster-scoped objects."""
    ns, sep, name = key.partition("/")
    return (ns, name) if sep else ("", ns)


def by_namespace(obj: Object) -> list[str]:
    ns = obj.get("metadata", {}).get("namespace")
    return [ns] if ns else []


def by_node_name(obj: Object) -> list[str]:
    node = (obj.get("spec") or {}).get("nodeName")
    return [node] if node else []


def by_owner_uid(obj: Object) -> list[str]:
    return [ref["uid"] for ref in obj.get("metadata", {}).get("ownerReferences") or [] if ref.get("uid")]


class Indexer:
    """A key → object map with named secondary indexes; single-threaded (one event loop)."""

    def __init__(self, indexers: Mapping[str, IndexFunc] | None = None) -> None:
        self._items: dict[str, Object] = {}
        self._funcs: dict[str, IndexFunc] = {}
        self._indices: dict[str, dict[str, set[str]]] = {}
        for name, func in (indexers or {}).items():
            self.add_indexer(name, func)

    def has_index(self, name: str) -> bool:
        return name in self._funcs

    def add_indexer(self, name: str, func: IndexFunc) -> None:
        """Add an index; existing objects are filed under it at once."""
        if name in self._funcs:
            raise ValueError(f"indexer {name!r} already exists")
        self._funcs[name] = func
        index: dict[str, set[str]] = {}
        for key, obj in self._items.items():
            for value in func(obj):
                index.setdefault(value, set()).add(key)
        self._indices[name] = index

    # ---- writes (the informer's) ----

    def upsert(self, obj: Object) -> Object | None:
        """Store `obj`; return the object it replaced, if any."""
        key = object_key(obj)
        old = self._items.get(key)
        self._items[key] = obj
        self._reindex(key, old, obj)
        return old

    def delete(self, obj: Object) -> Object | None:
        key = object_key(obj)
        old = self._items.pop(key, None)
        if old is not None:
            self._reindex(key, old, None)
        return old

    def replace(self, objs: Iterable[Object]) -> None:
        self._items = {object_key(o): o for o in objs}
        for name, func in self._funcs.items():
            index: dict[str, set[str]] = {}
            for key, obj in self._items.items():
                for value in func(obj):
                    index.setdefault(value, set()).add(key)
            self._indices[name] = index

    def _reindex(self, key: str, old: Object | None, new: Object | None) -> None:
        for name, func in self._funcs.items():
            before = func(old) if old is not None else []
            after = func(new) if new is not None else []
            if before == after:
                continue
            index = self._indices[name]
            for value in before:
                keys = index.get(value)
                if keys is not None:
                    keys.discard(key)
                    if not keys:
                        del index[value]
            for value in after:
                index.setdefault(value, set()).add(key)

    # ---- reads ----

    def get(self, key: str) -> Object | None:
        return self._items.get(key)

    def keys(self) -> Keys:
        return list(self._items)

    def list(self) -> Objects:
        return list(self._items.values())

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: object) -> bool:
        return key in self._items

    def index_keys(self, index: str, value: str) -> Keys:
        if index not in self._indices:
            raise KeyError(f"no indexer named {index!r}")
        return sorted(self._indices[index].get(value, ()))

    def by_index(self, index: str, value: str) -> Objects:
        return [self._items[k] for k in self.index_keys(index, value)]

    def index_values(self, index: str) -> Keys:
        return list(self._indices[index])


class Lister:
    """Read-only, namespace-aware access to an informer's cache (client-go's listers)."""

    def __init__(self, indexer: Indexer) -> None:
        self._indexer = indexer

    def get(self, name: str, namespace: str | None = None) -> Object | None:
        return self._indexer.get(f"{namespace}/{name}" if namespace else name)

    def list(self, namespace: str | None = None, selector: LabelSelector | None = None) -> Objects:
        if namespace is None:
            objs = self._indexer.list()
        elif self._indexer.has_index(NAMESPACE_INDEX):
            objs = self._indexer.by_index(NAMESPACE_INDEX, namespace)
        else:
            objs = [o for o in self._indexer.list() if o["metadata"].get("namespace") == namespace]
        if selector is not None:
            objs = [o for o in objs if selector.matches(o["metadata"].get("labels") or {})]
        return objs

    def by_index(self, index: str, value: str) -> Objects:
        return self._indexer.by_index(index, value)
