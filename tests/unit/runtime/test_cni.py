"""The CNI call sequence: which plugins run, in what order, with what configuration."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from kubelite.cri import api_pb2 as pb
from kubelite.runtime import bridge
from kubelite.runtime.cni import CNI, CNIError, pod_ip

# A plugin that records how it was called and answers like a real one: ADD returns the
# previous result with its own name added (the first one allocates an IP), DEL nothing.
FAKE_PLUGIN = """#!{python}
import json, os, sys
conf = json.load(sys.stdin)
with open({log!r}, "a") as log:
    env = {{k: v for k, v in os.environ.items() if k.startswith("CNI_")}}
    log.write(json.dumps({{"plugin": os.path.basename(sys.argv[0]), "env": env, "conf": conf}}) + "\\n")
if conf.get("fail"):
    print(json.dumps({{"code": 7, "msg": "no luck"}}))
    sys.exit(1)
if env["CNI_COMMAND"] == "ADD":
    first = {{"cniVersion": conf["cniVersion"], "ips": [{{"address": "10.9.0.7/24"}}]}}
    result = conf.get("prevResult") or first
    result.setdefault("seen", []).append(os.path.basename(sys.argv[0]))
    print(json.dumps(result))
"""


@pytest.fixture
def cni(tmp_path: Path) -> tuple[CNI, Path]:
    bin_dir, conf_dir, log = tmp_path / "bin", tmp_path / "net.d", tmp_path / "calls.log"
    bin_dir.mkdir()
    conf_dir.mkdir()
    for name in ("first", "second", "ports"):
        plugin = bin_dir / name
        plugin.write_text(FAKE_PLUGIN.format(python=sys.executable, log=str(log)))
        plugin.chmod(0o755)
    network = {
        "cniVersion": "1.0.0",
        "name": "podnet",
        "plugins": [
            {"type": "first", "bridge": "br0"},
            {"type": "second"},
            {"type": "ports", "capabilities": {"portMappings": True}},
        ],
    }
    (conf_dir / "20-later.conflist").write_text(json.dumps({**network, "name": "ignored"}))
    (conf_dir / "10-podnet.conflist").write_text(json.dumps(network))
    return CNI(conf_dir, (tmp_path / "missing", bin_dir)), log


def _calls(log: Path) -> list[dict]:
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    log.unlink()
    return calls


async def test_add_runs_the_first_network_plugins_in_order_chaining_results(cni):
    runtime_cni, log = cni
    ports = [
        pb.PortMapping(protocol=pb.TCP, container_port=80, host_port=8080),
        pb.PortMapping(protocol=pb.UDP, container_port=53),  # no host port: not mapped
    ]
    saved = await runtime_cni.add("sandbox-1", Path("/run/ns/net"), ports)
    calls = _calls(log)
    assert [c["plugin"] for c in calls] == ["first", "second", "ports"]
    for c in calls:
        assert c["env"]["CNI_COMMAND"] == "ADD"
        assert (c["env"]["CNI_CONTAINERID"], c["env"]["CNI_NETNS"]) == ("sandbox-1", "/run/ns/net")
        assert c["env"]["CNI_IFNAME"] == "eth0"
        assert (c["conf"]["name"], c["conf"]["cniVersion"]) == ("podnet", "1.0.0")
    assert "prevResult" not in calls[0]["conf"]
    assert calls[1]["conf"]["prevResult"]["seen"] == ["first"]
    assert "runtimeConfig" not in calls[1]["conf"]  # only plugins declaring the capability
    assert calls[2]["conf"]["runtimeConfig"] == {
        "portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}]
    }
    assert saved["result"]["seen"] == ["first", "second", "ports"]
    assert pod_ip(saved["result"]) == ("10.9.0.7", [])


async def test_del_runs_the_saved_plugins_in_reverse_with_the_saved_result(cni, tmp_path):
    runtime_cni, log = cni
    saved = await runtime_cni.add("sandbox-1", Path("/run/ns/net"), [])
    _calls(log)
    (tmp_path / "net.d" / "10-podnet.conflist").unlink()  # DEL must not need today's config
    await runtime_cni.delete("sandbox-1", Path("/run/ns/net"), saved)
    calls = _calls(log)
    assert [c["plugin"] for c in calls] == ["ports", "second", "first"]
    assert all(c["env"]["CNI_COMMAND"] == "DEL" for c in calls)
    assert all(c["conf"]["prevResult"] == saved["result"] for c in calls)


async def test_a_failing_plugin_stops_add_with_its_message_and_del_tries_every_plugin(cni, tmp_path):
    runtime_cni, log = cni
    conf = tmp_path / "net.d" / "10-podnet.conflist"
    network = json.loads(conf.read_text())
    network["plugins"][1]["fail"] = True
    conf.write_text(json.dumps(network))
    with pytest.raises(CNIError, match="no luck"):
        await runtime_cni.add("sandbox-2", Path("/run/ns/net"), [])
    assert [c["plugin"] for c in _calls(log)] == ["first", "second"]

    saved = {"network": network, "result": {}, "ports": []}
    with pytest.raises(CNIError, match="no luck"):
        await runtime_cni.delete("sandbox-2", Path("/run/ns/net"), saved)
    assert [c["plugin"] for c in _calls(log)] == ["ports", "second", "first"]


def test_network_readiness_needs_a_configuration(tmp_path):
    assert CNI(tmp_path, ()).ready()[0] is False
    (tmp_path / "10-x.conflist").write_text(json.dumps({"name": "x", "plugins": []}))
    assert CNI(tmp_path, ()).ready() == (True, "")


def test_the_pod_cidr_rewrites_host_local_ranges_and_keeps_everything_else(tmp_path):
    conf = tmp_path / "10-net.conflist"
    network = {
        "cniVersion": "0.4.0",
        "name": "net",
        "plugins": [
            {
                "type": "bridge",
                "bridge": "br9",
                "ipam": {
                    "type": "host-local",
                    "subnet": "10.1.0.0/24",
                    "rangeStart": "10.1.0.10",
                    "dataDir": "/x",
                },
            },
            {"type": "portmap", "capabilities": {"portMappings": True}},
        ],
    }
    conf.write_text(json.dumps(network))
    CNI(tmp_path, ()).set_pod_cidr("10.244.3.0/24")
    bridge, portmap = json.loads(conf.read_text())["plugins"]
    assert bridge["ipam"] == {
        "type": "host-local",
        "ranges": [[{"subnet": "10.244.3.0/24"}]],
        "dataDir": "/x",
    }
    assert bridge["bridge"] == "br9" and portmap == network["plugins"][1]
    before = conf.stat().st_mtime_ns
    CNI(tmp_path, ()).set_pod_cidr("10.244.3.0/24")  # the same range again: file untouched
    assert conf.stat().st_mtime_ns == before


def test_a_network_without_host_local_ipam_is_left_alone(tmp_path):
    conf = tmp_path / "10-overlay.conflist"
    text = json.dumps({"name": "o", "plugins": [{"type": "flannel", "delegate": {}}]})
    conf.write_text(text)
    CNI(tmp_path, ()).set_pod_cidr("10.244.0.0/24")
    assert conf.read_text() == text


def test_an_empty_directory_gets_a_default_bridge_network_on_the_pod_cidr(tmp_path, monkeypatch):
    reconciled = []
    monkeypatch.setattr(bridge, "reconcile", lambda b, in_use: reconciled.append((b, list(in_use))))
    net_d = tmp_path / "net.d"
    cni = CNI(net_d, ())
    assert cni.ready()[0] is False
    cni.set_pod_cidr("10.88.0.0/16", ["10.88.0.5"])
    # A bridge of that name left by an earlier run with another range is put right too.
    assert [(str(b.gateway), b.name, ips) for b, ips in reconciled] == [
        ("10.88.0.1/16", "kubelite0", ["10.88.0.5"])
    ]
    assert cni.ready() == (True, "")
    plugins = json.loads((net_d / "10-kubelite.conflist").read_text())["plugins"]
    assert [p["type"] for p in plugins] == ["bridge", "portmap", "loopback"]
    assert plugins[0]["ipam"]["ranges"] == [[{"subnet": "10.88.0.0/16"}]]


def test_the_default_network_keeps_its_leases_where_the_runtime_is_told(tmp_path, monkeypatch):
    monkeypatch.setattr(bridge, "reconcile", lambda b, in_use: False)
    cni = CNI(tmp_path / "net.d", (), tmp_path / "ipam")
    cni.set_pod_cidr("10.244.1.0/24")
    cni.set_pod_cidr("10.244.2.0/24")  # the range moves; the leases stay where they are
    ipam = json.loads((tmp_path / "net.d" / "10-kubelite.conflist").read_text())["plugins"][0]["ipam"]
    assert ipam["dataDir"] == str(tmp_path / "ipam")
    assert ipam["ranges"] == [[{"subnet": "10.244.2.0/24"}]]
