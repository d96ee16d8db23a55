"""Node lifecycle through the real kubectl: a Node whose heartbeats stop goes Unknown after
the 40 s grace period, gets the unreachable taints, its pods are marked not Ready, and the
taint eviction controller deletes them after their tolerationSeconds.

The dark node is a Node object the test creates with a Ready status and a Lease renewed
once, then never again (no kubelet behind it). The cluster's simulated nodes stay healthy,
so the zone is not fully disrupted and evictions go ahead.
"""

from __future__ import annotations

import json
import time
from typing import Any

from kubelite.api.meta import format_micro_wall, format_wall, parse_time
from kubelite.util.testing import wait_for
from tests.e2e.controllers.conftest import ControllersCluster

UNREACHABLE = "node.kubernetes.io/unreachable"
DARK = "dark-node"


def create(cc: ControllersCluster, obj: dict[str, Any]) -> None:
    cc.cluster.kubectl("create", "-f", "-", input=json.dumps(obj))


def ready_status(now: float) -> dict[str, Any]:
    stamp = format_wall(now)
    return {
        "conditions": [
            {
                "type": "Ready",
                "status": "True",
                "reason": "KubeletReady",
                "lastHeartbeatTime": stamp,
                "lastTransitionTime": stamp,
            }
        ]
    }


def dark_node(cc: ControllersCluster, now: float) -> None:
    create(cc, {"apiVersion": "v1", "kind": "Node", "metadata": {"name": DARK}})
    cc.kubectl(
        "patch",
        "node",
        DARK,
        "--subresource=status",
        "--type=merge",
        "-p",
        json.dumps({"status": ready_status(now)}),
    )
    lease = {
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": DARK, "namespace": "kube-node-lease"},
        "spec": {"holderIdentity": DARK, "leaseDurationSeconds": 40, "renewTime": format_micro_wall(now)},
    }
    create(cc, lease)


def pod_on_dark_node(cc: ControllersCluster, name: str, toleration_seconds: int) -> None:
    toleration = {
        "key": UNREACHABLE,
        "operator": "Exists",
        "effect": "NoExecute",
        "tolerationSeconds": toleration_seconds,
    }
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "nodeName": DARK,
            "containers": [{"name": "c", "image": "pause"}],
            "tolerations": [toleration],
        },
    }
    create(cc, pod)
    status = {"status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}}
    cc.kubectl("patch", "pod", name, "--subresource=status", "--type=merge", "-p", json.dumps(status))


def condition(obj: dict[str, Any], type_: str) -> dict[str, Any]:
    return next((c for c in obj["status"].get("conditions", []) if c["type"] == type_), {})


def unknown_node(cc: ControllersCluster) -> dict[str, Any] | None:
    node = cc.json("get", "node", DARK)
    return node if condition(node, "Ready").get("status") == "Unknown" else None


def unreachable_taints(cc: ControllersCluster) -> list[dict[str, Any]] | None:
    taints = cc.json("get", "node", DARK)["spec"].get("taints", [])
    wanted = {(UNREACHABLE, "NoSchedule"), (UNREACHABLE, "NoExecute")}
    return taints if {(t["key"], t["effect"]) for t in taints} >= wanted else None


def evicted(cc: ControllersCluster, name: str) -> bool:
    return bool(cc.json("get", "pod", name)["metadata"].get("deletionTimestamp"))


def test_a_node_whose_heartbeats_stop_goes_unknown_is_tainted_and_its_pods_are_evicted_by_toleration(cc):
    cc.controller_manager("kcm", "--controllers", "node-lifecycle-controller,taint-eviction-controller")
    last_heartbeat = time.time()
    dark_node(cc, last_heartbeat)
    pod_on_dark_node(cc, "five", 5)
    pod_on_dark_node(cc, "default", 300)

    node = wait_for(lambda: unknown_node(cc), "the dark node to go Unknown", timeout=120, interval=1)
    ready = condition(node, "Ready")
    assert (ready["reason"], ready["message"]) == (
        "NodeStatusUnknown",
        "Kubelet stopped posting node status.",
    )
    # The grace period counts from the last renewal (timestamps to the second: 1 s slack).
    assert parse_time(ready["lastTransitionTime"]).timestamp() - last_heartbeat >= 39

    taints = wait_for(lambda: unreachable_taints(cc), "the unreachable taints", timeout=60, interval=1)
    assert {t["key"] for t in taints} == {UNREACHABLE}

    wait_for(lambda: evicted(cc, "five"), "the pod tolerating 5 s to be evicted", timeout=60, interval=1)
    five = cc.json("get", "pod", "five")
    assert condition(five, "Ready")["status"] == "False"
    assert condition(five, "DisruptionTarget")["reason"] == "DeletionByTaintManager"
    default = cc.json("get", "pod", "default")
    assert not evicted(cc, "default") and condition(default, "Ready")["status"] == "False"
    assert default["spec"]["tolerations"][0]["tolerationSeconds"] == 300

    events = cc.json("get", "events", "--field-selector", "reason=TaintManagerEviction")["items"]
    assert [e["message"] for e in events] == ["Marking for deletion Pod default/five"]
    rows = cc.kubectl("get", "nodes", DARK).stdout.splitlines()
    assert rows[1].split()[1] == "NotReady"
