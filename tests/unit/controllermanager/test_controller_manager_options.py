"""`kubelite controller-manager`'s controller selection, flags and workqueue metrics."""

from __future__ import annotations

import argparse

import pytest
from prometheus_client import CollectorRegistry, generate_latest

from kubelite.client.workqueue import WorkQueue
from kubelite.controllermanager import controllers
from kubelite.controllermanager.metrics import WorkqueueMetrics
from kubelite.controllermanager.options import add_controller_manager_flags, options_from
from kubelite.util.clock import FakeClock

IMPLEMENTED = {
    "replicaset-controller",
    "replicationcontroller-controller",
    "deployment-controller",
    "garbage-collector-controller",
    "disruption-controller",
    "namespace-controller",
    "serviceaccount-controller",
    "resourcequota-controller",
    "serviceaccount-token-controller",
    "root-ca-certificate-publisher-controller",
    "job-controller",
    "cronjob-controller",
    "ttl-after-finished-controller",
    "daemonset-controller",
    "statefulset-controller",
    "node-lifecycle-controller",
    "taint-eviction-controller",
    "node-ipam-controller",
    "endpoints-controller",
    "endpointslice-controller",
    "endpointslice-mirroring-controller",
    "pod-garbage-collector-controller",
    "persistentvolume-binder-controller",
    "persistentvolumeclaim-protection-controller",
    "persistentvolume-protection-controller",
    "local-path-provisioner-controller",
}


def names(selection: list[str]) -> set[str]:
    return {d.name for d in controllers.enabled(selection) if d.new is not None}


def test_star_enables_every_controller_on_by_default():
    chosen = {d.name for d in controllers.enabled(["*"])}
    assert IMPLEMENTED <= chosen
    assert "bootstrap-signer-controller" not in chosen and "token-cleaner-controller" not in chosen


def test_a_minus_entry_disables_and_aliases_name_the_same_controllers():
    assert names(["*", "-garbage-collector-controller"]) == IMPLEMENTED - {"garbage-collector-controller"}
    assert names(["*", "-garbagecollector"]) == IMPLEMENTED - {"garbage-collector-controller"}
    assert names(["replicaset", "deployment"]) == {"replicaset-controller", "deployment-controller"}


def test_the_first_entry_naming_a_controller_decides():
    assert names(["-deployment", "deployment", "replicaset"]) == {"replicaset-controller"}
    on = {d.name for d in controllers.enabled(["bootstrap-signer-controller", "*"])}
    assert "bootstrap-signer-controller" in on and "replicaset-controller" in on


def test_an_unknown_name_is_refused_as_kubernetes_refuses_it():
    with pytest.raises(controllers.UnknownController) as err:
        controllers.enabled(["*", "-nosuch"])
    assert str(err.value) == '"nosuch" is not in the list of known controllers'


def test_flags_have_kube_controller_manager_defaults():
    parser = argparse.ArgumentParser()
    add_controller_manager_flags(parser)
    options = options_from(parser.parse_args([]))
    assert options.controllers == ["*"]
    assert options.component.secure_port == 10257
    assert options.component.leader_election.resource_name == "kube-controller-manager"
    assert (options.component.kube_api_qps, options.component.kube_api_burst) == (20.0, 30)
    assert options.workers == {
        "replicaset-controller": 5,
        "replicationcontroller-controller": 5,
        "deployment-controller": 5,
        "garbage-collector-controller": 20,
        "namespace-controller": 10,
        "job-controller": 5,
        "cronjob-controller": 5,
        "ttl-after-finished-controller": 5,
        "daemonset-controller": 2,
        "statefulset-controller": 5,
        "endpoints-controller": 5,
        "endpointslice-controller": 5,
        "endpointslice-mirroring-controller": 5,
    }
    parsed = options_from(
        parser.parse_args(
            ["--controllers", "*,-disruption", "--concurrent-gc-syncs", "3", "--namespace-sync-period", "1m"]
        )
    )
    assert parsed.controllers == ["*", "-disruption"]
    assert parsed.workers["garbage-collector-controller"] == 3 and parsed.namespace_sync_period == 60.0


def test_workqueue_metrics_count_adds_waits_work_and_retries():
    registry = CollectorRegistry()
    clock = FakeClock()
    queue: WorkQueue[str] = WorkQueue(
        clock=clock, name="replicaset", metrics=WorkqueueMetrics(registry).for_queue("replicaset")
    )
    for key in ("a", "b", "a"):
        queue.add(key)
    clock._now += 2
    item = queue.get_nowait()
    clock._now += 3
    text = generate_latest(registry).decode()
    assert 'workqueue_adds_total{name="replicaset"} 2.0' in text
    assert 'workqueue_depth{name="replicaset"} 1.0' in text
    assert 'workqueue_longest_running_processor_seconds{name="replicaset"} 3.0' in text
    queue.done(item)
    queue.add_rate_limited("c")
    text = generate_latest(registry).decode()
    assert 'workqueue_queue_duration_seconds_count{name="replicaset"} 1.0' in text
    assert 'workqueue_queue_duration_seconds_sum{name="replicaset"} 2.0' in text
    assert 'workqueue_work_duration_seconds_sum{name="replicaset"} 3.0' in text
    assert 'workqueue_retries_total{name="replicaset"} 1.0' in text


def parse(argv: list[str]):  # type: ignore[no-untyped-def]
    parser = argparse.ArgumentParser()
    add_controller_manager_flags(parser)
    return options_from(parser.parse_args(argv))


def test_the_node_lifecycle_flags_default_to_kubernetes_values_and_parse_durations():
    defaults = parse([]).settings
    assert (defaults.node_monitor_period, defaults.node_monitor_grace_period) == (5.0, 40.0)
    assert (defaults.node_eviction_rate, defaults.secondary_node_eviction_rate) == (0.1, 0.01)
    assert (defaults.unhealthy_zone_threshold, defaults.large_cluster_size_threshold) == (0.55, 50)
    tuned = parse(["--node-monitor-grace-period", "1m", "--node-eviction-rate", "0.5"]).settings
    assert (tuned.node_monitor_grace_period, tuned.node_eviction_rate) == (60.0, 0.5)
