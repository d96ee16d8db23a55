"""A `kubelite up` cluster per runtime, shared by the streaming tests of one module: its local
node's kubelet on the test's own kubelite runtime, then on the real containerd (both with
their own root, socket, bridge, subnet and cgroups, torn down afterwards).

The pods the tests exec into, attach to and forward to are created once per cluster; each
test names the kubectl it drives: the one on the PATH (WebSocket; the dispatcher runs 1.32
here) and kubectl 1.27 (SPDY only), so both stream protocols are proven on both runtimes.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubelite.runtime.testing import (
    containerd_missing,
    missing_tools,
)
from kubelite.server.testing import UpCluster, up_on_test_runtime
from kubelite.util.testing import wait_for


def versioned_kubectl(version: str) -> str:
    """kubectl VERSION, which the kubectl dispatcher keeps beside itself as kubectl.VERSION."""
    dispatcher = shutil.which("kubectl")
    beside = Path(dispatcher).resolve().parent if dispatcher else Path()
    return str(beside / f"kubectl.{version}")


KUBECTL_127 = versioned_kubectl("1.27")
KUBECTLS = [pytest.param("kubectl", id="kubectl"), pytest.param(KUBECTL_127, id="kubectl-1.27-spdy")]


@pytest.fixture(params=KUBECTLS)
def kubectl(request: pytest.FixtureRequest) -> str:
    if not os.path.exists(request.param) and request.param != "kubectl":
        pytest.fail(f"{request.param} is missing (the kubectl dispatcher's versioned binaries)")
    return str(request.param)


@pytest.fixture(scope="module", params=["kubelite", "containerd"])
def cluster(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, registry: str, pause_image: str
) -> Iterator[UpCluster]:
    if os.geteuid() != 0:
        pytest.fail("the streaming e2e tests must run as root (runc, mounts, network namespaces)")
    if missing := missing_tools() + (containerd_missing() if request.param == "containerd" else []):
        pytest.fail(f"missing tools: {' '.join(missing)}")
    work = tmp_path_factory.mktemp(f"up-{request.param}")
    with up_on_test_runtime(request.param, work, registry, pause_image) as up:
        yield up


def pod_manifest(name: str, registry: str, script: str, **container: object) -> str:
    """A one-container busybox pod running `script` with sh, as JSON for `kubectl apply -f -`."""
    main = {
        "name": "main",
        "image": f"{registry}/busybox:latest",
        "command": ["sh", "-c", script],
        **container,
    }
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {"terminationGracePeriodSeconds": 1, "containers": [main]},
    }
    return json.dumps(pod)


def wait_running(cluster: UpCluster, name: str) -> None:
    def running() -> bool:
        r = cluster.kubectl("get", "pod", name, "-o", "jsonpath={.status.phase}", check=False)
        return r.stdout == "Running"

    try:
        wait_for(running, f"pod {name} to run", timeout=90, interval=0.3)
    except AssertionError:
        pod = cluster.kubectl("get", "pod", name, "-o", "yaml", check=False).stdout
        nodes = cluster.kubectl("get", "nodes", "-o", "yaml", check=False).stdout
        events = cluster.kubectl("get", "events", check=False).stdout
        raise AssertionError(f"{pod}\n{nodes}\n{events}\nkubelite up's log:\n{cluster.log()}") from None
