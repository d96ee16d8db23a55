"""Running `kubelite scheduler`: configuration, client, metrics, leader election, the loop.

The options come from the command line (componentbase's flags) and, with `--config`, from a
KubeSchedulerConfiguration file. As kube-scheduler does, a configuration file replaces the
client and leader-election flags with its own `clientConnection` and `leaderElection`
sections (defaults where the file is silent); `--kubeconfig` still applies when the file
names no kubeconfig.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import socket
from pathlib import Path

from prometheus_client import CollectorRegistry

from kubelite.componentbase import ComponentOptions, LeaderStatus, make_client, run_component
from kubelite.componentbase.leader import default_identity
from kubelite.componentbase.process import health_server
from kubelite.scheduler.config import SchedulerConfiguration
from kubelite.scheduler.metrics import SchedulerMetrics
from kubelite.scheduler.plugins.registry import in_tree_registry, merge, out_of_tree_registry
from kubelite.scheduler.scheduler import Scheduler

log = logging.getLogger("kubelite.scheduler")


def effective_options(options: ComponentOptions, config: SchedulerConfiguration | None) -> ComponentOptions:
    """The component options once a configuration file has had its say."""
    if config is None:
        return options
    cc = config.client_connection
    return dataclasses.replace(
        options,
        kubeconfig=Path(cc.kubeconfig) if cc.kubeconfig else options.kubeconfig,
        kube_api_qps=cc.qps,
        kube_api_burst=cc.burst,
        leader_election=config.leader_election,
    )


async def run_scheduler(
    options: ComponentOptions, config: SchedulerConfiguration, *, ready: asyncio.Event | None = None
) -> None:
    registry = merge(in_tree_registry(), out_of_tree_registry(config.extra_registry_paths))
    client = make_client(options)
    metrics_registry = CollectorRegistry()
    metrics = SchedulerMetrics(metrics_registry)
    status = LeaderStatus(default_identity())
    scheduler = Scheduler(client, config, registry=registry, metrics=metrics, identity=socket.gethostname())
    health = health_server(options, metrics_registry)
    if health is not None:
        health.add_readyz_check("sched-handler-sync", scheduler.ready)
    try:
        await run_component(
            options,
            client=client,
            registry=metrics_registry,
            lead=scheduler.lead,
            warm_up=scheduler.warm_up,
            health=health,
            status=status,
            ready=ready,
        )
    finally:
        await scheduler.stop()
        await client.close()
