"""`kubelite scheduler`, registered into `kubelite`'s parser by `kubelite/cli.py`.

kubelite scheduler --kubeconfig FILE [--config KubeSchedulerConfiguration.yaml]
                   [--leader-elect=false] [--secure-port 10259] ...
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kubelite.componentbase import ComponentDefaults, add_flags, options_from_args
from kubelite.util.process import run_until_signalled

DEFAULTS = ComponentDefaults(
    name="kube-scheduler",
    secure_port=10259,
    lease_name="kube-scheduler",
    # Kubernetes: 50 / 100. Higher here so binding many pods never waits on the client itself.
    kube_api_qps=5000.0,
    kube_api_burst=5000,
)


def cmd_scheduler(args: argparse.Namespace, run: Callable[[Any], int]) -> int:
    from kubelite.client.config import ConfigError as ClientConfigError
    from kubelite.client.config import load_config
    from kubelite.scheduler.config import ConfigError, default_configuration, load
    from kubelite.scheduler.framework.runtime import FrameworkError
    from kubelite.scheduler.process import effective_options, run_scheduler

    options = options_from_args(args, DEFAULTS.name)
    try:
        config = load(Path(args.config)) if args.config else default_configuration()
        if not args.config:
            config.leader_election = options.leader_election
            config.client_connection.qps, config.client_connection.burst = (
                options.kube_api_qps,
                options.kube_api_burst,
            )
        options = effective_options(options, config if args.config else None)
        from kubelite.scheduler.framework.handle import Handle
        from kubelite.scheduler.framework.runtime import Framework
        from kubelite.scheduler.plugins.registry import in_tree_registry, merge, out_of_tree_registry

        load_config(options.kubeconfig)  # a missing or broken kubeconfig is reported now, plainly
        registry = merge(in_tree_registry(), out_of_tree_registry(config.extra_registry_paths))
        for profile in config.profiles:  # refuse a bad profile now, with its message
            Framework(profile, registry, Handle())
    except (ConfigError, ClientConfigError, FrameworkError, ImportError, AttributeError, ValueError) as err:
        raise SystemExit(f"kubelite scheduler: {err}") from None
    return run(run_until_signalled(run_scheduler(options, config)))


def add_subcommands(sub: Any, run: Callable[[Any], int]) -> None:
    p = sub.add_parser("scheduler", help="run the scheduler (kube-scheduler)")
    p.add_argument("--config", help="a KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1) file")
    add_flags(p, DEFAULTS)
    p.set_defaults(func=lambda a: cmd_scheduler(a, run))
