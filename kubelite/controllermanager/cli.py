"""`kubelite controller-manager`, registered into `kubelite`'s parser by `kubelite/cli.py`.

kubelite controller-manager --kubeconfig FILE [--controllers '*,-foo'] [--leader-elect=false]
                            [--secure-port 10257] [--concurrent-deployment-syncs 5] ...
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from kubelite.util.process import run_until_signalled


def cmd_controller_manager(args: argparse.Namespace, run: Callable[[Any], int]) -> int:
    from kubelite.client.config import ConfigError, load_config
    from kubelite.controllermanager.controllers import UnknownController, validate
    from kubelite.controllermanager.options import options_from
    from kubelite.controllermanager.process import run_controller_manager

    options = options_from(args)
    try:
        validate(options.controllers)
        load_config(options.component.kubeconfig)  # a missing or broken kubeconfig is said now, plainly
    except (UnknownController, ConfigError) as err:
        raise SystemExit(f"kubelite controller-manager: {err}") from None
    return run(run_until_signalled(run_controller_manager(options)))


def add_subcommands(sub: Any, run: Callable[[Any], int]) -> None:
    from kubelite.controllermanager.options import add_controller_manager_flags

    p = sub.add_parser("controller-manager", help="run the controller manager (kube-controller-manager)")
    add_controller_manager_flags(p)
    p.set_defaults(func=lambda a: cmd_controller_manager(a, run))
