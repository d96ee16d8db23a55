"""The runtime's subcommands, registered into `kubelite`'s parser by `kubelite/cli.py`.

`kubelite runtime --root DIR --socket PATH` runs the CRI server; `kubelite image import
FILE --root DIR` adds an image from an OCI layout or archive without a registry.
Imports of the heavy modules happen when a command runs, not when the parser is built.
"""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kubelite.util.process import run_until_signalled


def cmd_runtime(args: argparse.Namespace, run: Callable[[Any], int]) -> int:
    # The runtime forks plugins, runc and monitors all the time; gRPC's fork handlers, run
    # in those children between fork and exec, crashed some of them (SIGSEGV). Off before
    # grpc is imported.
    os.environ.setdefault("GRPC_ENABLE_FORK_SUPPORT", "0")
    from kubelite.image.registry import parse_mirror
    from kubelite.runtime.process import RuntimeOptions, RuntimeServer

    mirrors: dict[str, tuple[str, ...]] = {}
    for text in args.registry_mirror:
        try:
            registry, endpoint = parse_mirror(text)
        except ValueError as err:
            raise SystemExit(f"kubelite runtime: --registry-mirror: {err}") from None
        mirrors[registry] = (*mirrors.get(registry, ()), endpoint)

    options = RuntimeOptions(
        root=Path(args.root),
        socket=Path(args.socket),
        cni_conf_dir=Path(args.cni_conf_dir),
        cni_bin_dirs=tuple(Path(p) for p in args.cni_bin_dir),
        cni_ipam_dir=Path(args.cni_ipam_dir) if args.cni_ipam_dir else None,
        runc=args.runc,
        insecure_registries=frozenset(args.insecure_registry),
        registry_mirrors=mirrors,
        cgroup_parent=args.cgroup_parent,
        streaming_address=args.streaming_address,
    )

    return run(run_until_signalled(RuntimeServer(options).run()))


def cmd_image_import(args: argparse.Namespace, run: Callable[[Any], int]) -> int:
    from kubelite.image.importer import import_path
    from kubelite.image.store import ImageStore

    async def main() -> int:
        store = ImageStore(Path(args.root) / "images")
        for rec in await asyncio.to_thread(import_path, store, Path(args.file), args.tag):
            print(rec.id, " ".join(rec.repo_tags))
        return 0

    return run(main())


def add_subcommands(sub: Any, run: Callable[[Any], int]) -> None:
    rt = sub.add_parser("runtime", help="run the CRI container runtime (runc + CNI)")
    rt.add_argument(
        "--root", default="/var/lib/kubelite/runtime", help="state: images, sandboxes, containers"
    )
    rt.add_argument("--socket", default="/run/kubelite/runtime.sock", help="the CRI unix socket")
    rt.add_argument("--cni-conf-dir", default="/etc/cni/net.d")
    rt.add_argument("--cni-bin-dir", action="append", default=["/usr/lib/cni", "/opt/cni/bin"])
    rt.add_argument(
        "--cni-ipam-dir",
        default="",
        help="where the default network's host-local IPAM keeps its leases (default: /var/lib/cni/networks)",
    )
    rt.add_argument("--runc", default="runc")
    rt.add_argument(
        "--insecure-registry",
        action="append",
        default=[],
        help="registry host[:port] spoken to over plain HTTP (loopback ones always are)",
    )
    rt.add_argument(
        "--registry-mirror",
        action="append",
        default=[],
        metavar="REGISTRY=ENDPOINT",
        help="pull REGISTRY's images from ENDPOINT first (e.g. docker.io=http://10.0.0.5:5000); "
        "repeat for several, tried in order before the registry itself",
    )
    rt.add_argument("--cgroup-parent", default="/kubelite", help="cgroup for pods that name none")
    rt.add_argument(
        "--streaming-address",
        default="127.0.0.1:0",
        help="host:port of the exec/attach/port-forward server (port 0: any free port)",
    )
    rt.set_defaults(func=lambda a: cmd_runtime(a, run))

    img = sub.add_parser("image", help="manage the runtime's images offline")
    isub = img.add_subparsers(dest="image_command", required=True)
    imp = isub.add_parser("import", help="import an OCI layout directory or a docker/OCI archive")
    imp.add_argument("file")
    imp.add_argument("--root", default="/var/lib/kubelite/runtime")
    imp.add_argument("--tag", default="", help="name for an image the archive does not name")
    imp.set_defaults(func=lambda a: cmd_image_import(a, run))
