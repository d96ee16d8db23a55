"""The DaemonSet controller on a fake cluster in virtual time. Pods are left unbound (the
scheduler is not part of these tests): the node a pod belongs to is the one its node
affinity names."""

from __future__ import annotations

from typing import Any

from kubelite.api.meta import format_wall
from kubelite.controllers.daemonset import DaemonSetController
from kubelite.controllers.daemonset.placement import target_node
from kubelite.controllers.testing import ControllerHarness

Obj = dict[str, Any]


def daemonset(name: str = "agent", **spec: Any) -> Obj:
    base: Obj = {
        "selector": {"matchLabels": {"app": name}},
        "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1, "maxSurge": 0}},
        "revisionHistoryLimit": 10,
        "template": {
            "metadata": {"labels": {"app": name}},
            "spec": {"containers": [{"name": "c", "image": "agent:1"}]},
        },
    }
    base.update(spec)
    return {"metadata": {"name": name}, "spec": base}


def node(name: str, labels: dict[str, str] | None = None, taints: list[Obj] | None = None) -> Obj:
    return {"metadata": {"name": name, "labels": labels or {}}, "spec": {"taints": taints or []}}


async def add_nodes(h: ControllerHarness, *names: str, **kw: Any) -> None:
    for n in names:
        await h.client.resource("nodes").create(node(n, **kw))


def placed(h: ControllerHarness) -> dict[str, list[Obj]]:
    out: dict[str, list[Obj]] = {}
    for p in h.cluster.objects("pods", "default"):
        if not p["metadata"].get("deletionTimestamp"):
            out.setdefault(target_node(p), []).append(p)
    return out


def ds_status(h: ControllerHarness, name: str = "agent") -> Obj:
    obj = h.cluster.get_object("daemonsets", name, "default", group="apps")
    assert obj is not None
    return obj.get("status") or {}


async def make_ready(h: ControllerHarness, pod: Obj) -> None:
    cond = {"type": "Ready", "status": "True", "lastTransitionTime": format_wall(h.clock.wall())}
    await h.client.resource("pods").patch(
        pod["metadata"]["name"], {"status": {"phase": "Running", "conditions": [cond]}}, subresource="status"
    )


async def ready_all(h: ControllerHarness) -> None:
    for pods in placed(h).values():
        for pod in pods:
            if not (pod.get("status") or {}).get("conditions"):
                await make_ready(h, pod)
    await h.settle()


async def test_one_pod_per_node_pinned_by_node_affinity_with_the_daemon_tolerations():
    h = ControllerHarness()
    async with h.running(DaemonSetController(h.ctx)):
        await add_nodes(h, "n1", "n2", "n3")
        await h.create("daemonsets", daemonset(), group="apps")
        await h.settle()
        by_node = placed(h)
        assert sorted(by_node) == ["n1", "n2", "n3"]
        pod = by_node["n2"][0]
        assert pod["metadata"]["generateName"] == "agent-"
        required = pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
        assert required == {
            "nodeSelectorTerms": [
                {"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n2"]}]}
            ]
        }
        keys = {(t["key"], t["effect"]) for t in pod["spec"]["tolerations"]}
        assert keys == {
            ("node.kubernetes.io/not-ready", "NoExecute"),
            ("node.kubernetes.io/unreachable", "NoExecute"),
            ("node.kubernetes.io/disk-pressure", "NoSchedule"),
            ("node.kubernetes.io/memory-pressure", "NoSchedule"),
            ("node.kubernetes.io/pid-pressure", "NoSchedule"),
            ("node.kubernetes.io/unschedulable", "NoSchedule"),
        }
        labels = pod["metadata"]["labels"]
        assert labels["pod-template-generation"] == "1" and labels["controller-revision-hash"]
        st = ds_status(h)
        assert (st["desiredNumberScheduled"], st["currentNumberScheduled"], st["numberMisscheduled"]) == (
            3,
            3,
            0,
        )
        assert st["numberReady"] == 0 and st["numberUnavailable"] == 3
        await ready_all(h)
        st = ds_status(h)
        assert (st["numberReady"], st["numberAvailable"], st["updatedNumberScheduled"]) == (3, 3, 3)
        assert "numberUnavailable" not in st and st["observedGeneration"] == 1
        [rev] = h.cluster.objects("controllerrevisions", "default", group="apps")
        assert rev["revision"] == 1
        assert rev["metadata"]["name"] == f"agent-{labels['controller-revision-hash']}"
        assert rev["data"]["spec"]["template"]["$patch"] == "replace"


async def test_pods_follow_nodes_as_they_come_go_and_change_labels():
    h = ControllerHarness()
    nodes = h.client.resource("nodes")
    async with h.running(DaemonSetController(h.ctx)):
        await add_nodes(h, "n1", "n2")
        await h.create(
            "daemonsets",
            daemonset(
                template={
                    "metadata": {"labels": {"app": "agent"}},
                    "spec": {
                        "nodeSelector": {"disk": "ssd"},
                        "containers": [{"name": "c", "image": "agent:1"}],
                    },
                }
            ),
            group="apps",
        )
        await h.settle()
        assert placed(h) == {}
        await nodes.patch("n1", {"metadata": {"labels": {"disk": "ssd"}}})
        await add_nodes(h, "n3", labels={"disk": "ssd"})
        await h.settle()
        assert sorted(placed(h)) == ["n1", "n3"]
        await nodes.patch("n1", {"metadata": {"labels": {"disk": None}}})
        await h.settle()
        assert sorted(placed(h)) == ["n3"]
        await nodes.delete("n3")
        await h.settle()
        assert placed(h) == {}
        st = ds_status(h)
        assert (st["desiredNumberScheduled"], st["currentNumberScheduled"]) == (0, 0)


async def test_taints_keep_new_pods_out_and_no_execute_taints_evict():
    h = ControllerHarness()
    nodes = h.client.resource("nodes")
    async with h.running(DaemonSetController(h.ctx)):
        await add_nodes(h, "n1", "n2")
        await add_nodes(h, "tainted", taints=[{"key": "gpu", "effect": "NoSchedule"}])
        await add_nodes(
            h, "cordoned", taints=[{"key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule"}]
        )
        await h.create("daemonsets", daemonset(), group="apps")
        await h.settle()
        assert sorted(placed(h)) == ["cordoned", "n1", "n2"]
        await nodes.patch("n1", {"spec": {"taints": [{"key": "dedicated", "effect": "NoSchedule"}]}})
        await h.settle()
        assert "n1" in placed(h)  # a NoSchedule taint does not evict
        st = ds_status(h)
        assert (st["desiredNumberScheduled"], st["numberMisscheduled"]) == (2, 1)
        await nodes.patch("n2", {"spec": {"taints": [{"key": "dedicated", "effect": "NoExecute"}]}})
        await h.settle()
        assert "n2" not in placed(h)


async def test_a_rolling_update_replaces_one_node_at_a_time_and_keeps_history():
    h = ControllerHarness()
    daemonsets = h.client.resource("daemonsets", group="apps")
    async with h.running(DaemonSetController(h.ctx)):
        await add_nodes(h, "n1", "n2", "n3")
        await h.create("daemonsets", daemonset(), group="apps")
        await h.settle()
        await ready_all(h)
        await daemonsets.patch(
            "agent", {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "agent:2"}]}}}}
        )
        await h.settle()
        images = sorted(p["spec"]["containers"][0]["image"] for ps in placed(h).values() for p in ps)
        assert images == ["agent:1", "agent:1", "agent:2"]
        for _ in range(2):
            await ready_all(h)
        await ready_all(h)
        images = sorted(p["spec"]["containers"][0]["image"] for ps in placed(h).values() for p in ps)
        assert images == ["agent:2"] * 3
        st = ds_status(h)
        assert (st["updatedNumberScheduled"], st["numberAvailable"], st["observedGeneration"]) == (3, 3, 2)
        revs = sorted(
            h.cluster.objects("controllerrevisions", "default", group="apps"), key=lambda r: r["revision"]
        )
        assert [r["revision"] for r in revs] == [1, 2]
        assert revs[1]["data"]["spec"]["template"]["spec"]["containers"][0]["image"] == "agent:2"


async def test_on_delete_leaves_running_pods_alone():
    h = ControllerHarness()
    daemonsets = h.client.resource("daemonsets", group="apps")
    async with h.running(DaemonSetController(h.ctx)):
        await add_nodes(h, "n1", "n2")
        await h.create("daemonsets", daemonset(updateStrategy={"type": "OnDelete"}), group="apps")
        await h.settle()
        await ready_all(h)
        await daemonsets.patch(
            "agent", {"spec": {"template": {"spec": {"containers": [{"name": "c", "image": "agent:2"}]}}}}
        )
        await h.settle()
        assert all(p["spec"]["containers"][0]["image"] == "agent:1" for ps in placed(h).values() for p in ps)
        assert "updatedNumberScheduled" not in ds_status(h)
        victim = placed(h)["n1"][0]
        await h.client.resource("pods").delete(victim["metadata"]["name"])
        await h.settle()
        assert placed(h)["n1"][0]["spec"]["containers"][0]["image"] == "agent:2"


async def test_a_failed_daemon_pod_is_replaced_and_reported():
    h = ControllerHarness()
    async with h.running(DaemonSetController(h.ctx)):
        await add_nodes(h, "n1")
        await h.create("daemonsets", daemonset(), group="apps")
        await h.settle()
        [pod] = placed(h)["n1"]
        await h.client.resource("pods").patch(
            pod["metadata"]["name"], {"status": {"phase": "Failed"}}, subresource="status"
        )
        await h.settle()
        [again] = placed(h)["n1"]
        assert again["metadata"]["name"] != pod["metadata"]["name"]
        [event] = h.events("FailedDaemonPod")
        assert event["message"] == (
            f"Found failed daemon pod default/{pod['metadata']['name']} on node n1, will try to kill it"
        )
