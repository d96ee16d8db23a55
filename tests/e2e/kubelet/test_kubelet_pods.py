"""The kubelet against a real API server and kubelite's runtime: registration, a pod of the
busybox image that runs, restarts with growing back-off, is restarted by its liveness
probe, becomes Ready only when its readiness probe passes; init containers in order;
graceful deletion with a preStop hook. (Static pods: test_kubelet_static_pods.py.)"""

from __future__ import annotations

import asyncio
import ipaddress
import json
from pathlib import Path

from kubelite.api.errors import NotFound
from kubelite.util.testing import wait_for_async


def _pod(name, node, containers, **spec):
    return {
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"nodeName": node, "terminationGracePeriodSeconds": 5, "containers": containers, **spec},
    }


def _c(name, image, script, **extra):
    return {
        "name": name,
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "command": ["sh", "-c", script],
        **extra,
    }


async def test_node_registers_ready_and_renews_its_lease(api, kubelet, node_runtime):
    async def ready():
        # A runtime may report its network not ready until it has the pod CIDR's CNI config
        # (containerd does), so the Node can start NotReady, as in Kubernetes.
        node = await api.resource("nodes").get(kubelet.node_name)
        conds = {c["type"]: c["status"] for c in node.get("status", {}).get("conditions", [])}
        return node if conds.get("Ready") == "True" else None

    node = await wait_for_async(ready, what="the Node to be Ready", ignoring=(NotFound,))
    assert node["status"]["nodeInfo"]["containerRuntimeVersion"].startswith(f"{node_runtime.name}://")
    assert node["metadata"]["labels"]["kubernetes.io/hostname"] == kubelet.node_name
    assert int(node["status"]["capacity"]["pods"]) == 110
    leases = api.resource("leases", group="coordination.k8s.io")
    first = (await leases.get(kubelet.node_name, namespace="kube-node-lease"))["spec"]["renewTime"]

    async def renewed():
        lease = await leases.get(kubelet.node_name, namespace="kube-node-lease")
        return lease["spec"]["renewTime"] != first

    await wait_for_async(renewed, what="a lease renewal")


async def _record_transitions(pods, pod: str, container: str, transitions: list, watching: asyncio.Event):
    """Every (running, ready) state the API server stores for the container, in order."""
    async with pods.watch(namespace="default", allow_bookmarks=False) as events:
        watching.set()
        async for event in events:
            if event.object["metadata"]["name"] != pod:
                continue
            for c in event.object.get("status", {}).get("containerStatuses", []):
                seen_state = ("running" in c["state"], bool(c["ready"]))
                if c["name"] == container and (not transitions or transitions[-1] != seen_state):
                    transitions.append(seen_state)


async def _expect_growing_back_off(pods, pod: str, *, exit_code: int) -> None:
    """The pod's first container crash-loops with back-offs of 1 s, then 2 s (tests' kubelet)."""
    messages: set[str] = set()
    seen: list = []

    async def backed_off_growing():
        p = await pods.get(pod, namespace="default")
        statuses = p.get("status", {}).get("containerStatuses") or []
        if not statuses:
            return None
        c = statuses[0]
        waiting = c["state"].get("waiting") or {}
        # Between the exit and the sync that computes the back-off the state is terminated;
        # CrashLoopBackOff always carries its back-off message.
        if waiting.get("reason") == "CrashLoopBackOff":
            messages.add(waiting["message"].split(" restarting")[0])
            assert c["lastState"]["terminated"]["exitCode"] == exit_code
        if c["restartCount"] >= 3 and {"back-off 1s", "back-off 2s"} <= messages:
            return True
        seen.append((c["restartCount"], c["state"], sorted(messages)))
        return None

    try:
        await wait_for_async(backed_off_growing, timeout=40, what="CrashLoopBackOff with growing back-off")
    except AssertionError:
        raise AssertionError(seen[-3:]) from None


async def test_pod_runs_restarts_with_backoff_and_follows_its_probes(api, kubelet, registry, node_runtime):
    image = f"{registry}/busybox:latest"
    node = kubelet.node_name
    pods = api.resource("pods")
    containers = [
        _c(
            "ready-later",
            image,
            "sleep 2; touch /tmp/ready; exec sleep 300",
            readinessProbe={"exec": {"command": ["test", "-f", "/tmp/ready"]}, "periodSeconds": 1},
        ),
        _c(
            "live",
            image,
            "touch /tmp/alive; sleep 2; rm /tmp/alive; exec sleep 300",
            livenessProbe={
                "exec": {"command": ["test", "-f", "/tmp/alive"]},
                "periodSeconds": 1,
                "failureThreshold": 1,
            },
        ),
    ]
    # Every status the API server stores for ready-later, in order: readiness must come from
    # the probe, so a running-but-not-ready status precedes the first ready one.
    transitions: list[tuple[bool, bool]] = []
    watching = asyncio.Event()
    recorder = asyncio.create_task(_record_transitions(pods, "probed", "ready-later", transitions, watching))
    await asyncio.wait_for(watching.wait(), 10)
    await pods.create(_pod("probed", node, containers), namespace="default")
    await pods.create(_pod("crasher", node, [_c("crash", image, "echo bye; exit 3")]), namespace="default")

    await _expect_growing_back_off(pods, "crasher", exit_code=3)

    async def running():
        p = await pods.get("probed", namespace="default")
        return p if p.get("status", {}).get("phase") == "Running" else None

    p = await wait_for_async(running, what="the probed pod to run")
    st = p["status"]
    assert st["podIP"] and st["hostIP"] and st["startTime"] and st["qosClass"] == "BestEffort"
    cs = {c["name"]: c for c in st["containerStatuses"]}
    assert cs["ready-later"]["containerID"].startswith(f"{node_runtime.name}://")
    # imageID is the digest the image was pulled by, as Kubernetes shows it on any runtime.
    assert cs["ready-later"]["imageID"].startswith(f"{registry}/busybox@sha256:")
    assert ipaddress.ip_address(st["podIP"]) in ipaddress.ip_network(kubelet.options.default_pod_cidr)

    async def ready():
        p = await pods.get("probed", namespace="default")
        cond = {c["type"]: c["status"] for c in p["status"]["conditions"]}
        c = {c["name"]: c for c in p["status"]["containerStatuses"]}["ready-later"]
        return p if c["ready"] and cond["ContainersReady"] in ("True", "False") else None

    await wait_for_async(ready, what="readiness")

    async def watched_ready():
        return (True, True) in transitions

    await wait_for_async(watched_ready, timeout=10, what=f"the watch to see readiness; saw {transitions}")
    recorder.cancel()
    await asyncio.gather(recorder, return_exceptions=True)
    first_ready = transitions.index((True, True))
    assert (True, False) in transitions[:first_ready], transitions  # not ready until the probe passed

    async def liveness_restarted():
        p = await pods.get("probed", namespace="default")
        c = {c["name"]: c for c in p["status"]["containerStatuses"]}["live"]
        return c if c["restartCount"] >= 1 else None

    live = await wait_for_async(liveness_restarted, what="a liveness restart")
    assert live["lastState"]["terminated"]["exitCode"] in (137, 143)

    crasher = await pods.get("crasher", namespace="default")
    assert crasher["status"]["phase"] == "Running"
    for name in ("probed", "crasher"):
        await pods.delete(name, namespace="default", grace_period_seconds=1)


async def test_init_containers_run_in_order_then_graceful_deletion_runs_prestop(
    api, kubelet, registry, tmp_path
):
    image = f"{registry}/busybox:latest"
    pods = api.resource("pods")
    script = "trap 'echo got-term; exit 0' TERM; echo started; while true; do sleep 0.1; done"
    main = _c(
        "main",
        image,
        script,
        lifecycle={"preStop": {"exec": {"command": ["sh", "-c", "echo prestop > /proc/1/fd/1"]}}},
    )
    pod = _pod(
        "ordered",
        kubelet.node_name,
        [main],
        initContainers=[_c("init-1", image, "sleep 0.5"), _c("init-2", image, "true")],
    )
    created = await pods.create(pod, namespace="default")

    async def running():
        p = await pods.get("ordered", namespace="default")
        return p if p.get("status", {}).get("phase") == "Running" else None

    p = await wait_for_async(running, what="the pod to run after its init containers")
    i1, i2 = (s["state"]["terminated"] for s in p["status"]["initContainerStatuses"])
    assert i1["exitCode"] == i2["exitCode"] == 0 and i1["finishedAt"] <= i2["startedAt"]
    assert {c["type"]: c["status"] for c in p["status"]["conditions"]}["Initialized"] == "True"

    await pods.delete("ordered", namespace="default")

    async def gone():
        try:
            await pods.get("ordered", namespace="default")
            return False
        except NotFound:
            return True

    await wait_for_async(gone, what="the pod object to be deleted by the kubelet")
    uid = created["metadata"]["uid"]
    log = (tmp_path / "pods" / f"default_ordered_{uid}" / "main" / "0.log").read_text()
    lines = [line.split(" ", 3)[-1] for line in log.splitlines()]
    assert lines.index("prestop") < lines.index("got-term")


async def test_a_pod_runs_in_its_qos_class_cgroup_which_goes_with_the_pod(api, kubelet, registry):
    pods = api.resource("pods")
    main = _c("main", f"{registry}/busybox:latest", "exec sleep 300", resources={"requests": {"cpu": "10m"}})
    created = await pods.create(_pod("grouped", kubelet.node_name, [main]), namespace="default")
    uid = created["metadata"]["uid"]

    async def running():
        p = await pods.get("grouped", namespace="default")
        return p if p.get("status", {}).get("phase") == "Running" else None

    p = await wait_for_async(running, what="the pod to run")
    assert p["status"]["qosClass"] == "Burstable"
    cid = p["status"]["containerStatuses"][0]["containerID"].split("://", 1)[1]
    pid = json.loads((await kubelet.runtime.container_status(cid, verbose=True)).info["info"])["pid"]
    memory = next(
        line.split(":", 2)[2]
        for line in Path(f"/proc/{pid}/cgroup").read_text().splitlines()
        if "memory" in line.split(":")[1].split(",")
    )
    pod_cgroup = f"{kubelet.options.cgroup_root}/kubepods/burstable/pod{uid}"
    assert memory.startswith(pod_cgroup + "/"), memory

    await pods.delete("grouped", namespace="default", grace_period_seconds=1)

    async def cgroup_gone():
        return not Path(f"/sys/fs/cgroup/memory{pod_cgroup}").exists()

    await wait_for_async(cgroup_gone, what="the pod's cgroup to be removed with the pod")
