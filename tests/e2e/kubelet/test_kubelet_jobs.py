"""Jobs on a real node: `kubelite controller-manager` (the Job controller) with the kubelet
and a real runtime running the pods' containers (pinned to the test's node by nodeName, so
no scheduler is needed). Outcomes that take real processes: an Indexed Job whose pods see
their own index, a Job whose pods fail twice and then succeed after the back-off, and a
podFailurePolicy that fails the Job on exit code 42."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator

import pytest

from kubelite.api.meta import parse_time
from kubelite.util.net import free_port
from kubelite.util.process import stop_process
from kubelite.util.testing import wait_for_async

pytestmark = pytest.mark.kubelite_only("what is under test is the Job controller, not the runtime")


@pytest.fixture
def job_controller(cluster, tmp_path) -> Iterator[subprocess.Popen[bytes]]:
    log = open(tmp_path / "controller-manager.log", "ab")
    argv = [sys.executable, "-m", "kubelite", "controller-manager", "--kubeconfig", str(cluster.kubeconfig)]
    p = subprocess.Popen(
        [*argv, "--controllers", "job-controller", "--no-leader-elect", "--secure-port", "0"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    yield p
    stop_process(p)


def job(name: str, node: str, image: str, script: str, **spec) -> dict:
    pod_spec = {
        "nodeName": node,
        "restartPolicy": "Never",
        "terminationGracePeriodSeconds": 1,
        "containers": [
            {
                "name": "main",
                "image": image,
                "imagePullPolicy": "IfNotPresent",
                "command": ["sh", "-c", script],
            }
        ],
    }
    pod_spec.update(spec.pop("pod", {}))
    return {"metadata": {"name": name}, "spec": {"template": {"spec": pod_spec}, **spec}}


async def finished(api, name: str) -> dict:
    async def probe():
        obj = await api.resource("jobs", group="batch").get(name, namespace="default")
        conds = {
            c["type"] for c in (obj.get("status") or {}).get("conditions") or [] if c["status"] == "True"
        }
        return obj if conds & {"Complete", "Failed"} else None

    return await wait_for_async(probe, f"Job {name} to finish", timeout=180, interval=0.5)


async def job_pods(api, name: str) -> list[dict]:
    items = (await api.resource("pods").list(namespace="default", label_selector=f"job-name={name}"))["items"]
    return sorted(items, key=lambda p: p["metadata"]["creationTimestamp"])


async def test_an_indexed_job_s_pods_see_their_own_completion_index(api, kubelet, registry, job_controller):
    image = f"{registry}/busybox:latest"
    # The pod's hostname is idx-<index> (set by the controller); JOB_COMPLETION_INDEX comes
    # from the index annotation through the kubelet: they agree only if both are right.
    script = '[ "$(hostname)" = "idx-$JOB_COMPLETION_INDEX" ]'
    body = job(
        "idx", kubelet.node_name, image, script, completions=3, parallelism=3, completionMode="Indexed"
    )
    body["spec"]["backoffLimit"] = 0
    await api.resource("jobs", group="batch").create(body, namespace="default")
    status = (await finished(api, "idx"))["status"]
    assert [c["type"] for c in status["conditions"]] == ["SuccessCriteriaMet", "Complete"]
    assert (status["succeeded"], status["completedIndexes"]) == (3, "0-2")
    assert "failed" not in status


async def test_a_job_whose_pods_fail_twice_succeeds_after_the_back_off(
    api, kubelet, registry, job_controller
):
    image = f"{registry}/busybox:latest"
    # Each pod asks this server for its exit code: 1, 1, then 0.
    codes = iter([b"1", b"1", b"0"])

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(next(codes, b"0"))
        await writer.drain()
        writer.close()

    port = free_port()
    server = await asyncio.start_server(answer, "127.0.0.1", port)
    try:
        script = f"exit $(nc 127.0.0.1 {port} </dev/null)"
        body = job("flaky", kubelet.node_name, image, script, pod={"hostNetwork": True})
        await api.resource("jobs", group="batch").create(body, namespace="default")
        status = (await finished(api, "flaky"))["status"]
    finally:
        server.close()
        await server.wait_closed()
    assert (status.get("failed"), status.get("succeeded")) == (2, 1)
    assert [c["type"] for c in status["conditions"]] == ["SuccessCriteriaMet", "Complete"]
    pods = await job_pods(api, "flaky")
    assert len(pods) == 3
    # The back-off: 10 s after the first failure, 20 s after the second (second resolution).
    for previous, following, delay in ((pods[0], pods[1], 10), (pods[1], pods[2], 20)):
        ended = previous["status"]["containerStatuses"][0]["state"]["terminated"]["finishedAt"]
        started = following["metadata"]["creationTimestamp"]
        assert parse_time(started).timestamp() - parse_time(ended).timestamp() >= delay - 1
    events = (
        await api.resource("events").list(namespace="default", field_selector="involvedObject.name=flaky")
    )["items"]
    created = sorted(e["firstTimestamp"] for e in events if e["reason"] == "SuccessfulCreate")
    assert len(created) == 3
    assert parse_time(created[2]).timestamp() - parse_time(created[1]).timestamp() >= 20


async def test_a_fail_job_rule_fails_the_job_on_exit_code_42(api, kubelet, registry, job_controller):
    image = f"{registry}/busybox:latest"
    body = job("answer", kubelet.node_name, image, "exit 42")
    body["spec"]["podFailurePolicy"] = {
        "rules": [
            {"action": "FailJob", "onExitCodes": {"containerName": "main", "operator": "In", "values": [42]}}
        ]
    }
    await api.resource("jobs", group="batch").create(body, namespace="default")
    status = (await finished(api, "answer"))["status"]
    assert [c["type"] for c in status["conditions"]] == ["FailureTarget", "Failed"]
    failed = status["conditions"][1]
    assert failed["reason"] == "PodFailurePolicy"
    [pod] = await job_pods(api, "answer")
    assert failed["message"] == (
        f"Container main for pod default/{pod['metadata']['name']} failed with exit code 42 "
        "matching FailJob rule at index 0"
    )
    assert status["failed"] == 1
