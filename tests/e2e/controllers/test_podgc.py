"""The pod garbage collector through the real kubectl: the pods of a deleted node are failed
and removed after the 40 s quarantine; terminated pods beyond the threshold go, oldest first."""

from __future__ import annotations

import json

from kubelite.util.testing import wait_for
from tests.e2e.controllers.conftest import ControllersCluster


def create(cc: ControllersCluster, obj: dict) -> None:
    cc.cluster.kubectl("create", "-f", "-", input=json.dumps(obj))


def pod(name: str, node: str) -> dict:
    spec = {"nodeName": node, "containers": [{"name": "c", "image": "pause"}]}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def names(cc: ControllersCluster) -> set[str]:
    return {p["metadata"]["name"] for p in cc.json("get", "pods")["items"]}


def test_the_pods_of_a_deleted_node_are_collected_after_the_quarantine(cc: ControllersCluster):
    cc.controller_manager("kcm", "--controllers", "pod-garbage-collector-controller")
    create(cc, {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "doomed"}})
    create(cc, pod("orphan", "doomed"))
    create(cc, pod("kept", "sim-node-0"))
    cc.kubectl("delete", "node", "doomed")
    wait_for(lambda: "orphan" not in names(cc), "the orphan to be collected", timeout=120, interval=2)
    assert "kept" in names(cc)


def test_terminated_pods_beyond_the_threshold_are_deleted_oldest_first(cc: ControllersCluster):
    for i in range(4):
        # bound to no real node: no kubelet changes their phase (orphan collection waits 40 s)
        create(cc, pod(f"done-{i}", "elsewhere"))
        status = {"status": {"phase": "Succeeded"}}
        cc.kubectl(
            "patch", "pod", f"done-{i}", "--subresource=status", "--type=merge", "-p", json.dumps(status)
        )
    cc.controller_manager("kcm", "--controllers", "podgc", "--terminated-pod-gc-threshold", "2")
    wait_for(lambda: names(cc) == {"done-2", "done-3"}, "the two oldest to go", timeout=60, interval=1)
