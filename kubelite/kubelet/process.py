"""Running a kubelet process: the API client, the runtime client, then the kubelet itself."""

from __future__ import annotations

import asyncio
import logging

from kubelite.client.config import load_kubeconfig
from kubelite.client.rest import Client
from kubelite.kubelet.options import KubeletOptions

log = logging.getLogger("kubelite.kubelet")


async def run_kubelet(options: KubeletOptions, ready: asyncio.Event | None = None) -> None:
    config = load_kubeconfig(options.kubeconfig)
    config.user_agent = "kubelite-kubelet"
    if options.simulated:
        # Every simulated node renews its Lease every interval: size the client's limit for it.
        qps = max(options.qps, options.simulated / options.lease_renew_interval * 2 + 50)
        config = config.with_rate_limits(qps, int(qps))
        from kubelite.kubelet.simulated.kubelet import SimulatedKubelet

        async with Client(config) as client:
            await SimulatedKubelet(client, options).run(ready)
        return
    config = config.with_rate_limits(options.qps, options.burst)
    from kubelite.cri.client import RemoteRuntime
    from kubelite.kubelet.kubelet import Kubelet

    async with (
        Client(config) as client,
        RemoteRuntime(options.container_runtime_endpoint, timeout=options.runtime_request_timeout) as runtime,
    ):
        await Kubelet(client, runtime, options).run(ready)
