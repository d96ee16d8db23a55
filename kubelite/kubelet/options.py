"""The kubelet's options: everything `kubelite kubelet` takes on its command line.

Defaults are Kubernetes' defaults (the kubelet's configuration file and the seeds'
numbers); tests shorten the intervals through these options, never by editing defaults.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(slots=True)
class BackOffOptions:
    """Exponential back-off: `initial` doubling to `maximum` (CrashLoopBackOff, image pulls)."""

    initial: float = 10.0
    maximum: float = 300.0


@dataclass(slots=True)
class KubeletOptions:
    node_name: str = ""  # default: the host name, lowercased
    kubeconfig: Path | None = None
    container_runtime_endpoint: str = "unix:///run/kubelite/runtime.sock"
    runtime_request_timeout: float = 120.0
    # Node lease and status (seeds: renew every 10 s, status on change or every 5 min).
    node_lease_duration_seconds: int = 40
    lease_renew_interval: float = 10.0  # 0.25 × the lease duration, as Kubernetes
    lease_retry_initial: float = 0.2
    lease_retry_max: float = 7.0
    node_status_update_frequency: float = 10.0  # how often status is computed
    node_status_report_frequency: float = 300.0  # post at least this often, changed or not
    node_labels: dict[str, str] = field(default_factory=dict)
    register_with_taints: list[dict[str, str]] = field(default_factory=list)
    node_ip: str = ""
    max_pods: int = 110
    system_reserved: dict[str, str] = field(default_factory=dict)  # {"cpu": "100m", "memory": "100Mi"}
    kube_reserved: dict[str, str] = field(default_factory=dict)
    eviction_hard_memory: str = "100Mi"  # subtracted from allocatable memory, as Kubernetes
    default_pod_cidr: str = "10.88.0.0/16"  # when the Node has no spec.podCIDR
    # Pod DNS (kubelet/dns.py): ClusterFirst pods' nameservers and search domains.
    cluster_dns: tuple[str, ...] = ()
    cluster_domain: str = ""
    resolv_conf: str = "/etc/resolv.conf"  # the host's resolver for Default pods ("": none)
    # Pods.
    pod_log_dir: Path = Path("/var/log/pods")
    root_dir: Path = Path("/var/lib/kubelet")  # per-pod state: <root>/pods/<uid>/volumes/...
    pleg_relist_period: float = 1.0
    sync_frequency: float = 60.0  # every pod is synced at least this often
    eviction_monitoring_period: float = 10.0  # emptyDir sizeLimit checks (Kubernetes: fixed 10 s)
    parallel_pod_starts: int = 4  # pods started (sandbox + containers) at once
    # Pod cgroups under <cgroup_root>/kubepods/<qos>/pod<uid> (cgroups.py); off: none named.
    cgroups_per_qos: bool = True
    cgroup_root: str = "/"
    pod_pids_limit: int = -1  # --pod-max-pids: pids.max of each pod's cgroup (-1: none)
    # Sysctls (or `prefix*` patterns) pods may set beyond the safe ones (kubelet/sysctls.py).
    allowed_unsafe_sysctls: list[str] = field(default_factory=list)
    crash_loop_backoff: BackOffOptions = field(default_factory=BackOffOptions)
    image_pull_backoff: BackOffOptions = field(default_factory=BackOffOptions)
    # A container that ran this long without exiting has its back-off forgotten (2 × max).
    backoff_reset_after: float = 600.0
    # Static pods.
    pod_manifest_path: Path | None = None
    file_check_frequency: float = 20.0
    # Simulated nodes (no runtime): `--simulated N`.
    simulated: int = 0
    simulated_name_prefix: str = "sim-node-"
    simulated_start_latency: float = 0.0
    simulated_stages_file: Path | None = None
    qps: float = 50.0
    burst: int = 100
    # The HTTPS server (kubelet/server/): logs, exec, attach, port-forward, stats, metrics.
    address: str = "0.0.0.0"
    port: int = 10250  # 0: a free port; -1: no server
    tls_cert_file: Path | None = None  # without one, a self-signed certificate is made in memory
    tls_private_key_file: Path | None = None
    client_ca_file: Path | None = None  # client certificates are verified against it
    authorization_mode: str = "Webhook"  # or AlwaysAllow; see kubelet/server/auth.py
    authentication_token_webhook: bool = True  # bearer tokens checked with a TokenReview
