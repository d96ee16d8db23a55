"""DaemonSets on simulated nodes through the real kubectl: a pod per node following nodes
as they are added, tainted and removed; a rolling update watched with `kubectl rollout
status`, its history, and `kubectl rollout undo`."""

from __future__ import annotations

from kubelite.util.process import stop_process
from kubelite.util.testing import wait_for
from tests.e2e.controllers.conftest import KUBECTL_POLL, NODES, ControllersCluster

DAEMONSET = """
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
      - name: agent
        image: agent:1
"""


def placement(cc: ControllersCluster) -> dict[str, str]:
    """node -> image of its live daemon pod."""
    pods = cc.json("get", "pods", "-l", "app=agent")["items"]
    return {
        p["spec"].get("nodeName", ""): p["spec"]["containers"][0]["image"]
        for p in pods
        if not p["metadata"].get("deletionTimestamp")
    }


def counts(cc: ControllersCluster) -> tuple[int, int, int]:
    st = cc.json("get", "daemonset", "agent").get("status") or {}
    return st.get("desiredNumberScheduled", 0), st.get("currentNumberScheduled", 0), st.get("numberReady", 0)


def test_a_daemonset_follows_nodes_added_tainted_and_removed(cc):
    cc.controller_manager()
    (cc.tmp / "ds.yaml").write_text(DAEMONSET)
    cc.kubectl("create", "-f", str(cc.tmp / "ds.yaml"))
    wait_for(
        lambda: counts(cc) == (NODES, NODES, NODES),
        "a ready pod on every node",
        timeout=60,
        interval=KUBECTL_POLL,
    )
    assert len(placement(cc)) == NODES and "" not in placement(cc)

    cc.start("extra", "kubelet", "--simulated", "2", "--simulated-name-prefix", "extra-node-")
    wait_for(
        lambda: counts(cc)[:2] == (NODES + 2, NODES + 2),
        "pods on the new nodes",
        timeout=60,
        interval=KUBECTL_POLL,
    )
    wait_for(
        lambda: {"extra-node-0", "extra-node-1"} <= set(placement(cc)),
        "the new nodes' pods bound",
        timeout=60,
    )

    cc.kubectl("taint", "nodes", "extra-node-0", "dedicated=infra:NoExecute")
    wait_for(
        lambda: "extra-node-0" not in placement(cc),
        "the NoExecute taint to evict",
        timeout=60,
        interval=KUBECTL_POLL,
    )
    cc.kubectl("taint", "nodes", "extra-node-1", "dedicated=infra:NoSchedule")
    wait_for(
        lambda: counts(cc)[0] == NODES,
        "tainted nodes out of the desired count",
        timeout=60,
        interval=KUBECTL_POLL,
    )
    assert "extra-node-1" in placement(cc)  # NoSchedule does not evict

    stop_process(cc.processes.pop("extra"))
    cc.kubectl("delete", "node", "extra-node-0", "extra-node-1")
    wait_for(
        lambda: set(placement(cc)) == {f"sim-node-{i}" for i in range(NODES)},
        "the removed nodes' pods gone (the pod garbage collector's, 40 s after their node)",
        timeout=180,
    )
    row = cc.kubectl("get", "daemonset", "agent").stdout.splitlines()[1].split()
    assert row[:6] == ["agent", str(NODES), str(NODES), str(NODES), str(NODES), str(NODES)]


def test_rollout_status_history_and_undo(cc):
    cc.controller_manager()
    (cc.tmp / "ds.yaml").write_text(DAEMONSET)
    cc.kubectl("create", "-f", str(cc.tmp / "ds.yaml"))
    out = cc.kubectl("rollout", "status", "daemonset/agent", "--timeout=90s").stdout
    assert 'daemon set "agent" successfully rolled out' in out
    cc.kubectl("set", "image", "daemonset/agent", "agent=agent:2")
    out = cc.kubectl("rollout", "status", "daemonset/agent", "--timeout=120s").stdout
    assert 'daemon set "agent" successfully rolled out' in out
    assert set(placement(cc).values()) == {"agent:2"}
    history = cc.kubectl("rollout", "history", "daemonset/agent").stdout
    assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["1", "2"]
    cc.kubectl("rollout", "undo", "daemonset/agent")
    cc.kubectl("rollout", "status", "daemonset/agent", "--timeout=120s")
    wait_for(
        lambda: set(placement(cc).values()) == {"agent:1"}, "the rollback", timeout=60, interval=KUBECTL_POLL
    )
    history = cc.kubectl("rollout", "history", "daemonset/agent").stdout
    assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["2", "3"]
