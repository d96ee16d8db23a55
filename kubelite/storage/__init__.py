"""Storage: one versioned key-value contract (interface.py), two backends (sqlite.py, etcd.py).

Only the API server imports this package.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from .interface import Store


def open_store(url: str) -> Store:
    """The store a URL names; call `await store.start()` before use.

    * `sqlite:///var/lib/kubelite/state.db` (absolute), `sqlite://state.db` (relative),
      or a plain file path -> SQLiteStore
    * `etcd://host:port[,host:port...]` -> EtcdStore
    """
    scheme, sep, rest = url.partition("://")
    if not sep:
        from .sqlite import SQLiteStore

        return SQLiteStore(url)
    if scheme == "sqlite":
        from .sqlite import SQLiteStore

        parts = urlsplit(url)
        path = parts.netloc + parts.path
        if not path:
            raise ValueError(f"no database path in {url!r}")
        return SQLiteStore(path)
    if scheme == "etcd":
        from .etcd import EtcdStore

        endpoints = [e for e in rest.split("/", 1)[0].split(",") if e]
        if not endpoints:
            raise ValueError(f"no etcd endpoint in {url!r}")
        return EtcdStore(endpoints)
    raise ValueError(f"unknown storage URL scheme {scheme!r} in {url!r}: use sqlite:// or etcd://")
