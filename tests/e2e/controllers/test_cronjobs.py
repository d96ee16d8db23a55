"""CronJobs on simulated nodes through the real kubectl: an every-minute schedule with the
Forbid and Replace policies (their Jobs are created suspended so that they stay active
across the next minute), and `kubectl create job --from=cronjob/x`."""

from __future__ import annotations

import json

from kubelite.util.testing import wait_for
from tests.e2e.controllers.conftest import KUBECTL_POLL, ControllersCluster


def cronjob(name: str, policy: str, *, suspended_jobs: bool) -> dict:
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name},
        "spec": {
            "schedule": "* * * * *",
            "concurrencyPolicy": policy,
            "jobTemplate": {
                "spec": {
                    "suspend": suspended_jobs,
                    "template": {
                        "spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "busybox"}]}
                    },
                }
            },
        },
    }


def owned_jobs(cc: ControllersCluster, cronjob_name: str) -> list[dict]:
    return [
        j
        for j in cc.json("get", "jobs")["items"]
        if any(r["name"] == cronjob_name for r in j["metadata"].get("ownerReferences") or [])
        and not j["metadata"].get("deletionTimestamp")
    ]


def events(cc: ControllersCluster, name: str) -> str:
    return cc.kubectl("get", "events", "--field-selector", f"involvedObject.name={name}").stdout


def test_every_minute_with_forbid_and_replace(cc):
    cc.controller_manager()
    path = cc.tmp / "cronjobs.json"
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "List",
                "items": [
                    cronjob("forbid", "Forbid", suspended_jobs=True),
                    cronjob("replace", "Replace", suspended_jobs=True),
                ],
            }
        )
    )
    cc.kubectl("create", "-f", str(path))
    wait_for(lambda: len(owned_jobs(cc, "forbid")) == 1, "the first start", timeout=75, interval=1.0)
    first_replace = wait_for(lambda: owned_jobs(cc, "replace"), "the first start of replace", timeout=75)
    wait_for(lambda: "JobAlreadyActive" in events(cc, "forbid"), "a skipped start", timeout=75, interval=1.0)
    assert len(owned_jobs(cc, "forbid")) == 1
    wait_for(
        lambda: "Deleted job" in events(cc, "replace"),
        "the running job replaced",
        timeout=75,
        interval=KUBECTL_POLL,
    )
    second = wait_for(
        lambda: [
            j
            for j in owned_jobs(cc, "replace")
            if j["metadata"]["uid"] != first_replace[0]["metadata"]["uid"]
        ],
        "the replacement",
        timeout=30,
    )
    status = cc.json("get", "cronjob", "replace")["status"]
    assert [a["name"] for a in status["active"]] == [second[0]["metadata"]["name"]]
    row = cc.kubectl("get", "cronjob", "forbid").stdout.splitlines()[1].split()
    assert row[:3] == ["forbid", "*", "*"]


def test_a_job_created_from_a_cronjob_runs_to_completion(cc):
    cc.controller_manager()
    path = cc.tmp / "cronjob.json"
    cj = cronjob("nightly", "Allow", suspended_jobs=False)
    cj["spec"]["schedule"] = "0 3 * * *"
    path.write_text(json.dumps(cj))
    cc.kubectl("create", "-f", str(path))
    cc.kubectl("create", "job", "manual", "--from=cronjob/nightly")
    cc.kubectl("wait", "--for=condition=complete", "job/manual", "--timeout=90s")
    job = cc.json("get", "job", "manual")
    assert job["metadata"]["annotations"]["cronjob.kubernetes.io/instantiate"] == "manual"
    assert job["metadata"]["ownerReferences"][0]["kind"] == "CronJob"
