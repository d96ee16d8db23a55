"""`kubelite controller-manager`'s options and flags: component-base's, then its own.

    --controllers '*'                         which loops run (controllers.py)
    --concurrent-replicaset-syncs 5           workers per controller, as
    --concurrent-rc-syncs 5                   kube-controller-manager's flags name them
    --concurrent-deployment-syncs 5
    --concurrent-gc-syncs 20
    --concurrent-namespace-syncs 10
    --concurrent-job-syncs 5
    --concurrent-cron-job-syncs 5
    --concurrent-ttl-after-finished-syncs 5
    --concurrent-daemonset-syncs 2
    --concurrent-statefulset-syncs 5
    --namespace-sync-period 5m
    --enable-garbage-collector (default true)

and component-base's (`kubelite.componentbase.options`) with kube-controller-manager's
defaults: --secure-port 10257, the Lease kube-system/kube-controller-manager,
--kube-api-qps 20 / --kube-api-burst 30 - a budget each controller gets for its own client.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field

from kubelite.componentbase import ComponentDefaults, ComponentOptions, add_flags, options_from_args
from kubelite.componentbase.options import parse_bool, parse_duration
from kubelite.controllermanager import controllers

DEFAULTS = ComponentDefaults(
    name="kube-controller-manager",
    secure_port=10257,
    lease_name="kube-controller-manager",
    kube_api_qps=20.0,
    kube_api_burst=30,
)

# flag -> (controller whose workers it sets, Kubernetes' default)
CONCURRENCY_FLAGS = {
    "concurrent_replicaset_syncs": ("replicaset-controller", 5),
    "concurrent_rc_syncs": ("replicationcontroller-controller", 5),
    "concurrent_deployment_syncs": ("deployment-controller", 5),
    "concurrent_gc_syncs": ("garbage-collector-controller", 20),
    "concurrent_namespace_syncs": ("namespace-controller", 10),
    "concurrent_job_syncs": ("job-controller", 5),
    "concurrent_cron_job_syncs": ("cronjob-controller", 5),
    "concurrent_ttl_after_finished_syncs": ("ttl-after-finished-controller", 5),
    "concurrent_daemonset_syncs": ("daemonset-controller", 2),
    "concurrent_statefulset_syncs": ("statefulset-controller", 5),
}


@dataclass(slots=True)
class ControllerManagerOptions:
    component: ComponentOptions
    controllers: list[str] = field(default_factory=lambda: ["*"])
    workers: dict[str, int] = field(default_factory=dict)
    namespace_sync_period: float = 300.0
    enable_garbage_collector: bool = True


def add_controller_manager_flags(parser: argparse.ArgumentParser) -> None:
    add_flags(parser, DEFAULTS)
    g = parser.add_argument_group("controllers")
    g.add_argument(
        "--controllers",
        default="*",
        type=lambda text: [c.strip() for c in text.split(",") if c.strip()],
        metavar="NAMES",
        help=controllers.help_text(),
    )
    for flag, (name, default) in CONCURRENCY_FLAGS.items():
        g.add_argument(
            "--" + flag.replace("_", "-"),
            type=int,
            default=default,
            metavar="N",
            help=f"how many objects {name} works on at once",
        )
    g.add_argument(
        "--namespace-sync-period",
        type=parse_duration,
        default=300.0,
        metavar="DURATION",
        help="how often every namespace is looked at again",
    )
    g.add_argument(
        "--enable-garbage-collector",
        type=parse_bool,
        nargs="?",
        const=True,
        default=True,
        metavar="BOOL",
        help="run the garbage collector (ownerReferences); --enable-garbage-collector=false: not",
    )


def options_from(args: argparse.Namespace) -> ControllerManagerOptions:
    selection = args.controllers if isinstance(args.controllers, list) else [args.controllers]
    return ControllerManagerOptions(
        component=options_from_args(args, DEFAULTS.name),
        controllers=selection,
        workers={name: getattr(args, flag) for flag, (name, _) in CONCURRENCY_FLAGS.items()},
        namespace_sync_period=args.namespace_sync_period,
        enable_garbage_collector=args.enable_garbage_collector,
    )
