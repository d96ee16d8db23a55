"""A new pod CIDR from the kubelet: the bridge's gateway follows it, and pods still in the
old range keep theirs until the last of them stops."""

from __future__ import annotations

import ipaddress
import subprocess

from kubelite.cri import api_pb2 as pb
from kubelite.cri.testing import container_config, run_container, sandbox_config


def bridge_addresses(bridge: str) -> list[str]:
    out = subprocess.run(["ip", "-4", "-o", "addr", "show", "dev", bridge], capture_output=True, text=True)
    return [line.split()[3] for line in out.stdout.splitlines()]


async def run_pod(cri, image: str, name: str) -> tuple[str, str, str]:
    """(sandbox id, container id, pod IP) of a pod that sleeps."""
    cfg = sandbox_config(name)
    sid = await cri.run_pod_sandbox(cfg)
    cid = await run_container(cri, sid, cfg, container_config("main", image, "exec sleep 300"))
    return sid, cid, (await cri.pod_sandbox_status(sid)).status.network.ip


async def pings(cri, cid: str, address: str) -> bool:
    r = await cri.exec_sync(cid, ["ping", "-c1", "-W2", address], timeout=10)
    return r.exit_code == 0


async def test_after_a_pod_cidr_change_new_pods_reach_the_host_through_the_new_gateway(
    cri, image, runtime_process
):
    rt = runtime_process
    old = ipaddress.ip_network(rt.subnet)
    new = ipaddress.ip_network(f"{old.network_address + 64 * 256}/{old.prefixlen}")  # 10.x.(y+64).0/24
    old_gw, new_gw = f"{old[1]}/{old.prefixlen}", f"{new[1]}/{new.prefixlen}"

    old_sid, old_cid, old_ip = await run_pod(cri, image, "before")
    assert ipaddress.ip_address(old_ip) in old and bridge_addresses(rt.bridge) == [old_gw]

    await cri.update_runtime_config(pb.RuntimeConfig(network_config=pb.NetworkConfig(pod_cidr=str(new))))
    assert bridge_addresses(rt.bridge) == [new_gw, old_gw]  # the old pod still uses its gateway

    _, new_cid, new_ip = await run_pod(cri, image, "after")
    assert ipaddress.ip_address(new_ip) in new
    assert await pings(cri, new_cid, str(new[1]))  # the host, through the new gateway
    assert await pings(cri, old_cid, str(old[1]))  # and the old pod through its own

    await cri.stop_pod_sandbox(old_sid)
    assert bridge_addresses(rt.bridge) == [new_gw]  # the last old pod is gone: so is it
    assert await pings(cri, new_cid, str(new[1]))


async def test_a_pod_cidr_change_with_no_pod_left_in_the_old_range_moves_the_gateway(
    cri, image, runtime_process
):
    rt = runtime_process
    old = ipaddress.ip_network(rt.subnet)
    new = ipaddress.ip_network(f"{old.network_address + 64 * 256}/{old.prefixlen}")
    sid, _, _ = await run_pod(cri, image, "gone")
    await cri.stop_pod_sandbox(sid)
    await cri.remove_pod_sandbox(sid)
    await cri.update_runtime_config(pb.RuntimeConfig(network_config=pb.NetworkConfig(pod_cidr=str(new))))
    assert bridge_addresses(rt.bridge) == [f"{new[1]}/{new.prefixlen}"]
    _, cid, _ = await run_pod(cri, image, "moved")
    assert await pings(cri, cid, str(new[1]))


async def test_a_bridge_left_with_another_range_s_gateway_is_put_right_when_the_runtime_starts(
    cri, image, runtime_process
):
    # A runtime that ran with another pod CIDR (then was killed, or its node's CIDR changed
    # while it was down) left its gateway on the bridge; the plugin would refuse every ADD.
    rt = runtime_process
    rt.stop()
    subprocess.run(["ip", "link", "add", "name", rt.bridge, "type", "bridge"], check=True)
    subprocess.run(["ip", "addr", "add", "10.255.254.1/24", "dev", rt.bridge], check=True)
    rt.start()

    subnet = ipaddress.ip_network(rt.subnet)
    assert bridge_addresses(rt.bridge) == [f"{subnet[1]}/{subnet.prefixlen}"]
    _, cid, ip = await run_pod(cri, image, "after-stale")
    assert ipaddress.ip_address(ip) in subnet
    assert await pings(cri, cid, str(subnet[1]))
