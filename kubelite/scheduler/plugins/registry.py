"""The explicit registry of plugins: name -> factory.

Every in-tree plugin is listed here by its Kubernetes name; nothing registers itself as a
side effect of being imported. A factory takes the plugin's args (the profile's
`pluginConfig` entry for it, a dict, possibly empty) and the framework Handle.

Out-of-tree plugins join the registry by name from two places (see docs/scheduler-plugins.md):
an entry point in the `kubelite.scheduler.plugins` group, or `pluginPaths` in the
configuration file (`{Name: "module.path:ClassName"}`, a kubelite extension of the file).
A class works as a factory: it is called with `(args, handle)`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from importlib.metadata import entry_points
from typing import Any

from kubelite.scheduler.framework.handle import Handle

Factory = Callable[[dict[str, Any], Handle], Any]
Registry = dict[str, Factory]
ENTRY_POINT_GROUP = "kubelite.scheduler.plugins"


def in_tree_registry() -> Registry:
    from kubelite.scheduler.plugins import (
        defaultbinder,
        defaultpreemption,
        imagelocality,
        interpodaffinity,
        nodeaffinity,
        nodename,
        nodeports,
        noderesources,
        nodeunschedulable,
        podtopologyspread,
        queuesort,
        schedulinggates,
        tainttoleration,
        volumebinding,
    )

    return {
        schedulinggates.SchedulingGates.NAME: schedulinggates.SchedulingGates,
        queuesort.PrioritySort.NAME: queuesort.PrioritySort,
        nodeunschedulable.NodeUnschedulable.NAME: nodeunschedulable.NodeUnschedulable,
        nodename.NodeName.NAME: nodename.NodeName,
        tainttoleration.TaintToleration.NAME: tainttoleration.TaintToleration,
        nodeaffinity.NodeAffinity.NAME: nodeaffinity.NodeAffinity,
        nodeports.NodePorts.NAME: nodeports.NodePorts,
        noderesources.Fit.NAME: noderesources.Fit,
        noderesources.BalancedAllocation.NAME: noderesources.BalancedAllocation,
        volumebinding.VolumeBinding.NAME: volumebinding.VolumeBinding,
        podtopologyspread.PodTopologySpread.NAME: podtopologyspread.PodTopologySpread,
        interpodaffinity.InterPodAffinity.NAME: interpodaffinity.InterPodAffinity,
        imagelocality.ImageLocality.NAME: imagelocality.ImageLocality,
        defaultpreemption.DefaultPreemption.NAME: defaultpreemption.DefaultPreemption,
        defaultbinder.DefaultBinder.NAME: defaultbinder.DefaultBinder,
    }


def load_path(path: str) -> Factory:
    """A factory from "package.module:Name"."""
    module, _, attr = path.partition(":")
    if not module or not attr:
        raise ValueError(f'plugin path "{path}" is not of the form "package.module:Name"')
    factory: Factory = getattr(importlib.import_module(module), attr)
    return factory


def out_of_tree_registry(paths: dict[str, str]) -> Registry:
    """Plugins from installed entry points, then from explicit import paths (which win)."""
    registry: Registry = {}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        registry[ep.name] = ep.load()
    for name, path in paths.items():
        registry[name] = load_path(path)
    return registry


def merge(base: Registry, extra: Registry) -> Registry:
    clash = sorted(set(base) & set(extra))
    if clash:
        raise ValueError(f"a plugin named {clash[0]!r} already exists")
    return {**base, **extra}
