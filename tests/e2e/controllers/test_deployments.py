"""Deployments on simulated nodes through the real kubectl: create, scale, roll out within
maxSurge/maxUnavailable, history and undo, pause and resume, restart, and a standby
controller manager finishing a rollout its leader started."""

from __future__ import annotations

import threading
from collections import Counter

from kubelite.util.testing import wait_for
from tests.e2e.controllers.conftest import KUBECTL_POLL, ControllersCluster


def pods(cc: ControllersCluster, selector: str = "app=web") -> list[dict]:
    items = cc.json("get", "pods", "-l", selector)["items"]
    return [p for p in items if not p["metadata"].get("deletionTimestamp")]


def ready(pod: dict) -> bool:
    return any(
        c.get("type") == "Ready" and c.get("status") == "True"
        for c in (pod.get("status") or {}).get("conditions", [])
    )


def images(cc: ControllersCluster) -> set[str]:
    return {p["spec"]["containers"][0]["image"] for p in pods(cc)}


def rollout_status(cc: ControllersCluster, timeout: str = "120s") -> str:
    return cc.kubectl("rollout", "status", "deployment/web", f"--timeout={timeout}").stdout


def test_a_deployment_scales_and_rolls_out_within_its_surge_and_unavailability_bounds(cc):
    cc.controller_manager()
    cc.kubectl("create", "deployment", "web", "--image=nginx:1.25", "--replicas=4")
    assert 'deployment "web" successfully rolled out' in rollout_status(cc)
    cc.kubectl("scale", "deployment/web", "--replicas=10")
    rollout_status(cc)
    assert len(pods(cc)) == 10 and all(map(ready, pods(cc)))
    header, row = cc.kubectl("get", "deployment", "web").stdout.splitlines()
    assert row.split()[1:4] == ["10/10", "10", "10"]

    samples: list[tuple[int, int, int]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            items = cc.json("get", "replicasets,pods", "-l", "app=web")["items"]
            live = [p for p in items if p["kind"] == "Pod" and not p["metadata"].get("deletionTimestamp")]
            wanted = {r["metadata"]["uid"]: r["spec"]["replicas"] for r in items if r["kind"] == "ReplicaSet"}
            owned = Counter(p["metadata"]["ownerReferences"][0]["uid"] for p in live)
            # Pods a ReplicaSet was just told to give up (its controller is deleting them).
            leaving = sum(max(0, n - wanted.get(uid, n)) for uid, n in owned.items())
            samples.append((len(live), leaving, sum(map(ready, live))))

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        cc.kubectl("set", "image", "deployment/web", "nginx=nginx:1.26")
        out = rollout_status(cc)
    finally:
        done.set()
        sampler.join()
    assert 'Waiting for deployment "web" rollout to finish' in out
    assert len(samples) >= 3
    # 25% of 10: at most 13 pods (surge rounds up), at least 8 ready (unavailability rounds
    # down). As in Kubernetes the bound is on what the ReplicaSets ask for: a pod its
    # ReplicaSet was scaled down past counts as leaving until its controller deletes it.
    assert max(total - leaving for total, leaving, _ in samples) <= 13, samples
    assert min(up for _, _, up in samples) >= 8, samples
    assert max(total for total, _, _ in samples) > 10, "the sampling saw no surge at all"
    assert images(cc) == {"nginx:1.26"}
    events = cc.kubectl("get", "events", "--field-selector", "involvedObject.kind=Deployment").stdout
    assert "ScalingReplicaSet" in events and "Scaled up replica set web-" in events


def test_history_undo_pause_resume_and_restart_behave_as_with_kubernetes(cc):
    cc.controller_manager()
    cc.kubectl("create", "deployment", "web", "--image=nginx:1.25", "--replicas=3")
    rollout_status(cc)
    cc.kubectl("set", "image", "deployment/web", "nginx=nginx:1.26")
    cc.kubectl("annotate", "deployment/web", "kubernetes.io/change-cause=move to 1.26")
    rollout_status(cc)
    history = cc.kubectl("rollout", "history", "deployment/web").stdout
    assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["1", "2"]
    assert "move to 1.26" in history

    out = cc.kubectl("rollout", "undo", "deployment/web", "--to-revision=1").stdout
    assert "deployment.apps/web rolled back" in out
    rollout_status(cc)
    assert images(cc) == {"nginx:1.25"}
    history = cc.kubectl("rollout", "history", "deployment/web").stdout
    assert [line.split()[0] for line in history.splitlines()[2:] if line.strip()] == ["2", "3"]

    cc.kubectl("rollout", "pause", "deployment/web")
    cc.kubectl("set", "image", "deployment/web", "nginx=nginx:1.27")
    wait_for(
        lambda: any(
            c["type"] == "Progressing" and c["reason"] == "DeploymentPaused"
            for c in cc.json("get", "deployment", "web")["status"]["conditions"]
        ),
        "the Progressing condition to say the deployment is paused",
        interval=KUBECTL_POLL,
    )
    assert len(cc.json("get", "replicasets", "-l", "app=web")["items"]) == 2  # nothing rolled out
    assert images(cc) == {"nginx:1.25"}
    cc.kubectl("rollout", "resume", "deployment/web")
    rollout_status(cc)
    assert images(cc) == {"nginx:1.27"}

    before = {p["metadata"]["uid"] for p in pods(cc)}
    cc.kubectl("rollout", "restart", "deployment/web")
    rollout_status(cc)
    after = {p["metadata"]["uid"] for p in pods(cc)}
    assert len(after) == 3 and not before & after


def test_a_standby_controller_manager_finishes_the_rollout_its_leader_started(cc):
    leader = cc.controller_manager("kcm-a")
    cc.kubectl("create", "deployment", "web", "--image=nginx:1.25", "--replicas=8")
    rollout_status(cc)  # kcm-a leads: it is alone
    cc.controller_manager("kcm-b")

    def holder() -> str:
        return str(
            cc.json("get", "lease", "kube-controller-manager", "-n", "kube-system")["spec"]["holderIdentity"]
        )

    first = holder()
    wait_for(lambda: "caches synced" in cc.log("kcm-b"), "the standby's caches", interval=KUBECTL_POLL)
    cc.kubectl("set", "image", "deployment/web", "nginx=nginx:1.26")
    wait_for(
        lambda: len(cc.json("get", "replicasets", "-l", "app=web")["items"]) == 2,
        "the rollout to start",
        interval=KUBECTL_POLL,
    )
    leader.kill()  # SIGKILL: no chance to release the Lease, the standby waits for it to expire
    leader.wait()
    wait_for(
        lambda: holder() not in ("", first),
        "the standby to take the Lease",
        timeout=30,
        interval=KUBECTL_POLL,
    )
    assert 'deployment "web" successfully rolled out' in rollout_status(cc)
    assert images(cc) == {"nginx:1.26"} and len(pods(cc)) == 8


def test_deleting_with_each_propagation_policy(cc):
    cc.controller_manager()
    for name in ("bg", "fg", "orphan"):
        cc.kubectl("create", "deployment", name, "--image=nginx", "--replicas=2")
    for name in ("bg", "fg", "orphan"):
        cc.kubectl("rollout", "status", f"deployment/{name}", "--timeout=120s")

    def left(name: str) -> tuple[int, int]:
        return (
            len(cc.json("get", "replicasets", "-l", f"app={name}")["items"]),
            len(pods(cc, f"app={name}")),
        )

    cc.kubectl("delete", "deployment", "fg", "--cascade=foreground")
    assert left("fg") == (0, 0)  # kubectl waited for the deployment, which waited for them

    cc.kubectl("delete", "deployment", "bg", "--cascade=background")
    wait_for(
        lambda: left("bg") == (0, 0),
        "the garbage collector to remove the ReplicaSet and pods",
        interval=KUBECTL_POLL,
    )

    cc.kubectl("delete", "deployment", "orphan", "--cascade=orphan")
    assert left("orphan") == (1, 2)
    rs = cc.json("get", "replicasets", "-l", "app=orphan")["items"][0]
    assert not rs["metadata"].get("ownerReferences")
    assert cc.kubectl("get", "deployment", "orphan", check=False).returncode == 1
