"""One leader-election candidate as its own process, for the SIGKILL takeover test.

    python lease_candidate.py KUBECONFIG IDENTITY LOGFILE LEASE DURATION RENEW RETRY

Appends `<wall time> <identity> started|stopped` to LOGFILE (one write per line, O_APPEND,
so lines from several processes never interleave) and leads until killed or terminated.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time

from kubelite.client import Client, load_kubeconfig
from kubelite.client.leaderelection import LeaderElectionConfig, LeaderElector, LeaseResourceLock


def record(path: str, identity: str, what: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, f"{time.time():.6f} {identity} {what}\n".encode())
    finally:
        os.close(fd)


async def main(
    kubeconfig: str, identity: str, logfile: str, lease: str, duration: str, renew: str, retry: str
) -> None:
    config = LeaderElectionConfig(
        identity=identity,
        lease_duration=float(duration),
        renew_deadline=float(renew),
        retry_period=float(retry),
    )
    async with Client(load_kubeconfig(kubeconfig)) as client:

        async def lead() -> None:
            record(logfile, identity, "started")
            await asyncio.Event().wait()

        elector = LeaderElector(
            config,
            LeaseResourceLock(client, lease, "default"),
            on_started_leading=lead,
            on_stopped_leading=lambda: record(logfile, identity, "stopped"),
        )
        task = asyncio.ensure_future(elector.run())
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
        try:
            await task
        except asyncio.CancelledError:
            pass


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:8]))
