"""`kubelite proxy`, registered into `kubelite`'s parser by `kubelite/cli.py`.

kubelite proxy --kubeconfig FILE [--proxy-mode iptables|nftables|userspace|ipvs]
               [--cluster-cidr CIDR] [--hostname-override NAME] [--cleanup] ...
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from kubelite.util.process import run_until_signalled

IMPLEMENTED = ("iptables", "nftables", "userspace")


def cmd_proxy(args: argparse.Namespace, run: Callable[[Any], int]) -> int:
    from kubelite.client.config import ConfigError, load_config
    from kubelite.proxy.ipvs import ipvs_unavailable_message
    from kubelite.proxy.netcmd import Runner
    from kubelite.proxy.options import options_from
    from kubelite.proxy.process import cleanup_all, make_proxier

    try:
        options = options_from(args)
    except ValueError as err:
        raise SystemExit(f"kubelite proxy: {err}") from None
    runner = Runner(options.netns)
    if options.cleanup:
        cleanup_all(options, runner)
        return 0
    if options.mode == "ipvs":
        message = ipvs_unavailable_message()
        if message:
            raise SystemExit(message)
    if options.mode not in IMPLEMENTED:
        raise SystemExit(
            f"kubelite proxy: --proxy-mode {options.mode} is not built yet; "
            "use --proxy-mode iptables, nftables or userspace"
        )
    try:
        config = load_config(options.kubeconfig)  # a missing or broken kubeconfig is said now, plainly
    except ConfigError as err:
        raise SystemExit(f"kubelite proxy: {err}") from None
    return run(
        run_until_signalled(_main(options, config, make_proxier(options, options.mode, runner), runner))
    )


async def _main(options: Any, config: Any, proxier: Any, runner: Any) -> None:
    from kubelite.client.rest import Client
    from kubelite.proxy.process import ProxyServer

    config = config.with_rate_limits(options.kube_api_qps, options.kube_api_burst)
    config.user_agent = "kube-proxy/kubelite"
    client = Client(config)
    try:
        await ProxyServer(options, client, proxier, runner=runner).run()
    finally:
        await client.close()


def add_subcommands(sub: Any, run: Callable[[Any], int]) -> None:
    from kubelite.proxy.options import add_flags

    p = sub.add_parser("proxy", help="run the network proxy of this node (kube-proxy)")
    add_flags(p)
    p.set_defaults(func=lambda a: cmd_proxy(a, run))
