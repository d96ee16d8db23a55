"""Fixtures that run the storage contract suite once per backend.

`backend` names the store under test and knows how to open it again on the same data and
how to restart it (for etcd: restart the etcd server itself). All etcd tests share one
private etcd server for speed; each test writes under its own key prefix (`backend.ns`),
and runs alone, so the revisions it sees are its own writes.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from kubelite.storage import open_store
from kubelite.storage.interface import Store
from kubelite.storage.testing import INSTALL_HINT, EtcdServer, etcd_binary

_test_numbers = itertools.count(1)


class Backend:
    """The store under test: how to open, reopen and restart it."""

    def __init__(self, name: str, url: str, etcd: EtcdServer | None) -> None:
        self.name = name
        self.url = url  # what open_store() takes; also handed to subprocesses
        self.ns = f"/contract/{next(_test_numbers)}/"  # this test's keys
        self._etcd = etcd
        self._open: list[Store] = []

    async def open(self) -> Store:
        store = open_store(self.url)
        await store.start()
        self._open.append(store)
        return store

    async def restart(self, store: Store) -> Store:
        """Close `store`, restart the backend on the same data, and open it again."""
        await store.close()
        if self._etcd is not None:
            self._etcd.restart()
        return await self.open()

    async def close_all(self) -> None:
        for store in self._open:
            await store.close()


@pytest.fixture(scope="session")
def etcd_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EtcdServer]:
    try:
        etcd_binary()
    except RuntimeError:
        pytest.fail(INSTALL_HINT, pytrace=False)
    server = EtcdServer(tmp_path_factory.mktemp("etcd"))
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", pytest.param("etcd", marks=pytest.mark.etcd)])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Backend]:
    if request.param == "sqlite":
        backend = Backend("sqlite", f"sqlite://{os.path.join(tmp_path, 'state.db')}", None)
    else:
        server: EtcdServer = request.getfixturevalue("etcd_server")
        backend = Backend("etcd", f"etcd://{server.endpoint}", server)
    yield backend
    await backend.close_all()


@pytest.fixture
async def store(backend: Backend) -> Store:
    return await backend.open()
