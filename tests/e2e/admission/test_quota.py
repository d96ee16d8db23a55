"""ResourceQuota end to end: the resource quota controller counts, admission enforces with
Kubernetes' messages, and what is freed is given back - through the real kubectl."""

from __future__ import annotations

import json

from kubelite.server.testing import LocalCluster
from kubelite.util.testing import wait_for


def _used(cluster: LocalCluster, ns: str) -> dict | None:
    q = json.loads(cluster.kubectl("get", "quota", "q", "-n", ns, "-o", "json").stdout)
    return (q.get("status") or {}).get("used")


def test_quota_is_counted_enforced_and_given_back(controlled):
    ns = "quota"
    controlled.kubectl("create", "namespace", ns)
    wait_for(
        lambda: controlled.kubectl("get", "sa", "default", "-n", ns, check=False).returncode == 0,
        "default SA",
    )
    controlled.kubectl("create", "configmap", "before", "-n", ns)
    controlled.kubectl("create", "quota", "q", "--hard=pods=2,requests.cpu=1,configmaps=3", "-n", ns)
    # The namespace already holds kube-root-ca.crt and "before".
    assert wait_for(lambda: _used(controlled, ns), "the quota's usage") == {
        "configmaps": "2",
        "pods": "0",
        "requests.cpu": "0",
    }
    pod = (
        '{"spec": {"containers": [{"name": "c", "image": "busybox", '
        '"resources": {"requests": {"cpu": "%s"}}}]}}'
    )
    controlled.kubectl("run", "a", "--image=busybox", "-n", ns, "--overrides", pod % "600m")
    r = controlled.kubectl("run", "b", "--image=busybox", "-n", ns, "--overrides", pod % "600m", check=False)
    assert r.stderr.strip() == (
        'Error from server (Forbidden): pods "b" is forbidden: exceeded quota: q, '
        "requested: requests.cpu=600m, used: requests.cpu=600m, limited: requests.cpu=1"
    )
    assert _used(controlled, ns) == {"configmaps": "2", "pods": "1", "requests.cpu": "600m"}
    r = controlled.kubectl("run", "c", "--image=busybox", "-n", ns, check=False)
    assert "failed quota: q: must specify requests.cpu for: c" in r.stderr
    controlled.kubectl("delete", "pod", "a", "-n", ns, "--grace-period=0", "--force")
    wait_for(lambda: _used(controlled, ns)["pods"] == "0", "the deleted pod given back")
    assert _used(controlled, ns) == {"configmaps": "2", "pods": "0", "requests.cpu": "0"}
    controlled.kubectl("run", "b", "--image=busybox", "-n", ns, "--overrides", pod % "600m")
