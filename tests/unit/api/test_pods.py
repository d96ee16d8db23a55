"""The pod facts every component shares (kubelite.api.pods)."""

from __future__ import annotations

import pytest

from kubelite.api.pods import grace_period, is_mirror, is_static, qos_class


def _pod(*containers: dict, init: tuple[dict, ...] = ()) -> dict:
    return {"metadata": {"name": "p"}, "spec": {"containers": list(containers), "initContainers": list(init)}}


def _c(requests: dict | None = None, limits: dict | None = None) -> dict:
    return {"name": "c", "resources": {k: v for k, v in (("requests", requests), ("limits", limits)) if v}}


@pytest.mark.parametrize(
    ("pod", "expected"),
    [
        (_pod(_c()), "BestEffort"),
        (_pod(_c(requests={"cpu": "0", "memory": "0"})), "BestEffort"),  # zero counts as unset
        (_pod(_c(requests={"nvidia.com/gpu": "1"})), "BestEffort"),  # only cpu and memory count
        (_pod(_c(limits={"cpu": "1", "memory": "1Gi"})), "Guaranteed"),  # requests default to limits
        (
            _pod(_c(requests={"cpu": "1000m", "memory": "1Gi"}, limits={"cpu": "1", "memory": "1024Mi"})),
            "Guaranteed",
        ),
        (_pod(_c(limits={"cpu": "1"})), "Burstable"),  # memory not limited
        (
            _pod(_c(requests={"cpu": "500m", "memory": "1Gi"}, limits={"cpu": "1", "memory": "1Gi"})),
            "Burstable",
        ),
        (_pod(_c(limits={"cpu": "1", "memory": "1Gi"}), _c()), "Burstable"),  # one container unlimited
        (_pod(_c(limits={"cpu": "1", "memory": "1Gi"}), init=(_c(requests={"cpu": "1"}),)), "Burstable"),
    ],
)
def test_qos_class_follows_kubernetes_rules(pod: dict, expected: str):
    assert qos_class(pod) == expected


def test_grace_period_prefers_the_deletions_then_the_spec_then_30_seconds():
    pod = {"metadata": {}, "spec": {}}
    assert grace_period(pod) == 30
    pod["spec"]["terminationGracePeriodSeconds"] = 5
    assert grace_period(pod) == 5
    pod["metadata"]["deletionGracePeriodSeconds"] = 0
    assert grace_period(pod) == 0


def test_static_pods_and_their_mirrors_are_told_by_annotations():
    api_pod = {"metadata": {}}
    static = {"metadata": {"annotations": {"kubernetes.io/config.source": "file"}}}
    mirror = {"metadata": {"annotations": {"kubernetes.io/config.mirror": "abc"}}}
    assert not is_static(api_pod) and is_static(static) and not is_mirror(static) and is_mirror(mirror)
