"""KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1) as Python values.

The file a user passes with `--config` reads into these; `load.py` parses, defaults and
validates it. Field names follow the YAML's, in snake case.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kubelite.componentbase.options import LeaderElectionOptions

DEFAULT_SCHEDULER_NAME = "default-scheduler"
EXTENSION_POINT_FIELDS = (
    "preEnqueue",
    "queueSort",
    "preFilter",
    "filter",
    "postFilter",
    "preScore",
    "score",
    "reserve",
    "permit",
    "preBind",
    "bind",
    "postBind",
)


@dataclass(slots=True)
class PluginRef:
    name: str
    weight: int = 0  # score plugins only; 0 means "not set" (the default, or 1)


@dataclass(slots=True)
class PluginSet:
    enabled: list[PluginRef] = field(default_factory=list)
    disabled: list[PluginRef] = field(default_factory=list)


@dataclass(slots=True)
class Plugins:
    """Plugin sets per extension point; `multiPoint` enables a plugin at every point it
    implements."""

    multi_point: PluginSet = field(default_factory=PluginSet)
    points: dict[str, PluginSet] = field(
        default_factory=lambda: {p: PluginSet() for p in EXTENSION_POINT_FIELDS}
    )


@dataclass(slots=True)
class Profile:
    scheduler_name: str = DEFAULT_SCHEDULER_NAME
    plugins: Plugins = field(default_factory=Plugins)
    plugin_config: dict[str, dict[str, Any]] = field(default_factory=dict)
    percentage_of_nodes_to_score: int | None = None


@dataclass(slots=True)
class ClientConnection:
    kubeconfig: str = ""
    # Kubernetes defaults the scheduler to 50 QPS / 100 burst. kubelite's default is high
    # enough that binding a thousand pods (a bind and an event each) never waits on the
    # client's own limit; set these in the file to throttle.
    qps: float = 5000.0
    burst: int = 5000
    content_type: str = "application/json"


@dataclass(slots=True)
class SchedulerConfiguration:
    profiles: list[Profile] = field(default_factory=lambda: [Profile()])
    percentage_of_nodes_to_score: int = 0  # 0: adaptive (50 % - nodes/125, at least 5 %)
    pod_initial_backoff_seconds: float = 1.0
    pod_max_backoff_seconds: float = 10.0
    parallelism: int = 16
    leader_election: LeaderElectionOptions = field(
        default_factory=lambda: LeaderElectionOptions(resource_name="kube-scheduler")
    )
    client_connection: ClientConnection = field(default_factory=ClientConnection)
    extra_registry_paths: dict[str, str] = field(default_factory=dict)  # plugin name -> "module:Class"
