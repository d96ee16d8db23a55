"""Security settings, host networking, host ports and the runtime's maintenance calls
(resource updates, log reopening, pod stats) against real runc, CNI and cgroups."""

from __future__ import annotations

import asyncio
import socket

import pytest

from kubelite.cri import api_pb2 as pb
from kubelite.cri.errors import CRIError
from kubelite.cri.portforward import PortForwardStream
from kubelite.cri.testing import cgroup_of, container_config, run_container, sandbox_config
from kubelite.util.net import free_port
from kubelite.util.testing import wait_for_async

CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_NET_ADMIN, CAP_NET_RAW = 0, 1, 12, 13


async def _sh(cri, cid: str, script: str) -> tuple[int, bytes]:
    r = await cri.exec_sync(cid, ["sh", "-c", script], timeout=10)
    return r.exit_code, r.stdout + r.stderr


async def _fetch(host: str, port: int, path: str = "/") -> bytes:
    for _ in range(100):
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.write(f"GET {path} HTTP/1.0\r\nHost: x\r\n\r\n".encode())
        body = (await asyncio.wait_for(reader.read(), 10)).split(b"\r\n\r\n", 1)[-1]
        writer.close()
        return body
    raise AssertionError(f"nothing answered on {host}:{port}")


async def test_read_only_root_and_capabilities_added_and_dropped(cri, image):
    cfg = sandbox_config("secure")
    sid = await cri.run_pod_sandbox(cfg)
    locked = container_config("locked", image, "exec sleep 300")
    sc = locked.linux.security_context
    sc.readonly_rootfs = True
    sc.capabilities.add_capabilities.append("NET_ADMIN")
    sc.capabilities.drop_capabilities.extend(["CHOWN", "NET_RAW"])  # CRI names: no CAP_ prefix
    locked_id = await run_container(cri, sid, cfg, locked)
    plain_id = await run_container(cri, sid, cfg, container_config("plain", image, "exec sleep 300"))

    code, out = await _sh(cri, locked_id, "touch /new-file")
    assert code != 0 and b"Read-only file system" in out
    assert (await _sh(cri, locked_id, "touch /dev/shm/ok"))[0] == 0  # tmpfs mounts stay writable
    assert (await _sh(cri, plain_id, "touch /new-file"))[0] == 0

    def caps(status: bytes) -> int:
        line = next(x for x in status.decode().splitlines() if x.startswith("CapEff:"))
        return int(line.split()[1], 16)

    locked_caps = caps((await _sh(cri, locked_id, "cat /proc/self/status"))[1])
    plain_caps = caps((await _sh(cri, plain_id, "cat /proc/self/status"))[1])
    assert locked_caps & (1 << CAP_NET_ADMIN) and not plain_caps & (1 << CAP_NET_ADMIN)
    assert not locked_caps & (1 << CAP_CHOWN | 1 << CAP_NET_RAW)
    assert plain_caps & (1 << CAP_CHOWN | 1 << CAP_NET_RAW | 1 << CAP_DAC_OVERRIDE)
    assert locked_caps & (1 << CAP_DAC_OVERRIDE)
    # and the kernel agrees
    assert (await _sh(cri, locked_id, "ip link set lo mtu 1400"))[0] == 0
    assert (await _sh(cri, plain_id, "ip link set lo mtu 1400"))[0] != 0
    assert (await _sh(cri, locked_id, "chown nobody /dev/shm/ok"))[0] != 0
    await cri.remove_pod_sandbox(sid)


@pytest.mark.kubelite_only("port-forward over WebSocket to containerd hangs (see test_streaming.py)")
async def test_host_network_pod_uses_the_node_network_and_hostname(cri, image):
    port = free_port()
    cfg = sandbox_config("hostnet", host_network=True)
    sid = await cri.run_pod_sandbox(cfg)
    assert (await cri.pod_sandbox_status(sid)).status.linux.namespaces.options.network == pb.NODE
    script = (
        f"mkdir -p /www && echo on-the-host > /www/index.html && exec httpd -f -p 127.0.0.1:{port} -h /www"
    )
    cid = await run_container(cri, sid, cfg, container_config("web", image, script))
    assert await _fetch("127.0.0.1", port, "/index.html") == b"on-the-host\n"
    code, out = await _sh(cri, cid, "hostname")
    assert (code, out.decode().strip()) == (0, socket.gethostname())

    url = (await cri.port_forward(pb.PortForwardRequest(pod_sandbox_id=sid))).url
    async with PortForwardStream(url, port) as stream:
        await stream.write(b"GET /index.html HTTP/1.0\r\n\r\n")
        got = b""
        while chunk := await asyncio.wait_for(stream.read(), 10):
            got += chunk
    assert got.endswith(b"on-the-host\n")
    await cri.remove_pod_sandbox(sid)


@pytest.mark.cni_plugins({"type": "portmap", "capabilities": {"portMappings": True}})
async def test_host_port_mapping_is_reachable_on_the_hosts_loopback(cri, image):
    host_port = free_port()
    cfg = sandbox_config("hostport")
    cfg.port_mappings.append(pb.PortMapping(protocol=pb.TCP, container_port=8080, host_port=host_port))
    sid = await cri.run_pod_sandbox(cfg)
    script = "mkdir -p /www && echo through-portmap > /www/index.html && exec httpd -f -p 8080 -h /www"
    await run_container(cri, sid, cfg, container_config("web", image, script))
    assert await _fetch("127.0.0.1", host_port, "/index.html") == b"through-portmap\n"
    await cri.remove_pod_sandbox(sid)  # CNI DEL takes the mapping away again
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", host_port), timeout=2).close()


async def test_resources_update_log_reopen_and_pod_stats(cri, cri_runtime, image, tmp_path):
    # A pod cgroup, as the kubelet names one (containerd has no pod stats without it).
    cfg = sandbox_config(
        "upkeep", str(tmp_path / "logs"), cgroup_parent=f"{cri_runtime.cgroup_parent}/pod-upkeep"
    )
    sid = await cri.run_pod_sandbox(cfg)
    ticker = "while true; do echo tick; sleep 0.1; done"
    cid = await run_container(cri, sid, cfg, container_config("ticker", image, ticker, memory=256 << 20))

    await cri.update_container_resources(
        cid, pb.LinuxContainerResources(memory_limit_in_bytes=64 << 20, cpu_quota=50000, cpu_period=100000)
    )
    memory, cpu = await cgroup_of(cri, cid, "memory"), await cgroup_of(cri, cid, "cpu")
    assert (memory / "memory.limit_in_bytes").read_text().strip() == str(64 << 20)
    assert (cpu / "cpu.cfs_quota_us").read_text().strip() == "50000"
    assert (await cri.container_status(cid)).status.resources.linux.memory_limit_in_bytes == 64 << 20

    log = tmp_path / "logs" / "ticker.log"

    def ticked() -> bool:
        return "tick" in (log.read_text() if log.exists() else "")

    await wait_for_async(ticked, "the container's log to show a tick")
    log.rename(log.with_suffix(".log.1"))  # what the kubelet's log rotation does
    await cri.reopen_container_log(cid)
    await wait_for_async(ticked, "the reopened log to show a tick")

    stats = await cri.pod_sandbox_stats(sid)
    assert stats.attributes.id == sid and stats.attributes.metadata.name == "upkeep"
    assert stats.linux.memory.working_set_bytes.value > 0
    assert [c.attributes.id for c in stats.linux.containers] == [cid]

    await cri.stop_container(cid, 0)
    with pytest.raises(CRIError):  # the CRI names no code: kubelite says FailedPrecondition
        await cri.reopen_container_log(cid)
    await cri.remove_pod_sandbox(sid)
