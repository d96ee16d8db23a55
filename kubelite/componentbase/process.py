"""The lifetime of a component process, the same for every component.

    make_client(options)            kubeconfig (or in-cluster config) with the component's
                                    QPS/burst and user agent
    run_component(...)
      1. start the HTTPS health/metrics server (unless --secure-port 0)
      2. warm_up(): start informers, wait for their caches (every instance does this, so
         a standby is ready to act the moment it becomes leader)
      3. set `ready`
      4. with --leader-elect: run lead() only while holding the Lease (leader.py);
         without: run lead() at once
      on cancellation (SIGTERM): lead() is cancelled, the Lease released, the server stopped

The component owns its informers and tasks; this module only orders the steps and keeps the
`leader_election_master_status` gauge (Kubernetes' name) on the component's registry.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack

from prometheus_client import CollectorRegistry, Gauge

from kubelite.client.config import load_config
from kubelite.client.leaderelection import LeaseLock
from kubelite.client.rest import Client
from kubelite.componentbase.leader import Lead, LeaderStatus, default_identity, run_while_leader
from kubelite.componentbase.options import ComponentOptions
from kubelite.componentbase.serving import HealthServer
from kubelite.util.clock import Clock


def make_client(options: ComponentOptions) -> Client:
    """A client for the component: its kubeconfig, its QPS/burst (<= 0: unlimited)."""
    config = load_config(options.kubeconfig)
    config = config.with_rate_limits(options.kube_api_qps, options.kube_api_burst)
    config.user_agent = f"{options.name}/kubelite"
    return Client(config)


def health_server(options: ComponentOptions, registry: CollectorRegistry) -> HealthServer | None:
    """The component's server as its options describe it; None with --secure-port 0."""
    if options.secure_port == 0:
        return None
    return HealthServer(
        registry,
        bind_address=options.bind_address,
        port=options.secure_port,
        tls_cert_file=options.tls_cert_file,
        tls_private_key_file=options.tls_private_key_file,
    )


async def run_component(
    options: ComponentOptions,
    *,
    client: Client,
    registry: CollectorRegistry,
    lead: Lead,
    warm_up: Callable[[], Awaitable[None]] | None = None,
    health: HealthServer | None = None,
    status: LeaderStatus | None = None,
    lock: LeaseLock | None = None,
    ready: asyncio.Event | None = None,
    clock: Clock | None = None,
) -> None:
    """Serve health and metrics, warm up, then lead (alone, or when elected) until cancelled.

    `health` defaults to the server `options` describe; pass one to add checks first.
    """
    status = status or LeaderStatus(default_identity())
    gauge = Gauge(
        "leader_election_master_status",
        "Gauge of if the reporting system is master of the relevant lease, 0 indicates backup, "
        "1 indicates master. 'name' is the string used to identify the lease.",
        ["name"],
        registry=registry,
    )
    lease_name = options.leader_election.resource_name or options.name
    gauge.labels(lease_name).set(0)

    def on_change(s: LeaderStatus) -> None:
        gauge.labels(lease_name).set(1 if s.leading else 0)

    async with AsyncExitStack() as stack:
        server = health if health is not None else health_server(options, registry)
        if server is not None:
            await stack.enter_async_context(server)
        if warm_up is not None:
            await warm_up()
        if ready is not None:
            ready.set()
        if not options.leader_election.leader_elect:
            status.leading, status.leader = True, status.identity
            on_change(status)
            await lead()
            return
        await run_while_leader(
            lead,
            client=client,
            options=options.leader_election,
            status=status,
            lock=lock,
            clock=clock,
            on_change=on_change,
        )
