"""What `kubelite up` gives cluster DNS and the kubelets: the tenth service address, the domain."""

from __future__ import annotations

from pathlib import Path

from kubelite.server.controlplane import cluster_dns_ip, service_range
from kubelite.server.localnode import resolv_conf
from kubelite.server.up import UpOptions, prepare


def _argv(components: list, name: str) -> list[str]:  # type: ignore[type-arg]
    (c,) = [c for c in components if c.name == name]
    return list(c.argv)


def _flag(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def test_the_cluster_dns_address_is_the_tenth_of_the_service_range() -> None:
    assert cluster_dns_ip("10.96.0.0/12") == "10.96.0.10"
    assert cluster_dns_ip("172.20.0.0/16") == "172.20.0.10"
    assert service_range([]) == "10.96.0.0/12"
    assert service_range(["--service-cluster-ip-range=172.20.0.0/16"]) == "172.20.0.0/16"
    assert service_range(["--service-cluster-ip-range", "10.0.0.0/24,fd00::/108"]) == "10.0.0.0/24"


def test_up_runs_dns_for_kube_dns_and_tells_the_simulated_kubelets(tmp_path: Path) -> None:
    components = prepare(UpOptions(data_dir=tmp_path, local_node=False, simulated_nodes=2))
    dns = _argv(components, "dns")
    assert dns[3] == "dns"
    assert (_flag(dns, "--service-ip"), _flag(dns, "--publish-service")) == (
        "10.96.0.10",
        "kube-system/kube-dns",
    )
    assert _flag(dns, "--cluster-domain") == "cluster.local"
    sim = _argv(components, "simulated-nodes")
    assert (_flag(sim, "--cluster-dns"), _flag(sim, "--cluster-domain")) == ("10.96.0.10", "cluster.local")


def test_up_follows_the_service_range_and_the_flags_and_no_dns_runs_none(tmp_path: Path) -> None:
    extra = {"apiserver": ["--service-cluster-ip-range=172.20.0.0/16"]}
    components = prepare(UpOptions(data_dir=tmp_path, local_node=False, extra_args=extra))
    assert _flag(_argv(components, "dns"), "--service-ip") == "172.20.0.10"
    opts = UpOptions(data_dir=tmp_path, local_node=False, cluster_dns="10.96.0.53", cluster_domain="k8s.test")
    dns = _argv(prepare(opts), "dns")
    assert (_flag(dns, "--service-ip"), _flag(dns, "--cluster-domain")) == ("10.96.0.53", "k8s.test")
    assert "dns" not in [c.name for c in prepare(UpOptions(data_dir=tmp_path, local_node=False, dns=False))]


def test_the_kubelet_gets_systemd_resolveds_upstreams_instead_of_its_loopback_stub(tmp_path: Path) -> None:
    etc, systemd = tmp_path / "resolv.conf", tmp_path / "systemd-resolv.conf"
    etc.write_text("nameserver 127.0.0.53\noptions edns0\n")
    assert resolv_conf(etc, systemd) == etc  # no systemd-resolved list to use instead
    systemd.write_text("nameserver 192.0.2.1\n")
    assert resolv_conf(etc, systemd) == systemd
    etc.write_text("nameserver 10.0.0.2\n")
    assert resolv_conf(etc, systemd) == etc
