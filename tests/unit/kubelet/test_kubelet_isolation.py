"""The kubelet's side of resources and isolation, on fakes and in virtual time: the CRI
security context, runAsNonRoot, sysctl admission, pod cgroup limits, the managed
/etc/hosts, termination messages and activeDeadlineSeconds."""

from __future__ import annotations

import asyncio
import copy
from pathlib import Path
from typing import Any

import pytest

from kubelite.cri import api_pb2 as pb
from kubelite.kubelet.backoff import Backoff
from kubelite.kubelet.cgroups import PodResources, ensure_pod_cgroup, pod_resources
from kubelite.kubelet.criconfig import container_config, sandbox_config
from kubelite.kubelet.pod_workers import PodWorkers, delete_pod_object, write_pod_status
from kubelite.kubelet.podfiles import hosts_content, log_tail, termination_message
from kubelite.kubelet.prober.manager import ProbeManager
from kubelite.kubelet.security import verify_run_as_non_root
from kubelite.kubelet.sync import PodSyncer
from kubelite.kubelet.sysctls import Allowlist
from kubelite.kubelet.testing import FakeAPI, FakeRuntime
from kubelite.util.clock import FakeClock

Obj = dict[str, Any]
IMAGE = "registry.local/busybox:1"


def _pod(spec: Obj | None = None, **container: Any) -> Obj:
    c = {"name": "app", "image": IMAGE, "imagePullPolicy": "IfNotPresent", "command": ["sleep", "infinity"]}
    return {
        "metadata": {"name": "p", "namespace": "default", "uid": "u1"},
        "spec": {"nodeName": "n", "containers": [{**c, **container}], **(spec or {})},
    }


def test_the_container_security_context_wins_over_the_pods_and_reaches_the_cri():
    pod = _pod(
        {"securityContext": {"runAsUser": 1, "runAsGroup": 2, "fsGroup": 5, "supplementalGroups": [6]}},
        securityContext={
            "runAsUser": 10,
            "capabilities": {"add": ["NET_ADMIN"], "drop": ["CHOWN"]},
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "seccompProfile": {"type": "Localhost", "localhostProfile": "profiles/audit.json"},
        },
    )
    sc = container_config(
        pod, pod["spec"]["containers"][0], 0, image_ref=IMAGE, seccomp_root=Path("/r")
    ).linux
    sc = sc.security_context
    assert (sc.run_as_user.value, sc.run_as_group.value, list(sc.supplemental_groups)) == (10, 2, [6, 5])
    assert list(sc.capabilities.add_capabilities) == ["NET_ADMIN"]
    assert list(sc.capabilities.drop_capabilities) == ["CHOWN"]
    assert sc.no_new_privs and sc.readonly_rootfs and not sc.privileged
    assert sc.seccomp == pb.SecurityProfile(
        profile_type=pb.SecurityProfile.Localhost, localhost_ref="/r/profiles/audit.json"
    )
    plain = container_config(
        _pod(), _pod()["spec"]["containers"][0], 0, image_ref=IMAGE
    ).linux.security_context
    assert not plain.no_new_privs and plain.seccomp.profile_type == pb.SecurityProfile.Unconfined


def test_sysctls_and_a_shared_process_namespace_go_into_the_sandbox_config():
    pod = _pod(
        {
            "shareProcessNamespace": True,
            "securityContext": {"sysctls": [{"name": "net/ipv4/tcp_syncookies", "value": "1"}]},
        }
    )
    cfg = sandbox_config(pod, 0, log_root=Path("/logs"))
    assert dict(cfg.linux.sysctls) == {"net.ipv4.tcp_syncookies": "1"}
    assert cfg.linux.security_context.namespace_options.pid == pb.POD


@pytest.mark.parametrize(
    "pod_sc, c_sc, image, want",
    [
        ({"runAsNonRoot": True}, {}, (0, ""), "image will run as root"),
        ({"runAsNonRoot": True}, {}, (None, "nginx"), "image has non-numeric user (nginx)"),
        (
            {"runAsNonRoot": True},
            {"runAsUser": 0},
            (1000, ""),
            "container's runAsUser breaks non-root policy",
        ),
        ({"runAsNonRoot": True}, {}, (1000, ""), None),
        ({"runAsNonRoot": True, "runAsUser": 5}, {}, (0, ""), None),
        ({}, {"runAsNonRoot": False}, (0, ""), None),
    ],
)
def test_run_as_non_root_refuses_a_root_or_unknown_user_with_kubernetes_words(pod_sc, c_sc, image, want):
    pod = _pod({"securityContext": pod_sc}, securityContext=c_sc)
    why = verify_run_as_non_root(pod, pod["spec"]["containers"][0], *image)
    if want is None:
        assert why is None
    else:
        assert why is not None and want in why and why.endswith('(pod: "p_default(u1)", container: app)')


def test_only_safe_or_allowed_namespaced_sysctls_are_admitted():
    safe = Allowlist()
    assert safe.check("kernel.shm_rmid_forced", False, False) is None
    assert safe.check("net/ipv4/ip_local_port_range", False, False) is None
    assert safe.check("kernel.msgmax", False, False) == '"kernel.msgmax" not allowlisted'
    assert safe.check("net.ipv4.tcp_syncookies", True, False) == (
        '"net.ipv4.tcp_syncookies" not allowed with host net enabled'
    )
    allowed = Allowlist(["kernel.msg*", "net.core.somaxconn"])
    assert allowed.check("kernel.msgmax", False, False) is None
    assert allowed.check("net.core.somaxconn", False, False) is None
    with pytest.raises(ValueError):
        Allowlist(["vm.swappiness"])  # node-wide: never allowed to a pod


def test_pod_cgroup_limits_sum_the_containers_and_need_every_container_limited(tmp_path: Path):
    two = {
        "metadata": {"uid": "u"},
        "spec": {
            "initContainers": [{"name": "i", "resources": {"limits": {"cpu": "2", "memory": "1Gi"}}}],
            "containers": [
                {"name": "a", "resources": {"limits": {"cpu": "250m", "memory": "32Mi"}}},
                {"name": "b", "resources": {"limits": {"cpu": "500m", "memory": "64Mi"}}},
            ],
        },
    }
    assert pod_resources(two, pids_limit=100) == PodResources(
        cpu_shares=2048, cpu_quota=200_000, memory_limit=1 << 30, pids_limit=100
    )
    partial = copy.deepcopy(two)
    del partial["spec"]["initContainers"]
    partial["spec"]["containers"][1]["resources"] = {"requests": {"cpu": "100m"}}
    assert pod_resources(partial) == PodResources(cpu_shares=358)  # burstable: shares only
    assert (
        pod_resources({"metadata": {"uid": "u"}, "spec": {"containers": [{"name": "c"}]}}) == PodResources()
    )
    for controller in ("cpu", "memory", "pids"):
        (tmp_path / controller).mkdir()
    ensure_pod_cgroup("/kubepods/podu", pod_resources(two, pids_limit=100), base=tmp_path)
    assert (tmp_path / "memory/kubepods/podu/memory.limit_in_bytes").read_text() == str(1 << 30)
    assert (tmp_path / "cpu/kubepods/podu/cpu.cfs_quota_us").read_text() == "200000"
    assert (tmp_path / "pids/kubepods/podu/pids.max").read_text() == "100"


def test_the_managed_hosts_file_names_the_pod_and_appends_host_aliases():
    pod = _pod(
        {"hostname": "web", "subdomain": "svc", "hostAliases": [{"ip": "1.2.3.4", "hostnames": ["a", "b"]}]}
    )
    assert hosts_content(pod, ["10.0.0.5"], "cluster.local") == (
        "# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        "fe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n"
        "10.0.0.5\tweb.svc.default.svc.cluster.local\tweb\n"
        "\n# Entries added by HostAliases.\n1.2.3.4\ta\tb\n"
    )
    host = _pod({"hostNetwork": True})
    assert hosts_content(host, ["10.0.0.1"], "cluster.local", "127.0.0.1 node\n") == (
        "# Kubernetes-managed hosts file (host network).\n127.0.0.1 node\n"
    )


def _exited(tmp_path: Path, exit_code: int, policy: str, written: str, log: str) -> pb.ContainerStatus:
    msg = tmp_path / "msg"
    msg.write_text(written)
    (tmp_path / "log").write_text(log)
    return pb.ContainerStatus(
        state=pb.CONTAINER_EXITED,
        exit_code=exit_code,
        annotations={
            "io.kubernetes.container.terminationMessagePath": "/dev/termination-log",
            "io.kubernetes.container.terminationMessagePolicy": policy,
        },
        mounts=[pb.Mount(container_path="/dev/termination-log", host_path=str(msg))],
        log_path=str(tmp_path / "log"),
    )


def test_the_termination_message_is_the_file_else_with_fallback_the_log_tail(tmp_path: Path):
    log = "".join(f"2024-01-02T03:04:05.000000000Z stdout F line {i}\n" for i in range(200))
    assert termination_message(_exited(tmp_path, 1, "File", "bye", log)) == "bye"
    assert termination_message(_exited(tmp_path, 1, "File", "", log)) == ""
    assert termination_message(_exited(tmp_path, 0, "FallbackToLogsOnError", "", log)) == ""
    tail = termination_message(_exited(tmp_path, 1, "FallbackToLogsOnError", "", log))
    assert tail == log_tail(tmp_path / "log") and tail.endswith("line 199\n")
    assert len(tail.encode()) <= 2048 and tail.count("\n") <= 80
    assert termination_message(_exited(tmp_path, 1, "File", "x" * 5000, log)) == "x" * 4096


class Node:
    """The kubelet's pod path on fakes and a FakeClock, as Kubelet wires it."""

    def __init__(self) -> None:
        self.clock = FakeClock()
        self.runtime = FakeRuntime(self.clock, images=[IMAGE])
        self.api = FakeAPI()
        self.events: list[tuple[str, str]] = []
        pods = self.api.resource("pods")
        probes = ProbeManager(self.runtime, self.clock, on_change=lambda uid: self.workers.wake(uid))
        syncer = PodSyncer(
            self.runtime,
            clock=self.clock,
            probes=probes,
            record=lambda pod, type_, reason, message: self.events.append((reason, message)),
            crash_backoff=Backoff(self.clock, initial=10, maximum=300),
            pull_backoff=Backoff(self.clock, initial=10, maximum=300),
            log_root=Path("/tmp/logs"),
            host_ip="10.0.0.1",
        )
        allow = Allowlist()
        self.workers = PodWorkers(
            runtime=self.runtime,
            syncer=syncer,
            probes=probes,
            clock=self.clock,
            record=lambda pod, type_, reason, message: self.events.append((reason, message)),
            status_writer=lambda pod, status: write_pod_status(pods, pod, status),
            delete_pod=lambda pod: delete_pod_object(pods, pod),
            host_ip="10.0.0.1",
            admit=lambda pod: None if (why := allow.admit(pod)) is None else ("SysctlForbidden", why),
        )

    async def run_pod(self, pod: Obj) -> None:
        stored = await self.api.resource("pods").create(pod, namespace="default")
        self.workers.update(stored)
        await self.clock.settle()

    def status(self) -> Obj:
        return copy.deepcopy(self.api.objects[("pods", "default", "p")].get("status") or {})


@pytest.fixture
async def node():
    n = Node()
    yield n
    await n.workers.shutdown()


async def test_a_pod_past_its_active_deadline_is_stopped_and_fails_with_deadline_exceeded(node: Node):
    await node.run_pod(_pod({"activeDeadlineSeconds": 30, "terminationGracePeriodSeconds": 1}))
    await node.clock.advance(29)
    assert node.status()["phase"] != "Failed" and node.runtime.calls_to("stop_container") == []
    await node.clock.advance(2)
    await asyncio.sleep(0)
    status = node.status()
    assert (status["phase"], status["reason"]) == ("Failed", "DeadlineExceeded")
    assert status["message"] == "Pod was active on the node longer than the specified deadline"
    assert "terminated" in status["containerStatuses"][0]["state"]
    assert ("DeadlineExceeded", status["message"]) in node.events


async def test_a_pod_with_a_forbidden_sysctl_is_rejected_before_anything_runs(node: Node):
    await node.run_pod(_pod({"securityContext": {"sysctls": [{"name": "kernel.msgmax", "value": "1"}]}}))
    status = node.status()
    assert (status["phase"], status["reason"]) == ("Failed", "SysctlForbidden")
    assert status["message"] == 'Pod was rejected: forbidden sysctl: "kernel.msgmax" not allowlisted'
    assert node.runtime.calls_to("run_pod_sandbox") == []


def test_oom_score_adj_follows_the_qos_class_and_a_burstable_containers_memory_request():
    gib = 1 << 30

    def adj(**resources: Any) -> int:
        pod = _pod(resources=resources)
        return container_config(
            pod, pod["spec"]["containers"][0], 0, image_ref=IMAGE, memory_capacity=4 * gib
        ).linux.resources.oom_score_adj

    assert adj(limits={"cpu": "1", "memory": "1Gi"}) == -997
    assert adj() == 1000
    assert adj(requests={"memory": "1Gi"}) == 750
    assert adj(requests={"memory": "8Gi"}) == 3
    assert adj(requests={"cpu": "1"}) == 999
