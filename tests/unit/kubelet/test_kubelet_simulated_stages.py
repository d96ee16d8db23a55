"""Simulated pod lifecycles are data: golden input pods and the status each stage gives them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kubelite.kubelet.simulated.stages import DEFAULT_STAGES, current_stage, parse_stages, status_for

GOLDEN = Path(__file__).parent / "golden" / "simulated_stages.json"
WALL = 1_700_000_000.0

PODS = {
    "pending-pod": {
        "metadata": {"name": "a", "namespace": "default", "uid": "u1"},
        "spec": {
            "nodeName": "n",
            "containers": [
                {"name": "c", "image": "busybox", "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}}
            ],
        },
    },
    "running-job-pod": {
        "metadata": {
            "name": "j",
            "namespace": "default",
            "uid": "u2",
            "ownerReferences": [{"kind": "Job", "name": "j", "uid": "x"}],
        },
        "spec": {
            "nodeName": "n",
            "initContainers": [{"name": "init", "image": "busybox"}],
            "containers": [{"name": "c", "image": "busybox"}],
        },
        "status": {"phase": "Running", "startTime": "2023-11-14T22:00:00Z"},
    },
    "running-plain-pod": {
        "metadata": {"name": "r", "namespace": "default", "uid": "u3"},
        "spec": {"nodeName": "n", "containers": [{"name": "c", "image": "busybox"}]},
        "status": {"phase": "Running"},
    },
    "deleting-pod": {
        "metadata": {
            "name": "d",
            "namespace": "default",
            "uid": "u4",
            "deletionTimestamp": "2023-11-14T22:13:20Z",
        },
        "spec": {"nodeName": "n", "containers": [{"name": "c", "image": "busybox"}]},
    },
}


def _outcome(pod):
    stage = current_stage(parse_stages(DEFAULT_STAGES, 2.0), pod)
    if stage is None:
        return {"stage": None}
    if stage.delete:
        return {"stage": stage.name, "delay": stage.delay, "delete": True}
    return {
        "stage": stage.name,
        "delay": stage.delay,
        "status": status_for(pod, stage.next_phase, host_ip="172.16.0.1", pod_ip="10.0.0.2", wall=WALL),
    }


def test_default_stages_match_the_golden_file():
    got = {name: _outcome(pod) for name, pod in PODS.items()}
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
    assert got == json.loads(GOLDEN.read_text())


def test_stages_load_from_yaml(tmp_path):
    from kubelite.kubelet.simulated.stages import load_stages

    f = tmp_path / "stages.yaml"
    f.write_text("- name: fail-fast\n  match: {phases: [Pending]}\n  delay: 0.5\n  next: {phase: Failed}\n")
    [stage] = load_stages(f)
    assert (stage.name, stage.delay, stage.next_phase) == ("fail-fast", 0.5, "Failed")
    assert stage.matches(PODS["pending-pod"]) and not stage.matches(PODS["running-plain-pod"])


@pytest.mark.parametrize("phase", ["Running", "Succeeded"])
def test_a_pod_already_in_the_next_phase_matches_no_further_stage(phase):
    pod = {**PODS["running-job-pod"], "status": {"phase": "Succeeded"}}
    assert current_stage(parse_stages(DEFAULT_STAGES), pod) is None
