"""The extra nodes' network as data: addresses from the node network, names that keep
clusters apart and fit the kernel's limits, the ports forwarded into every node, and what
`up --nodes` hands each node."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kubelite.server import nodes
from kubelite.server.nodenet import NodeNetwork, cluster_id
from kubelite.server.up import UpOptions, node_network, prepare


def network(**kw: object) -> NodeNetwork:
    fields: dict[str, object] = {
        "cluster": "abc123",
        "bridge": "kl-nodes0",
        "cidr": "172.31.0.0/24",
        "cluster_cidr": "10.244.0.0/16",
        "server": "https://127.0.0.1:6443",
    }
    return NodeNetwork(**{**fields, **kw})  # type: ignore[arg-type]


def test_the_host_has_the_first_address_and_node_n_the_next_ones():
    net = network()
    assert net.host_address == "172.31.0.1"
    assert [net.address(i) for i in (1, 2, 253)] == ["172.31.0.2", "172.31.0.3", "172.31.0.254"]
    with pytest.raises(ValueError, match="no address for node 255"):
        net.address(254)  # the broadcast address


def test_names_keep_clusters_apart_and_veth_names_fit_the_kernels_limit():
    a, b = network(), network(cluster="def456")
    assert a.netns("vm-2") == "kubelite-abc123-vm-2"
    assert a.netns("vm-2") != b.netns("vm-2") and a.veth("vm-2") != b.veth("vm-2")
    assert len(a.veth("a-very-long-node-name-indeed")) <= 15
    assert cluster_id(Path("/x/data")) != cluster_id(Path("/y/data"))


def test_the_network_round_trips_through_its_file(tmp_path: Path):
    net = network(host_ports=(5000, 5001))
    net.save(tmp_path / "nodes" / "network.json")
    assert NodeNetwork.load(tmp_path / "nodes" / "network.json") == net


def test_a_loopback_api_server_and_the_given_ports_are_forwarded_into_every_node():
    assert nodes.forwarded_ports(network(host_ports=(5000, 6443))) == [6443, 5000]
    assert nodes.forwarded_ports(network(server="https://10.0.0.5:6443", host_ports=(5000,))) == [5000]


def test_up_gives_the_extra_nodes_loopback_registry_mirrors_and_its_cluster_cidr(tmp_path: Path):
    options = UpOptions(
        data_dir=tmp_path,
        nodes=3,
        cluster_cidr="10.50.0.0/16",
        registry_mirrors=("docker.io=http://127.0.0.1:5000", "quay.io=https://mirror.example:443"),
        node_host_ports=(7000,),
    )
    net = node_network(options, "https://127.0.0.1:6443")
    assert net.cluster_cidr == "10.50.0.0/16"
    assert net.host_ports == (7000, 5000)


def test_without_extra_nodes_up_makes_no_node_network(tmp_path: Path):
    components = prepare(UpOptions(data_dir=tmp_path, local_node=False))
    assert not any(c.name == "hostgw" or c.name.startswith("node ") for c in components)
    assert not nodes.network_file(tmp_path).exists()


def test_a_joining_node_takes_the_first_index_no_running_node_holds(tmp_path: Path):
    for name, pid, index in (("vm-2", os.getpid(), 1), ("gone", 999_999_999, 2), ("joined", os.getpid(), 3)):
        (tmp_path / "nodes" / name).mkdir(parents=True)
        (tmp_path / "nodes" / name / "pid").write_text(f"{pid} {index}\n")
    assert nodes.free_index(tmp_path) == 2  # index 2's process is gone


def test_an_extra_nodes_components_are_its_own_and_enter_its_namespace(tmp_path: Path):
    net = network()
    runtime, kubelet, hostgw, proxy = nodes.node_components(tmp_path, net, "vm-2", "172.31.0.2", ())
    nd = tmp_path / "nodes" / "vm-2"
    assert [c.name for c in (runtime, kubelet, hostgw, proxy)] == ["runtime", "kubelet", "hostgw", "proxy"]
    assert all(c.preexec is not None for c in (runtime, kubelet, hostgw, proxy))
    assert {"--socket", str(nd / "runtime.sock"), f"--cni-ipam-dir={nd / 'ipam'}"} <= set(runtime.argv)
    assert "--cgroup-parent=/kubelite-abc123-vm-2" in runtime.argv
    flags = dict(zip(kubelet.argv, kubelet.argv[1:], strict=False))
    assert flags["--node-ip"] == flags["--address"] == "172.31.0.2"
    assert flags["--node-name"] == "vm-2" and flags["--root-dir"] == str(nd / "kubelet")
    assert "--cgroup-root=/kubelite-abc123-vm-2" in kubelet.argv
    assert hostgw.argv[-4:] == ["--node-name", "vm-2", "--cluster-cidr", "10.244.0.0/16"]
    proxy_flags = dict(zip(proxy.argv, proxy.argv[1:], strict=False))
    assert proxy_flags["--hostname-override"] == "vm-2" and proxy_flags["--cluster-cidr"] == "10.244.0.0/16"
    assert proxy_flags["--kubeconfig"] == str(nd / "proxy.kubeconfig")


def test_an_extra_node_runs_no_proxy_when_up_runs_none(tmp_path: Path):
    net = network()
    names = [
        c.name
        for c in nodes.node_components(tmp_path, net, "vm-2", "172.31.0.2", (), (), nodes.NodeProxy(False))
    ]
    assert names == ["runtime", "kubelet", "hostgw"]
    assert "--no-proxy" in nodes.join_argv(tmp_path, "vm-2", 1, (), [], nodes.NodeProxy(False))
