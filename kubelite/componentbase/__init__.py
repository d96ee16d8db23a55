"""The skeleton every control-plane component process shares.

kube-scheduler, kube-controller-manager and kube-proxy are separate programs in Kubernetes,
but each is built on the same base (Kubernetes' `component-base`): the same client flags,
the same leader election, the same HTTPS health and metrics endpoints. kubelite's
components take theirs from here:

    options.py   ComponentOptions and LeaderElectionOptions: kubeconfig, client QPS/burst,
                 leader election (on/off, Lease name and namespace, 15 s / 10 s / 2 s), the
                 health server's address; `add_flags` / `options_from_args` give every
                 component the same command-line flags
    serving.py   HealthServer: /healthz, /livez, /readyz and Prometheus /metrics over HTTPS
                 (a self-signed certificate unless one is given), as the components serve
                 them on their secure ports
    leader.py    run_while_leader: run the component's work only while this process holds
                 the Lease; cancel it when leadership is lost, then campaign again
    process.py   run_component: the lifetime of a component process put together

A component supplies its options, its `prometheus_client` registry and two coroutines: one
that warms its caches (run by every instance, so a standby can take over at once) and one
that does the work (run by the leader only).
"""

from kubelite.componentbase.leader import LeaderStatus, run_while_leader
from kubelite.componentbase.options import (
    ComponentDefaults,
    ComponentOptions,
    LeaderElectionOptions,
    add_flags,
    options_from_args,
    parse_duration,
)
from kubelite.componentbase.process import make_client, run_component
from kubelite.componentbase.serving import HealthServer

__all__ = [
    "ComponentDefaults",
    "ComponentOptions",
    "HealthServer",
    "LeaderElectionOptions",
    "LeaderStatus",
    "add_flags",
    "make_client",
    "options_from_args",
    "parse_duration",
    "run_component",
    "run_while_leader",
]
