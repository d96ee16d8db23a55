"""HorizontalPodAutoscalers converted between autoscaling/v1 and the stored autoscaling/v2."""

from kubelite.api import autoscaling

REF = {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"}


def v2(metrics, **status):
    hpa = {
        "apiVersion": "autoscaling/v2",
        "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "h", "namespace": "default"},
        "spec": {"scaleTargetRef": REF, "minReplicas": 1, "maxReplicas": 5, "metrics": metrics},
    }
    if status:
        hpa["status"] = status
    return hpa


CPU = {
    "type": "Resource",
    "resource": {"name": "cpu", "target": {"type": "Utilization", "averageUtilization": 70}},
}
PODS = {
    "type": "Pods",
    "pods": {"metric": {"name": "qps"}, "target": {"type": "AverageValue", "averageValue": "10"}},
}


def test_a_cpu_target_becomes_v1s_target_percentage():
    out = autoscaling.to_v1(v2([CPU]))
    assert out["apiVersion"] == "autoscaling/v1"
    assert out["spec"] == {
        "scaleTargetRef": REF,
        "minReplicas": 1,
        "maxReplicas": 5,
        "targetCPUUtilizationPercentage": 70,
    }
    assert "annotations" not in out["metadata"]


def test_other_metrics_ride_in_an_annotation_and_come_back():
    original = v2([PODS, CPU], currentReplicas=2, desiredReplicas=3)
    served = autoscaling.to_v1(original)
    assert served["metadata"]["annotations"][autoscaling.METRICS_ANNOTATION] == (
        '[{"type":"Pods","pods":{"metricName":"qps","targetAverageValue":"10"}}]'
    )
    assert served["status"] == {"currentReplicas": 2, "desiredReplicas": 3}
    back = autoscaling.to_v2(served)
    assert back["spec"]["metrics"] == [PODS, CPU]
    assert "annotations" not in back["metadata"]


def test_a_v1_object_without_a_target_gets_the_implicit_80_percent():
    v1 = {"metadata": {"name": "h"}, "spec": {"scaleTargetRef": REF, "maxReplicas": 3}}
    metrics = autoscaling.to_v2(v1)["spec"]["metrics"]
    assert metrics[0]["resource"]["target"] == {"type": "Utilization", "averageUtilization": 80}


def test_conversion_leaves_its_argument_alone():
    original = v2([PODS], desiredReplicas=1)
    autoscaling.to_v1(original)
    assert original == v2([PODS], desiredReplicas=1)
