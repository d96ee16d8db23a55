"""StatefulSets on simulated nodes through the real kubectl: ordered start, scale-down in
reverse order, a partitioned rollout watched with `kubectl rollout status`, and undo."""

from __future__ import annotations

import threading

from kubelite.util.testing import wait_for
from tests.e2e.controllers.conftest import KUBECTL_POLL, ControllersCluster

STATEFULSET = """
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: web
spec:
  replicas: 3
  serviceName: nginx
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1
"""


def live(cc: ControllersCluster) -> dict[str, dict]:
    items = cc.json("get", "pods", "-l", "app=web")["items"]
    return {p["metadata"]["name"]: p for p in items if not p["metadata"].get("deletionTimestamp")}


def images(cc: ControllersCluster) -> dict[str, str]:
    return {n: p["spec"]["containers"][0]["image"] for n, p in sorted(live(cc).items())}


def test_ordered_start_reverse_scale_down_and_a_partitioned_rollout(cc):
    cc.controller_manager()
    (cc.tmp / "sts.yaml").write_text(STATEFULSET)
    seen: list[tuple[str, ...]] = []
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            names = tuple(sorted(live(cc)))
            if not seen or seen[-1] != names:
                seen.append(names)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        cc.kubectl("create", "-f", str(cc.tmp / "sts.yaml"))
        out = cc.kubectl("rollout", "status", "statefulset/web", "--timeout=120s").stdout
    finally:
        done.set()
        sampler.join()
    assert "partitioned roll out complete" in out or "rolling update complete" in out
    # Never a later ordinal before an earlier one.
    for names in seen:
        assert list(names) == [f"web-{i}" for i in range(len(names))], seen
    pod = live(cc)["web-1"]
    assert (pod["spec"]["hostname"], pod["spec"]["subdomain"]) == ("web-1", "nginx")
    assert pod["metadata"]["labels"]["apps.kubernetes.io/pod-index"] == "1"

    cc.kubectl(
        "patch", "statefulset/web", "-p", '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":2}}}}'
    )
    cc.kubectl("set", "image", "statefulset/web", "nginx=nginx:2")
    out = cc.kubectl("rollout", "status", "statefulset/web", "--timeout=120s").stdout
    assert "partitioned roll out complete: 1 new pods have been updated" in out
    assert images(cc) == {"web-0": "nginx:1", "web-1": "nginx:1", "web-2": "nginx:2"}

    cc.kubectl("rollout", "undo", "statefulset/web")
    wait_for(lambda: set(images(cc).values()) == {"nginx:1"}, "the undo", timeout=90, interval=KUBECTL_POLL)

    cc.kubectl("scale", "statefulset/web", "--replicas=1")
    wait_for(lambda: sorted(live(cc)) == ["web-0"], "the scale-down", timeout=90, interval=KUBECTL_POLL)
    events = cc.kubectl("get", "events", "--field-selector", "involvedObject.name=web").stdout
    assert events.index("delete Pod web-2 in StatefulSet web successful") < events.index(
        "delete Pod web-1 in StatefulSet web successful"
    )
    row = cc.kubectl("get", "statefulset", "web").stdout.splitlines()[1].split()
    assert row[:2] == ["web", "1/1"]
