"""Which pods go first on scale-down: Kubernetes' ranking, criterion by criterion."""

from __future__ import annotations

from typing import Any

from kubelite.api.meta import format_wall
from kubelite.controllers.replicaset.ranking import deletion_cost, pods_to_delete

NOW = 1_700_000_000.0


def pod(
    name: str, *, node: str = "n1", phase: str = "Running", ready: bool = True, **kw: Any
) -> dict[str, Any]:
    md: dict[str, Any] = {
        "name": name,
        "uid": kw.get("uid", name),
        "creationTimestamp": format_wall(NOW - kw.get("age", 100)),
    }
    if "cost" in kw:
        md["annotations"] = {"controller.kubernetes.io/pod-deletion-cost": str(kw["cost"])}
    conditions = []
    if ready:
        conditions.append(
            {
                "type": "Ready",
                "status": "True",
                "lastTransitionTime": format_wall(NOW - kw.get("ready_for", 50)),
            }
        )
    return {
        "metadata": md,
        "spec": {"nodeName": node} if node else {},
        "status": {
            "phase": phase,
            "conditions": conditions,
            "containerStatuses": [{"name": "c", "restartCount": kw.get("restarts", 0)}],
        },
    }


def order(*pods: dict[str, Any], related: list[dict[str, Any]] | None = None) -> list[str]:
    chosen = pods_to_delete(list(pods), related or [], len(pods) - 1, NOW)
    rest = [p for p in pods if p not in chosen]
    return [p["metadata"]["name"] for p in chosen + rest]


def test_unscheduled_before_pending_before_running():
    assert order(pod("running"), pod("pending", phase="Pending", ready=False), pod("nowhere", node=""))[
        :2
    ] == [
        "nowhere",
        "pending",
    ]


def test_not_ready_before_ready():
    assert order(pod("ready"), pod("unready", ready=False))[0] == "unready"


def test_lower_deletion_cost_first_and_malformed_cost_counts_as_zero():
    assert order(pod("cheap", cost=-5), pod("dear", cost=100), pod("plain"))[0] == "cheap"
    assert deletion_cost(pod("bad", cost="x")) == 0
    assert deletion_cost(pod("huge", cost=2**40)) == 0


def test_pods_doubled_up_on_a_node_with_their_siblings_go_first():
    crowded, alone = pod("crowded", node="busy"), pod("alone", node="quiet")
    siblings = [pod(f"s{i}", node="busy") for i in range(3)]
    assert order(alone, crowded, related=siblings + [crowded, alone])[0] == "crowded"


def test_more_restarts_before_fewer_when_ready_times_share_a_log_bucket():
    a = pod("steady", ready_for=40, restarts=0)
    b = pod("flaky", ready_for=41, restarts=7)
    assert order(a, b)[0] == "flaky"


def test_ready_for_less_time_goes_first_across_log_buckets():
    assert order(pod("veteran", ready_for=10_000), pod("rookie", ready_for=5))[0] == "rookie"


def test_newer_before_older_with_uid_breaking_ties_within_a_bucket():
    old, new = pod("old", age=100_000, ready=False), pod("new", age=10, ready=False)
    assert order(old, new)[0] == "new"
    x, y = pod("x", age=40, ready=False, uid="b"), pod("y", age=41, ready=False, uid="a")
    assert order(x, y)[0] == "y"


def test_deleting_every_pod_needs_no_ranking():
    pods = [pod("a"), pod("b")]
    assert pods_to_delete(pods, [], 5, NOW) == pods
