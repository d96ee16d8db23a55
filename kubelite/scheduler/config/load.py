"""Reading a KubeSchedulerConfiguration file: parse, default, validate.

    apiVersion: kubescheduler.config.k8s.io/v1
    kind: KubeSchedulerConfiguration
    clientConnection: {qps: 5000, burst: 5000}
    leaderElection: {leaderElect: true, resourceName: kube-scheduler}
    percentageOfNodesToScore: 0          # adaptive
    profiles:
    - schedulerName: default-scheduler
      plugins:
        score:
          disabled: [{name: NodeResourcesBalancedAllocation}]
          enabled: [{name: NodeResourcesFit, weight: 2}]
      pluginConfig:
      - name: NodeResourcesFit
        args: {scoringStrategy: {type: MostAllocated}}
    pluginPaths:                         # kubelite's own: out-of-tree plugins by import path
      NodeLabelPreference: kubelite.scheduler.examples.nodelabel:NodeLabelPreference

Defaulting is Kubernetes': one profile `default-scheduler` when none is given; every
profile's plugins merged into the default set (multiPoint: SchedulingGates, PrioritySort,
NodeUnschedulable, NodeName, TaintToleration ×3, NodeAffinity ×2, NodePorts,
NodeResourcesFit ×1, VolumeBinding, PodTopologySpread ×2, InterPodAffinity ×2,
DefaultPreemption, NodeResourcesBalancedAllocation ×1, ImageLocality ×1, DefaultBinder):
a point's `disabled` entries remove defaults ("*" all of them), `enabled` entries naming a
default re-configure it in place, others are appended. Errors are ConfigError with the
field path, as kube-scheduler reports them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from kubelite.componentbase.options import LeaderElectionOptions, parse_duration
from kubelite.scheduler.config.types import (
    EXTENSION_POINT_FIELDS,
    ClientConnection,
    PluginRef,
    Plugins,
    PluginSet,
    Profile,
    SchedulerConfiguration,
)

API_VERSION = "kubescheduler.config.k8s.io/v1"
KIND = "KubeSchedulerConfiguration"

DEFAULT_MULTI_POINT: tuple[tuple[str, int], ...] = (
    ("SchedulingGates", 0),
    ("PrioritySort", 0),
    ("NodeUnschedulable", 0),
    ("NodeName", 0),
    ("TaintToleration", 3),
    ("NodeAffinity", 2),
    ("NodePorts", 0),
    ("NodeResourcesFit", 1),
    ("VolumeBinding", 0),
    ("PodTopologySpread", 2),
    ("InterPodAffinity", 2),
    ("DefaultPreemption", 0),
    ("NodeResourcesBalancedAllocation", 1),
    ("ImageLocality", 1),
    ("DefaultBinder", 0),
)
# Kubernetes' default list also has VolumeRestrictions, EBSLimits, GCEPDLimits,
# NodeVolumeLimits, AzureDiskLimits and VolumeZone; they act on volume kinds kubelite does
# not serve, so a pod can never be rejected by them here (docs/compatibility.md).


class ConfigError(ValueError):
    """The configuration is invalid; the message names the field."""


def default_plugins() -> Plugins:
    p = Plugins()
    p.multi_point.enabled = [PluginRef(n, w) for n, w in DEFAULT_MULTI_POINT]
    return p


def _plugin_set(raw: Any, path: str) -> PluginSet:
    if raw is None:
        return PluginSet()
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: Invalid value: expected an object with enabled/disabled")

    def refs(key: str) -> list[PluginRef]:
        out = []
        for i, item in enumerate(raw.get(key) or []):
            if not isinstance(item, dict) or not item.get("name"):
                raise ConfigError(f"{path}.{key}[{i}].name: Required value")
            out.append(PluginRef(str(item["name"]), int(item.get("weight") or 0)))
        return out

    return PluginSet(refs("enabled"), refs("disabled"))


def _merge_set(default: PluginSet, custom: PluginSet) -> PluginSet:
    """Kubernetes' mergePluginSet."""
    disabled = {r.name for r in custom.disabled} | {r.name for r in default.disabled}
    custom_by_name = {r.name: (i, r) for i, r in enumerate(custom.enabled)}
    replaced: set[int] = set()
    enabled: list[PluginRef] = []
    if "*" not in disabled:
        for ref in default.enabled:
            if ref.name in disabled:
                continue
            if ref.name in custom_by_name:
                i, ref = custom_by_name[ref.name]
                replaced.add(i)
            enabled.append(ref)
    enabled += [r for i, r in enumerate(custom.enabled) if i not in replaced]
    return PluginSet(enabled, [PluginRef(r.name) for r in [*custom.disabled, *default.disabled]])


def _profile(raw: dict[str, Any], i: int, single: bool) -> Profile:
    path = f"profiles[{i}]"
    name = raw.get("schedulerName")
    if name is None and single:
        name = "default-scheduler"
    if not name:
        raise ConfigError(f"{path}.schedulerName: Required value")
    plugins_raw = raw.get("plugins") or {}
    defaults = default_plugins()
    merged = Plugins()
    merged.multi_point = _merge_set(
        defaults.multi_point, _plugin_set(plugins_raw.get("multiPoint"), f"{path}.plugins.multiPoint")
    )
    for point in EXTENSION_POINT_FIELDS:
        custom = _plugin_set(plugins_raw.get(point), f"{path}.plugins.{point}")
        merged.points[point] = _merge_set(defaults.points[point], custom)
    plugin_config: dict[str, dict[str, Any]] = {}
    for j, pc in enumerate(raw.get("pluginConfig") or []):
        pname = (pc or {}).get("name")
        if not pname:
            raise ConfigError(f"{path}.pluginConfig[{j}].name: Required value")
        if pname in plugin_config:
            raise ConfigError(f'{path}.pluginConfig[{j}]: Duplicate value: "{pname}"')
        plugin_config[pname] = dict(pc.get("args") or {})
    pct = raw.get("percentageOfNodesToScore")
    _check_percentage(pct, f"{path}.percentageOfNodesToScore")
    return Profile(str(name), merged, plugin_config, None if pct is None else int(pct))


def _check_percentage(value: Any, path: str) -> None:
    if value is not None and not (isinstance(value, int) and 0 <= value <= 100):
        raise ConfigError(f"{path}: Invalid value: {value}: not in valid range [0-100]")


def _leader_election(raw: dict[str, Any]) -> LeaderElectionOptions:
    le = LeaderElectionOptions(resource_name="kube-scheduler")
    if "leaderElect" in raw:
        le.leader_elect = bool(raw["leaderElect"])
    for key, attr in (
        ("leaseDuration", "lease_duration"),
        ("renewDeadline", "renew_deadline"),
        ("retryPeriod", "retry_period"),
    ):
        if key in raw:
            try:
                setattr(le, attr, parse_duration(str(raw[key])))
            except ValueError as err:
                raise ConfigError(f"leaderElection.{key}: Invalid value: {raw[key]!r}: {err}") from None
    le.resource_name = raw.get("resourceName") or le.resource_name
    le.resource_namespace = raw.get("resourceNamespace") or le.resource_namespace
    lock = raw.get("resourceLock") or "leases"
    if lock != "leases":
        raise ConfigError(
            f'leaderElection.resourceLock: Unsupported value: "{lock}": supported values: "leases"'
        )
    if le.leader_elect and not le.lease_duration > le.renew_deadline > 0:
        raise ConfigError("leaderElection.leaseDuration: Invalid value: must be greater than renewDeadline")
    return le


def parse(doc: dict[str, Any]) -> SchedulerConfiguration:
    """A configuration from a decoded YAML/JSON document."""
    if doc.get("apiVersion") != API_VERSION or doc.get("kind") != KIND:
        raise ConfigError(
            f'no kind "{doc.get("kind")}" is registered for version "{doc.get("apiVersion")}": '
            f"expected apiVersion {API_VERSION}, kind {KIND}"
        )
    if doc.get("extenders"):
        raise ConfigError("extenders: Forbidden: scheduler extenders are not supported by kubelite")
    cfg = SchedulerConfiguration()
    raw_profiles = doc.get("profiles") or [{}]
    cfg.profiles = [_profile(p or {}, i, len(raw_profiles) == 1) for i, p in enumerate(raw_profiles)]
    seen: set[str] = set()
    for i, p in enumerate(cfg.profiles):
        if p.scheduler_name in seen:
            raise ConfigError(f'profiles[{i}].schedulerName: Duplicate value: "{p.scheduler_name}"')
        seen.add(p.scheduler_name)
    pct = doc.get("percentageOfNodesToScore")
    _check_percentage(pct, "percentageOfNodesToScore")
    cfg.percentage_of_nodes_to_score = int(pct or 0)
    cfg.pod_initial_backoff_seconds = float(doc.get("podInitialBackoffSeconds") or 1)
    cfg.pod_max_backoff_seconds = float(doc.get("podMaxBackoffSeconds") or 10)
    if cfg.pod_max_backoff_seconds < cfg.pod_initial_backoff_seconds:
        raise ConfigError(
            "podMaxBackoffSeconds: Invalid value: must be greater than or equal to podInitialBackoffSeconds"
        )
    cfg.parallelism = int(doc.get("parallelism") or 16)
    cfg.leader_election = _leader_election(doc.get("leaderElection") or {})
    cc = doc.get("clientConnection") or {}
    cfg.client_connection = ClientConnection(
        kubeconfig=cc.get("kubeconfig") or "",
        qps=float(cc["qps"]) if cc.get("qps") else ClientConnection().qps,
        burst=int(cc["burst"]) if cc.get("burst") else ClientConnection().burst,
        content_type=cc.get("contentType") or "application/json",
    )
    cfg.extra_registry_paths = {str(k): str(v) for k, v in (doc.get("pluginPaths") or {}).items()}
    return cfg


def load(path: Path) -> SchedulerConfiguration:
    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError) as err:
        raise ConfigError(f"unable to read the configuration file {path}: {err}") from None
    if not isinstance(doc, dict):
        raise ConfigError(f"{path}: not a KubeSchedulerConfiguration")
    return parse(doc)


def default_configuration() -> SchedulerConfiguration:
    return parse({"apiVersion": API_VERSION, "kind": KIND})
