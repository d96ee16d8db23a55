"""What objects count against a ResourceQuota (kubelite.api.quota)."""

from __future__ import annotations

from kubelite.api import quota


def _str(usage):
    return quota.to_json(usage)


def test_a_pod_counts_its_requests_and_limits_with_the_largest_init_container():
    pod = {
        "spec": {
            "initContainers": [{"name": "i", "resources": {"requests": {"cpu": "3"}}}],
            "containers": [
                {
                    "name": "a",
                    "resources": {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"memory": "2Gi"}},
                },
                {"name": "b", "resources": {"requests": {"cpu": "500m"}}},
            ],
        }
    }
    assert _str(quota.usage("", "pods", pod)) == {
        "count/pods": "1",
        "cpu": "3",
        "limits.memory": "2Gi",
        "memory": "1Gi",
        "pods": "1",
        "requests.cpu": "3",
        "requests.memory": "1Gi",
    }


def test_finished_pods_count_nothing():
    assert quota.usage("", "pods", {"spec": {}, "status": {"phase": "Succeeded"}}) == {}


def test_services_count_node_ports_and_load_balancers_and_other_kinds_their_count():
    svc = {"spec": {"type": "LoadBalancer", "ports": [{"port": 80}, {"port": 443}]}}
    assert _str(quota.usage("", "services", svc)) == {
        "count/services": "1",
        "services": "1",
        "services.loadbalancers": "1",
        "services.nodeports": "2",
    }
    assert _str(quota.usage("apps", "deployments", {})) == {"count/deployments.apps": "1"}
    assert _str(quota.usage("", "secrets", {})) == {"count/secrets": "1", "secrets": "1"}


def test_scopes_select_pods_by_deadline_qos_and_priority_class():
    best_effort = {"spec": {"containers": [{"name": "a"}], "priorityClassName": "high"}}
    scoped = {"spec": {"scopes": ["BestEffort", "NotTerminating"]}}
    assert quota.matches(scoped, "", "pods", best_effort)
    assert not quota.matches(scoped, "", "services", {})
    by_class = {
        "spec": {
            "scopeSelector": {
                "matchExpressions": [{"scopeName": "PriorityClass", "operator": "In", "values": ["low"]}]
            }
        }
    }
    assert not quota.matches(by_class, "", "pods", best_effort)


def test_a_quota_on_cpu_wants_every_container_to_state_it():
    pod = {"spec": {"containers": [{"name": "a"}, {"name": "b", "resources": {"requests": {"cpu": "1"}}}]}}
    assert quota.missing_specifications({"requests.cpu": "2", "limits.memory": "1Gi"}, pod) == (
        "must specify limits.memory for: a,b; requests.cpu for: a"
    )
