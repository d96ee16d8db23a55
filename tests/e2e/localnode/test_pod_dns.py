"""A pod's /etc/resolv.conf on the real local node, for each dnsPolicy, read with kubectl
exec; and the cluster DNS `up` runs: the kube-dns Service at the tenth service address.

One `kubelite up` (on the test's own kubelite runtime) for the module; its kubelet gets
--cluster-dns 10.96.0.10 --cluster-domain cluster.local from `up`, and --resolv-conf a
file of the test's, so the expectations do not depend on the machine's resolver.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from typing import Any

import dns.message
import dns.query
import pytest

from kubelite.runtime.testing import missing_tools
from kubelite.server.testing import UpCluster, up_on_test_runtime
from kubelite.util.testing import wait_for

HOST_RESOLV = "nameserver 192.0.2.2\nsearch lab.example\noptions timeout:1\n"


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory, registry: str, pause_image: str) -> Iterator[UpCluster]:
    if os.geteuid() != 0:
        pytest.fail("the local-node e2e tests must run as root (runc, mounts, network namespaces)")
    if missing := missing_tools():
        pytest.fail(f"missing tools: {' '.join(missing)}")
    work = tmp_path_factory.mktemp("up-pod-dns")
    resolv = work / "host-resolv.conf"
    resolv.write_text(HOST_RESOLV)
    with up_on_test_runtime(
        "kubelite", work, registry, pause_image, kubelet_args=(f"--resolv-conf={resolv}",)
    ) as up:
        yield up


def _pod(name: str, registry: str, **spec: Any) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name},
        "spec": {
            "terminationGracePeriodSeconds": 0,
            "containers": [
                {"name": "main", "image": f"{registry}/busybox:latest", "command": ["sleep", "3600"]}
            ],
            **spec,
        },
    }


def _resolv_conf(cluster: UpCluster, name: str) -> str:
    def read() -> str | None:
        r = cluster.kubectl("exec", name, "--", "cat", "/etc/resolv.conf", check=False)
        return r.stdout if r.returncode == 0 else None

    return wait_for(read, f"{name}'s resolv.conf", timeout=90, interval=0.5)


def test_each_dns_policy_writes_the_resolv_conf_kubernetes_writes(cluster: UpCluster, registry: str) -> None:
    suffix = uuid.uuid4().hex[:5]
    pods = {
        "first": _pod(f"first-{suffix}", registry),
        "default": _pod(f"default-{suffix}", registry, dnsPolicy="Default"),
        "none": _pod(
            f"none-{suffix}",
            registry,
            dnsPolicy="None",
            dnsConfig={
                "nameservers": ["1.2.3.4"],
                "searches": ["ns1.svc.cluster-domain.example"],
                "options": [{"name": "ndots", "value": "2"}, {"name": "edns0"}],
            },
        ),
        "hostnet": _pod(f"hostnet-{suffix}", registry, hostNetwork=True),
        "hostnet-cluster": _pod(
            f"hostnet-cluster-{suffix}", registry, hostNetwork=True, dnsPolicy="ClusterFirstWithHostNet"
        ),
    }
    cluster.kubectl(
        "apply",
        "-f",
        "-",
        input=json.dumps({"apiVersion": "v1", "kind": "List", "items": list(pods.values())}),
    )
    got = {k: _resolv_conf(cluster, p["metadata"]["name"]) for k, p in pods.items()}
    cluster_first = (
        "nameserver 10.96.0.10\n"
        "search default.svc.cluster.local svc.cluster.local cluster.local lab.example\n"
        "options ndots:5\n"
    )
    assert got["first"] == cluster_first
    assert got["hostnet-cluster"] == cluster_first
    host = "nameserver 192.0.2.2\nsearch lab.example\noptions timeout:1\n"
    assert got["default"] == host
    assert got["hostnet"] == host  # ClusterFirst on the host network falls back to Default
    assert got["none"] == "nameserver 1.2.3.4\nsearch ns1.svc.cluster-domain.example\noptions ndots:2 edns0\n"


def test_up_runs_cluster_dns_behind_the_kube_dns_service(cluster: UpCluster) -> None:
    svc = json.loads(cluster.kubectl("get", "service", "-n", "kube-system", "kube-dns", "-o", "json").stdout)
    assert svc["spec"]["clusterIP"] == "10.96.0.10"
    assert svc["metadata"]["labels"]["k8s-app"] == "kube-dns"
    assert [(p["name"], p["port"], p["protocol"]) for p in svc["spec"]["ports"]] == [
        ("dns", 53, "UDP"),
        ("dns-tcp", 53, "TCP"),
        ("metrics", 9153, "TCP"),
    ]
    # The DNS process `up` runs serves at the address and port its endpoints name.
    ep = wait_for(lambda: _endpoints(cluster), "kube-system/kube-dns endpoints", timeout=60, interval=0.5)
    address = ep["subsets"][0]["addresses"][0]["ip"]
    port = {p["name"]: p["port"] for p in ep["subsets"][0]["ports"]}["dns"]
    q = dns.message.make_query("kubernetes.default.svc.cluster.local.", "A")
    reply = dns.query.udp(q, address, port=port, timeout=5)
    assert [rd.to_text() for r in reply.answer for rd in r] == ["10.96.0.1"]


def _endpoints(cluster: UpCluster) -> Any:
    r = cluster.kubectl("get", "endpoints", "-n", "kube-system", "kube-dns", "-o", "json", check=False)
    return json.loads(r.stdout) if r.returncode == 0 and "subsets" in r.stdout else None
