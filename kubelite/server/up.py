"""`kubelite up`: one command for a working cluster on this machine.

In the manner of k3s, `up` builds exactly the options each standalone component would be
given on its own command line and runs each as its own process (`kubelite apiserver`,
and the components that later issues add), so they use every core and one crashing does
not take the others down: a crashed component is restarted, and `up` says so.

    DIR/pki/          cluster CA, API server serving cert, admin client cert
    DIR/tokens.csv    static bearer tokens (admin)
    DIR/state.db      the SQLite store (unless --store etcd://...)
    DIR/kubeconfig    admin kubeconfig for kubectl and clients

Stopping (SIGINT/SIGTERM) stops every component; starting again resumes from DIR.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from kubelite.util.kubeconfig import write_kubeconfig
from kubelite.util.pki import ensure_cluster_pki

log = logging.getLogger("kubelite.up")


@dataclass(slots=True)
class UpOptions:
    data_dir: Path
    port: int = 6443
    store: str = ""                 # default: sqlite in data_dir
    bind_address: str = "127.0.0.1"
    advertise_address: str = "127.0.0.1"
    extra_args: dict[str, list[str]] = field(default_factory=dict)


@dataclass(slots=True)
class Component:
    name: str
    argv: list[str]
    process: asyncio.subprocess.Process | None = None
    restarts: int = 0


def _admin_token(path: Path) -> str:
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip() and not line.startswith("#"):
                return line.split(",", 1)[0]
    token = secrets.token_urlsafe(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(f'{token},kubelite-admin,kubelite-admin,"system:masters"\n')
    return token


def prepare(options: UpOptions) -> list[Component]:
    """Certificates, tokens, kubeconfig, and the command line of each component."""
    d = options.data_dir.resolve()
    d.mkdir(parents=True, exist_ok=True)
    pki = ensure_cluster_pki(d / "pki", hosts=(options.advertise_address, options.bind_address))
    tokens = d / "tokens.csv"
    _admin_token(tokens)
    host = options.advertise_address if options.bind_address in ("0.0.0.0", "::") else options.bind_address
    write_kubeconfig(d / "kubeconfig", server=f"https://{host}:{options.port}", ca_cert=pki.ca.cert,
                     client_cert=pki.admin.cert, client_key=pki.admin.key)
    store = options.store or f"sqlite://{d / 'state.db'}"
    apiserver = [sys.executable, "-m", "kubelite", "apiserver", "--store", store,
                 "--cert-dir", str(d / "pki"), "--port", str(options.port),
                 "--bind-address", options.bind_address,
                 "--advertise-address", options.advertise_address,
                 "--token-auth-file", str(tokens), *options.extra_args.get("apiserver", [])]
    return [Component("apiserver", apiserver)]


async def _supervise(c: Component, stopping: asyncio.Event) -> None:
    backoff = 1.0
    while not stopping.is_set():
        started = time.monotonic()
        c.process = await asyncio.create_subprocess_exec(*c.argv, start_new_session=True)
        code = await c.process.wait()
        if stopping.is_set():
            return
        c.restarts += 1
        log.error("%s exited with code %s; restarting it (restart %d)", c.name, code, c.restarts)
        print(f"kubelite up: {c.name} exited with code {code}; restarting it", file=sys.stderr,
              flush=True)
        backoff = 1.0 if time.monotonic() - started > 30 else min(backoff * 2, 30.0)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), backoff)


async def _stop(c: Component, grace: float = 10.0) -> None:
    p = c.process
    if p is None or p.returncode is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        p.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(p.wait(), grace)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            p.kill()
        await p.wait()


async def run_up(options: UpOptions) -> int:
    components = prepare(options)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    kubeconfig = options.data_dir.resolve() / "kubeconfig"
    print(f"kubelite up: starting; kubeconfig at {kubeconfig}", file=sys.stderr, flush=True)
    print(f"  export KUBECONFIG={kubeconfig}", file=sys.stderr, flush=True)
    tasks = [asyncio.create_task(_supervise(c, stopping), name=c.name) for c in components]
    await stopping.wait()
    print("kubelite up: stopping", file=sys.stderr, flush=True)
    await asyncio.gather(*(_stop(c) for c in reversed(components)))
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return 0
