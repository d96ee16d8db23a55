"""LimitRanger's defaults and bounds, on plain objects."""

from __future__ import annotations

from kubelite.apiserver.admission.limitranger import aggregate, apply_defaults, check_claim, check_pod


def _range(*items):
    return {"spec": {"limits": list(items)}}


def test_defaults_fill_only_what_containers_leave_out_and_say_what_they_set():
    pod = {
        "spec": {
            "initContainers": [{"name": "init"}],
            "containers": [{"name": "app", "resources": {"limits": {"cpu": "2"}, "requests": {"cpu": "2"}}}],
        }
    }
    lr = _range(
        {"type": "Container", "default": {"cpu": "1", "memory": "1Gi"}, "defaultRequest": {"cpu": "500m"}}
    )
    assert apply_defaults(pod, lr) == [
        "cpu request for init container init",
        "cpu, memory limit for init container init",
        "memory limit for container app",
    ]
    assert pod["spec"]["containers"][0]["resources"] == {
        "limits": {"cpu": "2", "memory": "1Gi"},
        "requests": {"cpu": "2"},
    }


def test_bounds_per_container_per_pod_and_ratio():
    pod = {
        "spec": {
            "containers": [
                {"name": "a", "resources": {"requests": {"cpu": "100m"}, "limits": {"cpu": "1"}}},
                {"name": "b", "resources": {"requests": {"cpu": "1"}, "limits": {"cpu": "1"}}},
            ]
        }
    }
    lr = _range(
        {"type": "Container", "min": {"cpu": "200m", "memory": "1Mi"}, "maxLimitRequestRatio": {"cpu": "4"}},
        {"type": "Pod", "max": {"cpu": "1500m"}},
    )
    assert check_pod(pod, lr) == [
        "minimum cpu usage per Container is 200m, but request is 100m",
        "minimum memory usage per Container is 1Mi.  No request is specified",
        "cpu max limit to request ratio per Container is 4, but provided ratio is 10.000000",
        "minimum memory usage per Container is 1Mi.  No request is specified",
        "maximum cpu usage per Pod is 1500m, but limit is 2",
    ]


def test_claims_are_bounded_by_their_storage_request():
    pvc = {"spec": {"resources": {"requests": {"storage": "500Mi"}}}}
    assert check_claim(pvc, _range({"type": "PersistentVolumeClaim", "min": {"storage": "1Gi"}})) == [
        "minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi"
    ]


def test_one_error_stands_alone_and_several_are_bracketed():
    assert aggregate(["x"]) == "x"
    assert aggregate(["x", "y"]) == "[x, y]"
