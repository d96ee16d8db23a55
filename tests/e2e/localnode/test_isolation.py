"""Resources and isolation on the real local node, through the real kubectl, on both
runtimes: limits in the container's and the pod's cgroups and the QoS class, a memory hog
OOM-killed, the securityContext (users and groups, a dropped capability, a read-only root,
no_new_privs, seccomp, sysctls), a shared process namespace, the kubelet-managed
/etc/hosts, termination messages, activeDeadlineSeconds, and the kubelet's refusals
(runAsNonRoot, a forbidden sysctl).

Every pod is created at once by the module's fixture, so they start side by side."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from kubelite.server.testing import UpCluster
from kubelite.util.testing import wait_for
from tests.e2e.localnode.conftest import POD_MAX_PIDS

LIMITS = {"limits": {"cpu": "250m", "memory": "32Mi"}}


def _busybox(registry: str, name: str, script: str, **extra: object) -> dict:
    return {"name": name, "image": f"{registry}/busybox:latest", "command": ["sh", "-c", script], **extra}


def _pod(name: str, spec: dict) -> dict:
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name}, "spec": spec}


def _pods(registry: str) -> list[dict]:
    secure = _pod(
        "secure",
        {
            "terminationGracePeriodSeconds": 1,
            "shareProcessNamespace": True,
            "hostAliases": [{"ip": "10.1.2.3", "hostnames": ["foo.local", "bar.local"]}],
            "securityContext": {
                "supplementalGroups": [4000],
                "sysctls": [{"name": "kernel.shm_rmid_forced", "value": "1"}],
            },
            "containers": [
                _busybox(
                    registry,
                    "ids",
                    "exec sleep 100001",
                    resources=LIMITS,
                    securityContext={"runAsUser": 1000, "runAsGroup": 3000},
                ),
                _busybox(
                    registry,
                    "locked",
                    "touch /tmp-owned 2>/dev/null; exec sleep 100002",
                    resources=LIMITS,
                    volumeMounts=[{"name": "scratch", "mountPath": "/scratch"}],
                    securityContext={
                        "capabilities": {"drop": ["CHOWN"]},
                        "readOnlyRootFilesystem": True,
                        "allowPrivilegeEscalation": False,
                        "seccompProfile": {"type": "RuntimeDefault"},
                    },
                ),
                _busybox(
                    registry,
                    "privileged",
                    "exec sleep 100006",
                    resources=LIMITS,
                    securityContext={"privileged": True},
                ),
            ],
            "volumes": [{"name": "scratch", "emptyDir": {}}],
        },
    )
    hog = _pod(
        "hog",
        {
            "restartPolicy": "Never",
            "containers": [
                {
                    "name": "hog",
                    "image": f"{registry}/busybox:latest",
                    # dd's 64 MiB buffer, filled from /dev/zero, cannot fit in 16 MiB
                    "command": ["dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"],
                    "resources": {"limits": {"memory": "16Mi"}},
                }
            ],
        },
    )
    messages = _pod(
        "messages",
        {
            "restartPolicy": "Never",
            "containers": [
                _busybox(registry, "file", "printf bye > /dev/termination-log"),
                _busybox(
                    registry,
                    "fallback",
                    "echo first; echo from-logs; exit 3",
                    terminationMessagePolicy="FallbackToLogsOnError",
                ),
                _busybox(
                    registry, "custom", "printf custom > /tmp/msg; exit 1", terminationMessagePath="/tmp/msg"
                ),
            ],
        },
    )
    deadline = _pod(
        "deadline",
        {
            "activeDeadlineSeconds": 3,
            "terminationGracePeriodSeconds": 1,
            "containers": [_busybox(registry, "main", "exec sleep 100003")],
        },
    )
    nonroot = _pod(
        "nonroot",
        {
            "securityContext": {"runAsNonRoot": True},
            "containers": [_busybox(registry, "main", "exec sleep 100004")],
        },
    )
    forbidden = _pod(
        "forbidden-sysctl",
        {
            "securityContext": {"sysctls": [{"name": "kernel.msgmax", "value": "10000"}]},
            "containers": [_busybox(registry, "main", "exec sleep 100005")],
        },
    )
    return [secure, hog, messages, deadline, nonroot, forbidden]


@pytest.fixture(scope="module")
def iso(cluster: UpCluster, registry: str) -> Iterator[UpCluster]:
    for pod in _pods(registry):
        cluster.kubectl("apply", "-f", "-", input=json.dumps(pod))
    yield cluster


def _get(cluster: UpCluster, name: str) -> dict:
    return json.loads(cluster.kubectl("get", "pod", name, "-o", "json").stdout)


def _wait(cluster: UpCluster, name: str, what: str, check) -> dict:
    seen: dict = {}

    def ok() -> bool:
        nonlocal seen
        seen = _get(cluster, name)
        return bool(check(seen))

    try:
        wait_for(ok, f"pod {name}: {what}", timeout=90, interval=0.3)
    except AssertionError:
        events = cluster.kubectl("get", "events", check=False).stdout
        raise AssertionError(
            f"{json.dumps(seen.get('status'), indent=1)}\n{events}\n{cluster.log()}"
        ) from None
    return seen


def _running(cluster: UpCluster, name: str) -> dict:
    return _wait(cluster, name, "Running", lambda p: p["status"].get("phase") == "Running")


def _exec(cluster: UpCluster, pod: str, container: str, *cmd: str, check: bool = True):
    return cluster.kubectl("exec", pod, "-c", container, "--", *cmd, check=check)


def _statuses(pod: dict) -> dict[str, dict]:
    return {s["name"]: s for s in pod["status"].get("containerStatuses") or []}


def test_limits_reach_the_container_and_pod_cgroups_and_the_pod_is_guaranteed(iso: UpCluster):
    pod = _running(iso, "secure")
    assert pod["status"]["qosClass"] == "Guaranteed"
    memory = _exec(iso, "secure", "ids", "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes").stdout
    assert memory.strip() == str(32 << 20)
    quota = _exec(iso, "secure", "ids", "cat", "/sys/fs/cgroup/cpu/cpu.cfs_quota_us").stdout
    period = _exec(iso, "secure", "ids", "cat", "/sys/fs/cgroup/cpu/cpu.cfs_period_us").stdout
    assert (quota.strip(), period.strip()) == ("25000", "100000")
    pod_cgroup = f"{iso.cgroup_root}/kubepods/pod{pod['metadata']['uid']}"

    def pod_file(controller: str, name: str) -> str:
        return Path(f"/sys/fs/cgroup/{controller}{pod_cgroup}/{name}").read_text().strip()

    # three containers of 250m and 32Mi each
    assert pod_file("memory", "memory.limit_in_bytes") == str(96 << 20)
    assert pod_file("cpu", "cpu.cfs_quota_us") == "75000"
    assert pod_file("pids", "pids.max") == str(POD_MAX_PIDS)


def test_a_memory_hog_over_its_limit_is_oom_killed_and_kubectl_shows_it(iso: UpCluster):
    pod = _wait(iso, "hog", "terminated", lambda p: p["status"].get("phase") == "Failed")
    terminated = _statuses(pod)["hog"]["state"]["terminated"]
    assert (terminated["reason"], terminated["exitCode"]) == ("OOMKilled", 137)
    assert "OOMKilled" in iso.kubectl("get", "pod", "hog").stdout


def test_users_groups_capabilities_and_a_read_only_root_come_from_the_security_context(iso: UpCluster):
    _running(iso, "secure")
    assert _exec(iso, "secure", "ids", "id").stdout.split() == ["uid=1000", "gid=3000", "groups=3000,4000"]
    assert _exec(iso, "secure", "locked", "id", "-u").stdout.strip() == "0"
    _exec(iso, "secure", "locked", "touch", "/scratch/f")
    chown = _exec(iso, "secure", "locked", "chown", "1", "/scratch/f", check=False)
    assert chown.returncode != 0 and "Operation not permitted" in chown.stderr
    write = _exec(iso, "secure", "locked", "touch", "/newfile", check=False)
    assert write.returncode != 0 and "Read-only file system" in write.stderr
    status = _exec(iso, "secure", "locked", "cat", "/proc/self/status").stdout
    fields = dict(line.split(":\t", 1) for line in status.splitlines() if ":\t" in line)
    assert fields["NoNewPrivs"].strip() == "1" and fields["Seccomp"].strip() == "2"
    ids_status = _exec(iso, "secure", "ids", "cat", "/proc/self/status").stdout
    assert "Seccomp:\t0" in ids_status  # no profile asked for: Unconfined
    mount = ["mount", "-t", "tmpfs", "t", "/tmp"]
    assert _exec(iso, "secure", "privileged", *mount, check=False).returncode == 0
    assert _exec(iso, "secure", "locked", *mount, check=False).returncode != 0
    assert _exec(iso, "secure", "ids", "cat", "/proc/sys/kernel/shm_rmid_forced").stdout.strip() == "1"


def test_containers_of_a_pod_sharing_its_process_namespace_see_each_other(iso: UpCluster):
    _running(iso, "secure")
    ps = _exec(iso, "secure", "ids", "ps", "-o", "args").stdout
    assert "sleep 100001" in ps and "sleep 100002" in ps


def test_the_kubelet_writes_etc_hosts_with_the_pod_ip_and_host_aliases(iso: UpCluster):
    pod = _running(iso, "secure")
    hosts = _exec(iso, "secure", "ids", "cat", "/etc/hosts").stdout
    ip = pod["status"]["podIP"]
    assert hosts.startswith("# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n")
    assert f"\n{ip}\tsecure\n" in hosts
    assert hosts.endswith("\n# Entries added by HostAliases.\n10.1.2.3\tfoo.local\tbar.local\n")
    assert _exec(iso, "secure", "ids", "cat", "/etc/hostname").stdout.strip() == "secure"


def test_termination_messages_come_from_the_file_or_the_log_tail(iso: UpCluster):
    pod = _wait(iso, "messages", "done", lambda p: p["status"].get("phase") in ("Failed", "Succeeded"))
    statuses = _statuses(pod)
    assert statuses["file"]["state"]["terminated"]["message"] == "bye"
    assert statuses["fallback"]["state"]["terminated"]["message"] == "first\nfrom-logs\n"
    assert statuses["custom"]["state"]["terminated"]["message"] == "custom"


def test_a_pod_past_its_active_deadline_fails_with_deadline_exceeded(iso: UpCluster):
    pod = _wait(iso, "deadline", "failed", lambda p: p["status"].get("phase") == "Failed")
    assert pod["status"]["reason"] == "DeadlineExceeded"
    assert pod["status"]["message"] == "Pod was active on the node longer than the specified deadline"
    assert "terminated" in _statuses(pod)["main"]["state"]


def test_run_as_non_root_refuses_an_image_that_runs_as_root(iso: UpCluster):
    pod = _wait(
        iso,
        "nonroot",
        "refused",
        lambda p: (
            (_statuses(p).get("main", {}).get("state", {}).get("waiting") or {}).get("reason")
            == "CreateContainerConfigError"
        ),
    )
    waiting = _statuses(pod)["main"]["state"]["waiting"]
    uid = pod["metadata"]["uid"]
    assert waiting["message"] == (
        "container has runAsNonRoot and image will run as root "
        f'(pod: "nonroot_default({uid})", container: main)'
    )


def test_a_pod_with_an_unsafe_sysctl_is_rejected_as_sysctl_forbidden(iso: UpCluster):
    pod = _wait(iso, "forbidden-sysctl", "rejected", lambda p: p["status"].get("phase") == "Failed")
    assert pod["status"]["reason"] == "SysctlForbidden"
    assert pod["status"]["message"] == 'Pod was rejected: forbidden sysctl: "kernel.msgmax" not allowlisted'
