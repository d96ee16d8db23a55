"""Pod networking through CNI plugins, as the CNI specification defines the calls.

The network is the first `*.conflist` (or `*.conf`) in the configuration directory, in
name order. ADD runs each plugin of the list in order on the sandbox's network
namespace, passing the previous plugin's result as `prevResult`; the final result (the
pod's IPs) is saved with the sandbox, because DEL must hand the same configuration to
the plugins in reverse order, and DEL is what releases the IP (host-local). Plugins that
declare the `portMappings` capability get the pod's host ports in `runtimeConfig`.

The pod CIDR: the kubelet passes the node's range (UpdateRuntimeConfig) and the network
follows it: every `host-local` IPAM section of the configuration is rewritten to allocate
from that range. A directory with no configuration at all gets a default bridge network
(bridge, host-local, portmap, loopback) on that range, as containerd does from its
configuration template; until then the network is not ready. Configurations without
host-local IPAM (an overlay that allocates its own IPs) are left as they are. The default
network keeps host-local's leases in `--cni-ipam-dir` when given (each extra node of
`up --nodes` has its own), else in the plugin's default place. A bridge
that is its pods' gateway gets the new range's gateway address (bridge.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kubelite.cri import api_pb2 as pb
from kubelite.runtime import bridge

IFNAME = "eth0"


class CNIError(Exception):
    pass


@dataclass(slots=True)
class NetworkConfig:
    name: str
    cni_version: str
    plugins: list[dict[str, Any]]
    source: Path


def load(conf_dir: Path) -> NetworkConfig:
    files = sorted(p for p in conf_dir.glob("*") if p.suffix in (".conflist", ".conf", ".json"))
    if not files:
        raise CNIError(f"no CNI network configuration in {conf_dir}")
    data = json.loads(files[0].read_text())
    plugins = data["plugins"] if "plugins" in data else [data]
    return NetworkConfig(
        name=data["name"], cni_version=data.get("cniVersion", "0.4.0"), plugins=plugins, source=files[0]
    )


DEFAULT_FILE = "10-kubelite.conflist"
DEFAULT_BRIDGE = "kubelite0"


def default_network(cidr: str, ipam_dir: Path | None = None) -> dict[str, Any]:
    """The bridge network written when the configuration directory has none; `ipam_dir`,
    where host-local keeps its leases (a node of its own per runtime on one machine)."""
    data_dir = {"dataDir": str(ipam_dir)} if ipam_dir is not None else {}
    return {
        "cniVersion": "0.4.0",
        "name": "kubelite",
        "plugins": [
            {
                "type": "bridge",
                "bridge": DEFAULT_BRIDGE,
                "isGateway": True,
                "ipMasq": True,
                "hairpinMode": True,
                "ipam": {
                    "type": "host-local",
                    "ranges": [[{"subnet": cidr}]],
                    "routes": [{"dst": "0.0.0.0/0"}],
                    **data_dir,
                },
            },
            {"type": "portmap", "capabilities": {"portMappings": True}},
            {"type": "loopback"},
        ],
    }


def with_pod_cidr(data: dict[str, Any], cidr: str) -> bool:
    """Point every host-local IPAM section of a network at `cidr`; False if none changed."""
    changed = False
    for plugin in data["plugins"] if "plugins" in data else [data]:
        ipam = plugin.get("ipam")
        if not isinstance(ipam, dict) or ipam.get("type") != "host-local":
            continue
        want = [[{"subnet": cidr}]]
        if ipam.get("ranges") == want and "subnet" not in ipam:
            continue
        for key in ("subnet", "rangeStart", "rangeEnd", "gateway"):  # the old, single-range form
            ipam.pop(key, None)
        ipam["ranges"] = want
        changed = True
    return changed


def _write_atomically(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n")
    os.replace(tmp, path)


def _port_mappings(ports: list[pb.PortMapping]) -> list[dict[str, Any]]:
    names = {pb.TCP: "tcp", pb.UDP: "udp", pb.SCTP: "sctp"}
    return [
        {
            "hostPort": p.host_port,
            "containerPort": p.container_port,
            "protocol": names[p.protocol],
            **({"hostIP": p.host_ip} if p.host_ip else {}),
        }
        for p in ports
        if p.host_port
    ]


class CNI:
    def __init__(self, conf_dir: Path, bin_dirs: tuple[Path, ...], ipam_dir: Path | None = None) -> None:
        self.conf_dir = conf_dir
        self.bin_dirs = bin_dirs
        self.ipam_dir = ipam_dir
        self.old_gateways_kept = False  # a bridge keeps an old range's gateway for its pods

    def ready(self) -> tuple[bool, str]:
        try:
            load(self.conf_dir)
        except (CNIError, OSError, ValueError, KeyError) as err:
            return False, str(err)
        return True, ""

    def set_pod_cidr(self, cidr: str, in_use: Iterable[str] = ()) -> None:
        """Make the network allocate pod IPs from `cidr` (see the module docstring);
        `in_use`: the IPs pods have now, whose old gateway must stay."""
        try:
            net = load(self.conf_dir)
        except CNIError:
            # The default network; its bridge may still carry another range's gateway from
            # an earlier run on this host, which the plugin would refuse.
            self.conf_dir.mkdir(parents=True, exist_ok=True)
            _write_atomically(self.conf_dir / DEFAULT_FILE, default_network(cidr, self.ipam_dir))
        else:
            data = json.loads(net.source.read_text())
            if with_pod_cidr(data, cidr):
                _write_atomically(net.source, data)
        self.reconcile_bridges(in_use)

    def reconcile_bridges(self, in_use: Iterable[str]) -> None:
        """The gateway bridges' addresses: the configured range's gateway, then old ones
        still used by a pod IP in `in_use` (bridge.py)."""
        try:
            net = load(self.conf_dir)
        except CNIError:
            return
        in_use = list(in_use)
        kept = [bridge.reconcile(b, in_use) for b in bridge.gateway_bridges(net.plugins)]
        self.old_gateways_kept = any(kept)

    def _plugin(self, kind: str) -> Path:
        for d in self.bin_dirs:
            if (d / kind).is_file():
                return d / kind
        raise CNIError(f"CNI plugin {kind!r} not found in {', '.join(map(str, self.bin_dirs))}")

    async def _exec(
        self,
        command: str,
        net: NetworkConfig,
        plugin: dict[str, Any],
        container_id: str,
        netns: Path,
        prev: dict[str, Any] | None,
        ports: list[dict[str, Any]],
    ) -> dict[str, Any]:
        conf = {**plugin, "cniVersion": net.cni_version, "name": net.name}
        if prev is not None:
            conf["prevResult"] = prev
        if ports and plugin.get("capabilities", {}).get("portMappings"):
            conf["runtimeConfig"] = {"portMappings": ports}
        env = {
            **os.environ,
            "CNI_COMMAND": command,
            "CNI_CONTAINERID": container_id,
            "CNI_NETNS": str(netns),
            "CNI_IFNAME": IFNAME,
            "CNI_PATH": os.pathsep.join(map(str, self.bin_dirs)),
        }
        # The configuration goes in through a file rather than a pipe we keep writing to:
        # uvloop may have closed a pipe to a quick child before the first write.
        with tempfile.TemporaryFile() as stdin:
            stdin.write(json.dumps(conf).encode())
            stdin.seek(0)
            proc = await asyncio.create_subprocess_exec(
                str(self._plugin(plugin["type"])),
                env=env,
                stdin=stdin,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            out, err = await proc.communicate()
        if proc.returncode != 0:
            try:
                msg = json.loads(out).get("msg", "")
            except ValueError:
                msg = (out or err).decode(errors="replace").strip()
            raise CNIError(f"CNI {command} {plugin['type']} (exit {proc.returncode}): {msg}")
        return json.loads(out) if out.strip() else (prev or {})

    async def add(self, container_id: str, netns: Path, ports: list[pb.PortMapping]) -> dict[str, Any]:
        """Attach the namespace to the network; return the saved state for del_()."""
        net = load(self.conf_dir)
        mappings = _port_mappings(ports)
        prev: dict[str, Any] | None = None
        for plugin in net.plugins:
            prev = await self._exec("ADD", net, plugin, container_id, netns, prev, mappings)
        return {
            "network": {"name": net.name, "cniVersion": net.cni_version, "plugins": net.plugins},
            "result": prev or {},
            "ports": mappings,
        }

    async def delete(self, container_id: str, netns: Path, saved: dict[str, Any]) -> None:
        """Detach and release the IP; plugins treat a repeated DEL as success."""
        n = saved["network"]
        net = NetworkConfig(name=n["name"], cni_version=n["cniVersion"], plugins=n["plugins"], source=Path())
        errors = []
        for plugin in reversed(net.plugins):
            try:
                await self._exec(
                    "DEL", net, plugin, container_id, netns, saved.get("result"), saved.get("ports", [])
                )
            except CNIError as err:
                errors.append(str(err))
        if errors:
            raise CNIError("; ".join(errors))


def pod_ip(result: dict[str, Any]) -> tuple[str, list[str]]:
    """The primary pod IP and any others, from a CNI result (0.3.0+ `ips` list)."""
    ips = [entry["address"].split("/")[0] for entry in result.get("ips", [])]
    return (ips[0] if ips else ""), ips[1:]
