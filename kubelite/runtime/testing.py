"""CRI runtimes for tests and benchmarks: kubelite's own runtime and the real containerd, each a
child process of the caller's with everything it makes kept apart and torn down afterwards.

    RuntimeProcess     `kubelite runtime`            ContainerdProcess    Debian's containerd
      ROOT/state         its state, runc root          ROOT/lib, ROOT/run   its root and state
      ROOT/cri.sock      the CRI endpoint              ROOT/containerd.sock the CRI endpoint
      ROOT/net.d         bridge kl-br<pid>-<i>,        ROOT/net.d           written by containerd
                         10.(200+pid%50).<i>.0/24                           from a template when
                                                                            told its pod CIDR
                                                                            (bridge kl-ctd<pid>-<i>)
      cgroup             /kubelite-test-<pid>-<i>      cgroup               /kubelite-ctd-<pid>-<i>

Index `<i>` (`next_index()`) and the pid keep the bridges, subnets and cgroups of concurrent
runtimes, and of concurrent test processes, apart. `cleanup()` stops the process, kills what
it left running (containers outlive their runtime by design; containerd's shims too),
releases its mounts (`unmount_under`), and removes its bridge and cgroups, even after a
failed test. The containerd here is configured as a node administrator would for a private
registry: its sandbox ("pause") image comes from the tests' registry (`push_pause_image`:
busybox running `sleep inf`, since there is no Internet), which it reaches over plain HTTP
through a mirror entry.

Both expose `name`, `endpoint`, `pod_cidr` and `cgroup_parent`: what a kubelet on them needs
(`CRIRuntime`).
"""

from __future__ import annotations

import ipaddress
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubelite.cri import api_pb2 as pb
from kubelite.cri.client import RemoteRuntime
from kubelite.image.testing import missing_tools as missing_image_tools
from kubelite.image.testing import push
from kubelite.kubelet.cgroups import remove_cgroup
from kubelite.util.mounts import unmount_under
from kubelite.util.process import exit_with_parent, stop_process
from kubelite.util.testing import wait_for_async, wait_for_socket

# What kubelite's runtime runs -> the Debian package that has it.
TOOLS = {
    "runc": "runc",
    "unshare": "util-linux",
    "/usr/lib/cni/bridge": "containernetworking-plugins",
    "/usr/lib/cni/host-local": "containernetworking-plugins",
}
CONTAINERD, SHIM = "containerd", "containerd-shim-runc-v2"
# Plugins this machine cannot or need not run; containerd logs an error for each otherwise.
_DISABLED = [
    "io.containerd.snapshotter.v1.btrfs",
    "io.containerd.snapshotter.v1.zfs",
    "io.containerd.snapshotter.v1.devmapper",
    "io.containerd.snapshotter.v1.aufs",
    "io.containerd.internal.v1.tracing",
    "io.containerd.tracing.processor.v1.otlp",
]
_indexes = itertools.count(1)


@dataclass(frozen=True, slots=True)
class CRIRuntime:
    """A CRI runtime under test: its CRI name (`containerID`s start with `<name>://`), its
    endpoint, and a pod CIDR and cgroup of its own, for the kubelet on it."""

    name: str
    endpoint: str
    pod_cidr: str
    cgroup_parent: str


def missing_tools() -> list[str]:
    """The Debian packages kubelite's runtime and the image harness need and are missing."""
    missing = {pkg for tool, pkg in TOOLS.items() if not _installed(tool)}
    return sorted(missing | set(missing_image_tools()))


def containerd_missing() -> list[str]:
    """["containerd"] when containerd or its runc shim is not installed."""
    return [] if shutil.which(CONTAINERD) and shutil.which(SHIM) else ["containerd"]


def _installed(tool: str) -> bool:
    return os.path.exists(tool) if tool.startswith("/") else shutil.which(tool) is not None


def next_index() -> int:
    """An index for the next runtime of this process, distinct from other test processes'."""
    return next(_indexes) + (os.getpid() % 7) * 20


class RuntimeProcess:
    """A `kubelite runtime` child process with its own root, socket, CNI network and cgroup;
    `extra_plugins` are appended to its CNI plugin list."""

    name = "kubelite"

    def __init__(
        self,
        root: Path,
        index: int,
        extra_plugins: tuple[dict[str, Any], ...] = (),
        default_route: bool = False,  # pods route everything via the bridge (beyond the node)
    ) -> None:
        self.root = root
        self.index = index
        self.socket = root / "cri.sock"
        self.net_d = root / "net.d"
        self.log = root / "runtime.log"
        self.bridge = f"kl-br{os.getpid() % 1000}-{index}"[:15]
        self.subnet = f"10.{200 + (os.getpid() % 50)}.{index % 250}.0/24"
        self.cgroup_parent = f"/kubelite-test-{os.getpid()}-{index}"
        self.net_d.mkdir(parents=True)
        bridge = {
            "type": "bridge",
            "bridge": self.bridge,
            "isGateway": True,
            "ipMasq": False,
            "ipam": {
                "type": "host-local",
                "ranges": [[{"subnet": self.subnet}]],
                "dataDir": str(root / "ipam"),
                **({"routes": [{"dst": "0.0.0.0/0"}]} if default_route else {}),
            },
        }
        plugins = [bridge, {"type": "loopback"}, *extra_plugins]
        conflist = {"cniVersion": "0.4.0", "name": f"kubelite-test-{index}", "plugins": plugins}
        (self.net_d / "10-kubelite.conflist").write_text(json.dumps(conflist))
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def endpoint(self) -> str:
        return f"unix://{self.socket}"

    @property
    def pod_cidr(self) -> str:
        """The upper half of its CNI subnet: not the range its configuration starts with, so
        pod IPs in it show the runtime followed the CIDR the kubelet gave it."""
        return str(list(ipaddress.ip_network(self.subnet).subnets())[1])

    def start(self) -> RuntimeProcess:
        argv = [sys.executable, "-m", "kubelite", "runtime", "--root", str(self.root / "state")]
        argv += ["--socket", str(self.socket), "--cni-conf-dir", str(self.net_d)]
        argv += ["--cgroup-parent", self.cgroup_parent]
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, preexec_fn=exit_with_parent()
            )
        wait_for_socket(self.proc, self.socket, "the runtime", log=self.log, timeout=20)
        return self

    def stop(self) -> None:
        stop_process(self.proc, 10)
        self.proc = None

    def cleanup(self) -> None:
        """Kill every container, release namespaces and mounts, delete the bridge and cgroups."""
        self.stop()
        runc_root = self.root / "state" / "runc"
        for cid in os.listdir(runc_root) if runc_root.is_dir() else ():
            subprocess.run(["runc", "--root", str(runc_root), "delete", "--force", cid], capture_output=True)
        unmount_under(self.root)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)
        remove_cgroup(self.cgroup_parent)


def push_pause_image(busybox_layout: Path, work: Path, registry: str) -> str:
    """Push `pause:test` (busybox running `sleep inf`: containerd stops sandboxes with SIGKILL,
    so a pause process that ignores SIGTERM is fine) to the registry; returns its reference."""
    layout = work / "pause-layout"
    shutil.copytree(busybox_layout, layout)
    config = ("--config.entrypoint", "/bin/sleep", "--config.cmd", "inf")
    subprocess.run(
        ["umoci", "config", "--image", f"{layout}:latest", *config], check=True, capture_output=True
    )
    ref = f"{registry}/pause:test"
    push(layout, ref)
    return ref


def _cni_template(bridge: str, ipam_dir: Path) -> str:
    """containerd's Go template for the CNI config, filled in with the pod CIDR ranges."""
    ranges = '[{{range $i, $r := .PodCIDRRanges}}{{if $i}}, {{end}}[{"subnet": "{{$r}}"}]{{end}}]'
    return (
        '{"cniVersion": "0.4.0", "name": "containerd-test", "plugins": ['
        f'{{"type": "bridge", "bridge": "{bridge}", "isGateway": true, "ipMasq": false,'
        f' "ipam": {{"type": "host-local", "ranges": {ranges}, "dataDir": "{ipam_dir}"}}}},'
        ' {"type": "portmap", "capabilities": {"portMappings": true}}]}\n'
    )


class ContainerdProcess:
    """A containerd child process whose CRI plugin pulls from the tests' local registry."""

    name = "containerd"

    def __init__(self, root: Path, *, index: int, registry: str, sandbox_image: str) -> None:
        self.root = root
        self.index = index
        self.pod_cidr = f"10.{150 + os.getpid() % 50}.{index % 250}.0/24"
        self.socket = root / "containerd.sock"
        self.bridge = f"kl-ctd{os.getpid() % 1000}-{index}"[:15]
        self.net_d = root / "net.d"
        self.log = root / "containerd.log"
        self.cgroup_parent = f"/kubelite-ctd-{os.getpid()}-{index}"
        self.net_d.mkdir(parents=True)
        (root / "cni-template.json").write_text(_cni_template(self.bridge, root / "ipam"))
        (root / "config.toml").write_text(self._config(registry, sandbox_image))
        self.proc: subprocess.Popen[bytes] | None = None

    def _config(self, registry: str, sandbox_image: str) -> str:
        cri = '[plugins."io.containerd.grpc.v1.cri"]'
        return "\n".join(
            [
                "version = 2",
                f'root = "{self.root / "lib"}"',
                f'state = "{self.root / "run"}"',
                f"disabled_plugins = {json.dumps(_DISABLED)}",
                "[grpc]",
                f'  address = "{self.socket}"',
                "[ttrpc]",
                f'  address = "{self.socket}.ttrpc"',
                "[debug]",
                '  level = "info"',
                cri,
                f'  sandbox_image = "{sandbox_image}"',
                '  stream_server_address = "127.0.0.1"',
                '  stream_server_port = "0"',
                "  disable_apparmor = true",
                # These machines are themselves containers that may not lower oom_score_adj (the
                # sandbox asks for -998); containerd's own option for that case.
                "  restrict_oom_score_adj = true",
                "  enable_selinux = false",
                f"{cri[:-1]}.cni]",
                '  bin_dir = "/usr/lib/cni"',
                f'  conf_dir = "{self.net_d}"',
                f'  conf_template = "{self.root / "cni-template.json"}"',
                f'{cri[:-1]}.registry.mirrors."{registry}"]',
                f'  endpoint = ["http://{registry}"]',
                "",
            ]
        )

    @property
    def endpoint(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> ContainerdProcess:
        with open(self.log, "ab") as log:
            argv = [CONTAINERD, "--config", str(self.root / "config.toml")]
            self.proc = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, preexec_fn=exit_with_parent()
            )
        wait_for_socket(self.proc, self.socket, "containerd", log=self.log, timeout=30)
        return self

    def stop(self) -> None:
        stop_process(self.proc, 15)
        self.proc = None

    def cleanup(self) -> None:
        """Kill every container and shim it made, release its mounts, bridge and cgroups."""
        self.stop()
        # The shims (and through them the containers) outlive containerd by design.
        for pid in _shims_of(str(self.socket).encode()):
            _kill_tree(pid)
        tasks = self.root / "run" / "io.containerd.runtime.v2.task"
        for ns_dir in tasks.iterdir() if tasks.is_dir() else ():
            for cid in ns_dir.iterdir():  # the runc shim keeps runc's state in /run/containerd/runc
                runc_root = f"/run/containerd/runc/{ns_dir.name}"
                subprocess.run(
                    ["runc", "--root", runc_root, "delete", "--force", cid.name], capture_output=True
                )
        unmount_under(self.root)
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)
        remove_cgroup(self.cgroup_parent)


def _shims_of(socket: bytes) -> list[int]:
    """The runc shims started by the containerd listening on `socket`."""
    found = []
    for pid in (p for p in os.listdir("/proc") if p.isdigit()):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            continue
        program = cmdline.split(b"\0")[0]
        if (program == SHIM.encode() or program.endswith(b"/" + SHIM.encode())) and socket in cmdline:
            found.append(int(pid))
    return found


def _kill_tree(pid: int) -> None:
    """SIGKILL a process and its descendants (a shim and the containers it parents)."""
    children: dict[int, list[int]] = {}
    for entry in (e for e in os.listdir("/proc") if e.isdigit()):
        try:
            ppid = int(Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    todo, seen = [pid], []
    while todo:
        p = todo.pop()
        seen.append(p)
        todo.extend(children.get(p, []))
    for p in seen:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass


async def set_pod_cidr(endpoint: str, pod_cidr: str) -> None:
    """Tell the runtime its pod CIDR (as the kubelet does) and wait until its network is ready
    (containerd writes its CNI configuration only then)."""
    async with RemoteRuntime(endpoint) as rt:
        await rt.update_runtime_config(pb.RuntimeConfig(network_config=pb.NetworkConfig(pod_cidr=pod_cidr)))

        async def network_ready() -> bool:
            return any(c.type == "NetworkReady" and c.status for c in (await rt.status()).status.conditions)

        await wait_for_async(
            network_ready, f"the network of the runtime at {endpoint} to be ready", timeout=20
        )


async def remove_all_sandboxes(endpoint: str) -> None:
    """Stop and remove every pod sandbox through the CRI, so the runtime releases network
    namespaces, IPs and mounts itself before it is stopped. Best effort: what is left, the
    process clean-up kills."""
    rt = RemoteRuntime(endpoint, timeout=30)
    try:
        for sb in await rt.list_pod_sandbox():
            await rt.stop_pod_sandbox(sb.id)
            await rt.remove_pod_sandbox(sb.id)
    except Exception:
        pass
    finally:
        await rt.close()
