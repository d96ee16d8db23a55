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
    --node-monitor-period 5s                  node-lifecycle-controller: how often node health
    --node-monitor-grace-period 40s             is checked, how long a silent node stays Ready,
    --node-startup-grace-period 1m              or a new node that never posted status
    --node-eviction-rate 0.1                  nodes tainted NoExecute per second in a zone,
    --secondary-node-eviction-rate 0.01         and in an unhealthy zone larger than
    --large-cluster-size-threshold 50           this many nodes (smaller: none);
    --unhealthy-zone-threshold 0.55             the share of not-Ready nodes that makes it so
    --allocate-node-cidrs (default true)      node-ipam-controller: a pod CIDR per node,
    --cluster-cidr 10.244.0.0/16                cut from this range
    --node-cidr-mask-size 24                    in pieces of this size
    --service-cluster-ip-range                  (never overlapping the Services' range)
    --root-ca-file FILE                       the CA the root CA publisher puts in every namespace
    --service-account-private-key-file FILE   the key legacy service account tokens are signed with
    --pvclaimbinder-sync-period 15s           persistentvolume-binder-controller's resync
    --local-path-dir DIR                      kubelite: the local-path provisioner's volumes

and component-base's (`kubelite.componentbase.options`) with kube-controller-manager's
defaults: --secure-port 10257, the Lease kube-system/kube-controller-manager,
--kube-api-qps 20 / --kube-api-burst 30 - a budget each controller gets for its own client.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kubelite.componentbase import ComponentDefaults, ComponentOptions, add_flags, options_from_args
from kubelite.componentbase.options import parse_bool, parse_duration
from kubelite.controllermanager import controllers
from kubelite.controllers.context import ControllerSettings

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
    "concurrent_endpoint_syncs": ("endpoints-controller", 5),
    "concurrent_service_endpoint_syncs": ("endpointslice-controller", 5),
    "mirroring_concurrent_service_endpoint_syncs": ("endpointslice-mirroring-controller", 5),
}


@dataclass(slots=True)
class ControllerManagerOptions:
    component: ComponentOptions
    controllers: list[str] = field(default_factory=lambda: ["*"])
    workers: dict[str, int] = field(default_factory=dict)
    namespace_sync_period: float = 300.0
    enable_garbage_collector: bool = True
    root_ca_file: str = ""
    service_account_private_key_file: str = ""
    settings: ControllerSettings = field(default_factory=ControllerSettings)


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
    g.add_argument(
        "--root-ca-file",
        default="",
        metavar="FILE",
        help="the cluster CA, published in every namespace's kube-root-ca.crt ConfigMap and in "
        "service account token Secrets",
    )
    g.add_argument(
        "--service-account-private-key-file",
        default="",
        metavar="FILE",
        help="PEM private key that signs legacy service account tokens (the tokens controller runs "
        "only with it)",
    )
    add_settings_flags(g)


# flag -> (ControllerSettings field, parser, help); the defaults are ControllerSettings'.
SETTINGS_FLAGS: dict[str, tuple[str, Callable[[str], Any], str]] = {
    "--node-monitor-period": (
        "node_monitor_period",
        parse_duration,
        "how often the node lifecycle controller looks at every node's health",
    ),
    "--node-monitor-grace-period": (
        "node_monitor_grace_period",
        parse_duration,
        "how long a running node may go without a Lease renewal or status before it is Unknown",
    ),
    "--node-startup-grace-period": (
        "node_startup_grace_period",
        parse_duration,
        "how long a new node may go without posting status before it is Unknown",
    ),
    "--node-eviction-rate": (
        "node_eviction_rate",
        float,
        "nodes per second whose pods are evicted when a zone is healthy",
    ),
    "--secondary-node-eviction-rate": (
        "secondary_node_eviction_rate",
        float,
        "nodes per second whose pods are evicted when a zone is unhealthy "
        "(0 for zones of at most --large-cluster-size-threshold nodes)",
    ),
    "--unhealthy-zone-threshold": (
        "unhealthy_zone_threshold",
        float,
        "the share of a zone's nodes (at least 3) not Ready that makes the zone unhealthy",
    ),
    "--large-cluster-size-threshold": (
        "large_cluster_size_threshold",
        int,
        "zones of more nodes than this keep evicting at the secondary rate when unhealthy",
    ),
    "--terminated-pod-gc-threshold": (
        "terminated_pod_gc_threshold",
        int,
        "how many terminated pods may exist before the oldest are deleted (0: no limit)",
    ),
    "--max-endpoints-per-slice": (
        "max_endpoints_per_slice",
        int,
        "the most endpoints an EndpointSlice made from a Service's pods holds",
    ),
    "--mirroring-max-endpoints-per-subset": (
        "mirroring_max_endpoints_per_subset",
        int,
        "the most addresses of one Endpoints subset mirrored into EndpointSlices",
    ),
    "--cluster-cidr": ("cluster_cidr", str, "the pod CIDR(s) of the cluster, comma-separated for dual-stack"),
    "--node-cidr-mask-size": ("node_cidr_mask_size", int, "the size of each node's IPv4 pod CIDR"),
    "--node-cidr-mask-size-ipv6": ("node_cidr_mask_size_ipv6", int, "the size of each node's IPv6 pod CIDR"),
    "--service-cluster-ip-range": (
        "service_cluster_ip_range",
        str,
        "the Services' CIDR(s); no node gets a pod CIDR overlapping them",
    ),
    "--pvclaimbinder-sync-period": (
        "pvclaimbinder_sync_period",
        parse_duration,
        "how often the PersistentVolume controller looks at every claim and volume again",
    ),
    "--local-path-dir": (
        "local_path_dir",
        str,
        "kubelite: the directory the local-path provisioner (default StorageClass local-path) keeps "
        "volumes in; empty: no provisioner",
    ),
}


def add_settings_flags(g: argparse._ArgumentGroup) -> None:
    defaults = ControllerSettings()
    for flag, (attr, parse, text) in SETTINGS_FLAGS.items():
        names = [flag, "--node-cidr-mask-size-ipv4"] if attr == "node_cidr_mask_size" else [flag]
        g.add_argument(*names, dest=attr, type=parse, default=getattr(defaults, attr), help=text)
    g.add_argument(
        "--allocate-node-cidrs",
        dest="allocate_node_cidrs",
        type=parse_bool,
        nargs="?",
        const=True,
        default=defaults.allocate_node_cidrs,
        metavar="BOOL",
        help="give every node a pod CIDR from --cluster-cidr (node-ipam-controller)",
    )


def options_from(args: argparse.Namespace) -> ControllerManagerOptions:
    selection = args.controllers if isinstance(args.controllers, list) else [args.controllers]
    return ControllerManagerOptions(
        component=options_from_args(args, DEFAULTS.name),
        controllers=selection,
        workers={name: getattr(args, flag) for flag, (name, _) in CONCURRENCY_FLAGS.items()},
        namespace_sync_period=args.namespace_sync_period,
        enable_garbage_collector=args.enable_garbage_collector,
        root_ca_file=args.root_ca_file,
        service_account_private_key_file=args.service_account_private_key_file,
        settings=ControllerSettings(
            namespace_sync_period=args.namespace_sync_period,
            allocate_node_cidrs=args.allocate_node_cidrs,
            **{attr: getattr(args, attr) for attr, _, _ in SETTINGS_FLAGS.values()},
        ),
    )
