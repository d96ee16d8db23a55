"""`kubelite kubelet`, registered into `kubelite`'s parser by `kubelite/cli.py`.

kubelite kubelet --kubeconfig FILE [--container-runtime-endpoint unix:///run/...sock]
                 [--node-name N] [--pod-manifest-path DIR]
kubelite kubelet --kubeconfig FILE --simulated 100 [--simulated-start-latency 1.5]
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kubelite.util.process import run_until_signalled


def _labels(text: str) -> dict[str, str]:
    return dict(kv.split("=", 1) for kv in text.split(",") if kv)


def _reserved(text: str) -> dict[str, str]:
    return _labels(text)


def options_from_args(args: argparse.Namespace) -> Any:
    from kubelite.kubelet.options import BackOffOptions, KubeletOptions

    return KubeletOptions(
        node_name=args.node_name,
        kubeconfig=Path(args.kubeconfig) if args.kubeconfig else None,
        container_runtime_endpoint=args.container_runtime_endpoint,
        node_labels=_labels(args.node_labels),
        node_ip=args.node_ip,
        max_pods=args.max_pods,
        system_reserved=_reserved(args.system_reserved),
        kube_reserved=_reserved(args.kube_reserved),
        node_status_update_frequency=args.node_status_update_frequency,
        lease_renew_interval=args.lease_renew_interval,
        pod_log_dir=Path(args.pod_log_dir),
        root_dir=Path(args.root_dir),
        sync_frequency=args.sync_frequency,
        eviction_monitoring_period=args.eviction_monitoring_period,
        crash_loop_backoff=BackOffOptions(args.crash_loop_backoff_initial, args.crash_loop_backoff_max),
        image_pull_backoff=BackOffOptions(args.image_pull_backoff_initial, args.image_pull_backoff_max),
        pod_manifest_path=Path(args.pod_manifest_path) if args.pod_manifest_path else None,
        file_check_frequency=args.file_check_frequency,
        default_pod_cidr=args.default_pod_cidr,
        simulated=args.simulated,
        simulated_start_latency=args.simulated_start_latency,
        simulated_name_prefix=args.simulated_name_prefix,
        simulated_stages_file=Path(args.simulated_stages) if args.simulated_stages else None,
        pleg_relist_period=args.pleg_relist_period,
        cgroups_per_qos=args.cgroups_per_qos,
        cgroup_root=args.cgroup_root,
        pod_pids_limit=args.pod_max_pids,
        allowed_unsafe_sysctls=[x for x in args.allowed_unsafe_sysctls.split(",") if x],
        address=args.address,
        port=args.port,
        tls_cert_file=Path(args.tls_cert_file) if args.tls_cert_file else None,
        tls_private_key_file=Path(args.tls_private_key_file) if args.tls_private_key_file else None,
        client_ca_file=Path(args.client_ca_file) if args.client_ca_file else None,
        authorization_mode=args.authorization_mode,
        authentication_token_webhook=args.authentication_token_webhook,
        cluster_dns=tuple(ip.strip() for ip in args.cluster_dns.split(",") if ip.strip()),
        cluster_domain=args.cluster_domain,
        resolv_conf=args.resolv_conf,
    )


def cmd_kubelet(args: argparse.Namespace, run: Callable[[Any], int]) -> int:
    from kubelite.kubelet.process import run_kubelet

    options = options_from_args(args)

    return run(run_until_signalled(run_kubelet(options)))


def add_subcommands(sub: Any, run: Callable[[Any], int]) -> None:
    p = sub.add_parser("kubelet", help="run the node agent (or --simulated N nodes)")
    p.add_argument("--kubeconfig", help="how to reach the API server (default: $KUBECONFIG, ~/.kube/config)")
    p.add_argument("--container-runtime-endpoint", default="unix:///run/kubelite/runtime.sock")
    p.add_argument("--node-name", default="", help="default: the host name")
    p.add_argument("--node-labels", default="", help="k=v,k2=v2 added to the Node")
    p.add_argument("--node-ip", default="")
    p.add_argument("--max-pods", type=int, default=110)
    p.add_argument(
        "--cluster-dns",
        default="",
        metavar="IPS",
        help="the DNS server(s) of ClusterFirst pods (comma-separated)",
    )
    p.add_argument(
        "--cluster-domain", default="", help="the cluster's domain: pods search it (cluster.local)"
    )
    p.add_argument(
        "--resolv-conf", default="/etc/resolv.conf", help='the resolver file Default pods get ("": none)'
    )
    p.add_argument("--system-reserved", default="", help="cpu=100m,memory=100Mi")
    p.add_argument("--kube-reserved", default="")
    p.add_argument("--node-status-update-frequency", type=float, default=10.0)
    p.add_argument("--lease-renew-interval", type=float, default=10.0)
    p.add_argument("--pod-log-dir", default="/var/log/pods")
    p.add_argument("--root-dir", default="/var/lib/kubelet", help="the pods' volumes live under ROOT/pods/")
    p.add_argument(
        "--sync-frequency", type=float, default=60.0, help="seconds between syncs of every pod (volumes too)"
    )
    p.add_argument(
        "--eviction-monitoring-period",
        type=float,
        default=10.0,
        help="kubelite: seconds between checks of emptyDir usage against sizeLimit (Kubernetes: 10)",
    )
    p.add_argument("--pod-manifest-path", default="", help="folder of static pod manifests")
    p.add_argument("--file-check-frequency", type=float, default=20.0)
    p.add_argument(
        "--default-pod-cidr", default="10.88.0.0/16", help="pod IPs when the Node has no spec.podCIDR"
    )
    p.add_argument("--crash-loop-backoff-initial", type=float, default=10.0)
    p.add_argument("--crash-loop-backoff-max", type=float, default=300.0)
    p.add_argument("--image-pull-backoff-initial", type=float, default=10.0)
    p.add_argument("--image-pull-backoff-max", type=float, default=300.0)
    p.add_argument("--pleg-relist-period", type=float, default=1.0)
    p.add_argument(
        "--cgroups-per-qos",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="put each pod in <cgroup root>/kubepods/<qos class>/pod<uid>",
    )
    p.add_argument("--cgroup-root", default="/", help="where the kubepods cgroup is made")
    p.add_argument("--pod-max-pids", type=int, default=-1, help="pids.max of every pod's cgroup (-1: none)")
    p.add_argument(
        "--allowed-unsafe-sysctls",
        default="",
        help="sysctls (or 'prefix*') pods may set beyond the safe ones",
    )
    p.add_argument("--address", default="0.0.0.0", help="the address the HTTPS server listens on")
    p.add_argument("--port", type=int, default=10250, help="the HTTPS server's port (0: a free one)")
    p.add_argument("--tls-cert-file", default="", help="serving certificate (default: self-signed)")
    p.add_argument("--tls-private-key-file", default="")
    p.add_argument("--client-ca-file", default="", help="CA that signs the client certificates accepted")
    p.add_argument(
        "--authorization-mode",
        default="Webhook",
        choices=("Webhook", "AlwaysAllow"),
        help="Webhook: every request is a SubjectAccessReview to the API server",
    )
    p.add_argument(
        "--authentication-token-webhook",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="authenticate bearer tokens with a TokenReview to the API server",
    )
    p.add_argument("--simulated", type=int, default=0, metavar="N", help="run N simulated nodes instead")
    p.add_argument("--simulated-name-prefix", default="sim-node-")
    p.add_argument("--simulated-start-latency", type=float, default=0.0, help="seconds before a pod runs")
    p.add_argument("--simulated-stages", default="", help="YAML file of pod stages (default: kwok's)")
    p.set_defaults(func=lambda a: cmd_kubelet(a, run))
