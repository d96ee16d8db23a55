"""KubeSchedulerConfiguration v1: defaults, plugin merging and weights, profiles, errors."""

from __future__ import annotations

import pytest

from kubelite.scheduler.config import ConfigError, default_configuration, parse
from kubelite.scheduler.framework.runtime import Framework, FrameworkError
from kubelite.scheduler.plugins.registry import in_tree_registry
from kubelite.scheduler.testing import make_framework, make_handle

V1 = {"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration"}


def names(fw: Framework, point: str) -> list[str]:
    return [p.NAME for p in fw.points[point]]


def test_the_default_profile_has_kubernetes_plugins_order_and_weights():
    cfg = default_configuration()
    assert [p.scheduler_name for p in cfg.profiles] == ["default-scheduler"]
    assert cfg.percentage_of_nodes_to_score == 0
    assert (cfg.pod_initial_backoff_seconds, cfg.pod_max_backoff_seconds) == (1, 10)
    le = cfg.leader_election
    assert (le.leader_elect, le.lease_duration, le.renew_deadline, le.retry_period) == (True, 15, 10, 2)
    assert (le.resource_name, le.resource_namespace) == ("kube-scheduler", "kube-system")
    fw = make_framework()
    assert names(fw, "filter") == [
        "NodeUnschedulable",
        "NodeName",
        "TaintToleration",
        "NodeAffinity",
        "NodePorts",
        "NodeResourcesFit",
        "VolumeBinding",
        "PodTopologySpread",
        "InterPodAffinity",
    ]
    assert fw.score_weights == {
        "TaintToleration": 3,
        "NodeAffinity": 2,
        "NodeResourcesFit": 1,
        "PodTopologySpread": 2,
        "InterPodAffinity": 2,
        "NodeResourcesBalancedAllocation": 1,
        "ImageLocality": 1,
    }
    assert names(fw, "postFilter") == ["DefaultPreemption"]
    assert names(fw, "bind") == ["DefaultBinder"]
    assert names(fw, "queueSort") == ["PrioritySort"]


def test_plugins_are_disabled_reweighted_and_configured_per_point():
    cfg = parse(
        {
            **V1,
            "profiles": [
                {
                    "plugins": {
                        "score": {
                            "disabled": [{"name": "NodeResourcesBalancedAllocation"}],
                            "enabled": [{"name": "NodeResourcesFit", "weight": 5}],
                        },
                        "filter": {"disabled": [{"name": "TaintToleration"}]},
                    },
                    "pluginConfig": [
                        {"name": "NodeResourcesFit", "args": {"scoringStrategy": {"type": "MostAllocated"}}}
                    ],
                }
            ],
        }
    )
    fw = Framework(cfg.profiles[0], in_tree_registry(), make_handle())
    assert "NodeResourcesBalancedAllocation" not in fw.score_weights
    assert fw.score_weights["NodeResourcesFit"] == 5
    assert names(fw, "score")[0] == "NodeResourcesFit"  # re-configured defaults come first
    assert "TaintToleration" not in names(fw, "filter") and "TaintToleration" in names(fw, "score")
    assert fw.plugins["NodeResourcesFit"].strategy == "MostAllocated"


def test_disabling_every_default_at_a_point_leaves_only_what_is_enabled_there():
    cfg = parse(
        {
            **V1,
            "profiles": [
                {"plugins": {"score": {"disabled": [{"name": "*"}], "enabled": [{"name": "ImageLocality"}]}}}
            ],
        }
    )
    fw = Framework(cfg.profiles[0], in_tree_registry(), make_handle())
    assert names(fw, "score") == ["ImageLocality"] and fw.score_weights == {"ImageLocality": 1}


def test_several_profiles_are_chosen_by_scheduler_name_and_must_be_unique():
    cfg = parse({**V1, "profiles": [{"schedulerName": "default-scheduler"}, {"schedulerName": "bin-packer"}]})
    assert [p.scheduler_name for p in cfg.profiles] == ["default-scheduler", "bin-packer"]
    with pytest.raises(ConfigError, match=r'profiles\[1\].schedulerName: Duplicate value: "a"'):
        parse({**V1, "profiles": [{"schedulerName": "a"}, {"schedulerName": "a"}]})
    with pytest.raises(ConfigError, match=r"profiles\[1\].schedulerName: Required value"):
        parse({**V1, "profiles": [{"schedulerName": "a"}, {}]})


def test_bad_configurations_are_refused_with_the_field_named():
    with pytest.raises(ConfigError, match="not in valid range"):
        parse({**V1, "percentageOfNodesToScore": 150})
    with pytest.raises(ConfigError, match='no kind "Nope"'):
        parse({"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "Nope"})
    cfg = parse({**V1, "profiles": [{"plugins": {"multiPoint": {"enabled": [{"name": "NoSuchPlugin"}]}}}]})
    with pytest.raises(FrameworkError, match='plugin "NoSuchPlugin" does not exist'):
        Framework(cfg.profiles[0], in_tree_registry(), make_handle())
    cfg = parse({**V1, "profiles": [{"plugins": {"filter": {"enabled": [{"name": "ImageLocality"}]}}}]})
    with pytest.raises(FrameworkError, match='plugin "ImageLocality" does not extend filter plugin'):
        Framework(cfg.profiles[0], in_tree_registry(), make_handle())


def test_client_connection_and_leader_election_come_from_the_file():
    cfg = parse(
        {
            **V1,
            "clientConnection": {"qps": 200, "burst": 300},
            "leaderElection": {"leaderElect": False, "leaseDuration": "30s", "renewDeadline": "20s"},
        }
    )
    assert (cfg.client_connection.qps, cfg.client_connection.burst) == (200, 300)
    assert not cfg.leader_election.leader_elect and cfg.leader_election.lease_duration == 30


def test_out_of_tree_plugins_are_found_by_import_path():
    from kubelite.scheduler.plugins.registry import load_path, merge, out_of_tree_registry

    extra = out_of_tree_registry(
        {"NodeLabelPreference": "kubelite.scheduler.examples.nodelabel:NodeLabelPreference"}
    )
    registry = merge(in_tree_registry(), extra)
    cfg = parse(
        {
            **V1,
            "profiles": [
                {
                    "plugins": {"multiPoint": {"enabled": [{"name": "NodeLabelPreference", "weight": 4}]}},
                    "pluginConfig": [{"name": "NodeLabelPreference", "args": {"label": "fast"}}],
                }
            ],
        }
    )
    fw = Framework(cfg.profiles[0], registry, make_handle())
    assert fw.score_weights["NodeLabelPreference"] == 4
    with pytest.raises(ValueError, match="already exists"):
        merge(
            in_tree_registry(),
            {"NodeName": load_path("kubelite.scheduler.examples.nodelabel:NodeLabelPreference")},
        )
