"""A private API server with every default admission plugin on (ServiceAccount included):
the tests create the service accounts the service account controller would."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kubelite.server.testing import LocalCluster


@pytest.fixture(scope="module")
def admitting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    c = LocalCluster(tmp_path_factory.mktemp("admission"), service_accounts=True)
    c.start()
    yield c
    c.stop()


@pytest.fixture
def namespace(admitting: LocalCluster, request: pytest.FixtureRequest) -> str:
    """A fresh namespace with its `default` service account."""
    name = "t-" + request.node.name.lower().replace("_", "-")[:40].strip("-")
    admitting.kubectl("create", "namespace", name)
    admitting.kubectl("create", "serviceaccount", "default", "-n", name)
    return name
