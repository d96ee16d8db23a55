"""Jobs on simulated nodes through the real kubectl: pods run to completion (the simulated
kubelet completes Job pods), counted once, Complete with Kubernetes' conditions."""

from __future__ import annotations

import json

from kubelite.util.testing import wait_for
from tests.e2e.controllers.conftest import KUBECTL_POLL, ControllersCluster

INDEXED = {
    "apiVersion": "batch/v1",
    "kind": "Job",
    "metadata": {"name": "indexed"},
    "spec": {
        "completions": 5,
        "parallelism": 3,
        "completionMode": "Indexed",
        "template": {
            "spec": {"restartPolicy": "Never", "containers": [{"name": "main", "image": "busybox"}]},
        },
    },
}


def job_pods(cc: ControllersCluster, name: str) -> list[dict]:
    return cc.json("get", "pods", "-l", f"batch.kubernetes.io/job-name={name}")["items"]


def test_a_job_runs_its_completions_and_reports_complete(cc):
    cc.controller_manager()
    cc.kubectl("create", "job", "pi", "--image=busybox")
    cc.kubectl("wait", "--for=condition=complete", "job/pi", "--timeout=90s")
    job = cc.json("get", "job", "pi")
    status = job["status"]
    assert status["succeeded"] == 1
    assert [c["type"] for c in status["conditions"]] == ["SuccessCriteriaMet", "Complete"]
    assert status["completionTime"] and status["startTime"]
    assert status["uncountedTerminatedPods"] == {}
    pods = job_pods(cc, "pi")
    assert len(pods) == 1 and pods[0]["status"]["phase"] == "Succeeded"
    assert not pods[0]["metadata"].get("finalizers")
    row = cc.kubectl("get", "job", "pi").stdout.splitlines()[1].split()
    assert row[:3] == ["pi", "Complete", "1/1"]
    events = cc.kubectl("get", "events", "--field-selector", "involvedObject.name=pi").stdout
    assert "SuccessfulCreate" in events and "Job completed" in events


def test_an_indexed_job_completes_every_index_once(cc):
    cc.controller_manager()
    path = cc.tmp / "indexed.json"
    path.write_text(json.dumps(INDEXED))
    cc.kubectl("create", "-f", str(path))
    cc.kubectl("wait", "--for=condition=complete", "job/indexed", "--timeout=120s")
    status = cc.json("get", "job", "indexed")["status"]
    assert (status["succeeded"], status["completedIndexes"]) == (5, "0-4")
    pods = job_pods(cc, "indexed")
    indexes = sorted(p["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"] for p in pods)
    assert indexes == ["0", "1", "2", "3", "4"]
    assert {p["spec"]["hostname"] for p in pods} == {f"indexed-{i}" for i in range(5)}


def test_a_finished_job_with_a_ttl_is_deleted_with_its_pods(cc):
    cc.controller_manager()
    path = cc.tmp / "ttl.json"
    job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": "brief"},
        "spec": {
            "ttlSecondsAfterFinished": 3,
            "template": {
                "spec": {"restartPolicy": "Never", "containers": [{"name": "main", "image": "busybox"}]}
            },
        },
    }
    path.write_text(json.dumps(job))
    cc.kubectl("create", "-f", str(path))
    cc.kubectl("wait", "--for=condition=complete", "job/brief", "--timeout=90s")
    cc.kubectl("wait", "--for=delete", "job/brief", "--timeout=60s")
    wait_for(lambda: not job_pods(cc, "brief"), "the Job's pods to go", timeout=60, interval=KUBECTL_POLL)
