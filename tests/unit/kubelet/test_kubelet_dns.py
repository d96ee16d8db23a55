"""The resolv.conf a pod gets, by dnsPolicy, and the kubelet's events when it must cut."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kubelite.kubelet.criconfig import sandbox_config
from kubelite.kubelet.dns import DNSConfigurer, parse_resolv_conf

HOST = (
    "nameserver 10.0.0.2\nnameserver 10.0.0.3\nsearch corp.example.com example.com.\noptions timeout:2 rotate"
)


def pod(policy: str = "ClusterFirst", ns: str = "apps", **spec: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": "web", "namespace": ns, "uid": "u1"},
        "spec": {"dnsPolicy": policy, "containers": [{"name": "c", "image": "busybox"}], **spec},
    }


@pytest.fixture
def events() -> list[tuple[str, str, str, str]]:
    return []


@pytest.fixture
def configurer(tmp_path: Path, events: list[tuple[str, str, str, str]]) -> DNSConfigurer:
    conf = tmp_path / "resolv.conf"
    conf.write_text(HOST)
    return DNSConfigurer(
        cluster_dns=("10.96.0.10",),
        cluster_domain="cluster.local",
        resolv_conf=str(conf),
        node_name="node-a",
        record=lambda obj, t, r, m: events.append((obj["kind"] if "kind" in obj else "Pod", t, r, m)),
    )


def test_cluster_first_uses_the_cluster_dns_the_cluster_search_path_and_ndots_5(configurer) -> None:  # type: ignore[no-untyped-def]
    dns = configurer.pod_dns(pod())
    assert dns.servers == ["10.96.0.10"]
    assert dns.searches == [
        "apps.svc.cluster.local",
        "svc.cluster.local",
        "cluster.local",
        "corp.example.com",
        "example.com",
    ]
    assert dns.options == ["ndots:5"]


def test_default_is_the_hosts_resolv_conf(configurer) -> None:  # type: ignore[no-untyped-def]
    dns = configurer.pod_dns(pod("Default"))
    assert (dns.servers, dns.searches) == (["10.0.0.2", "10.0.0.3"], ["corp.example.com", "example.com"])
    assert sorted(dns.options) == ["rotate", "timeout:2"]


def test_host_network_pods_with_cluster_first_fall_back_to_default(configurer) -> None:  # type: ignore[no-untyped-def]
    assert configurer.pod_dns(pod(hostNetwork=True)).servers == ["10.0.0.2", "10.0.0.3"]
    with_host_net = configurer.pod_dns(pod("ClusterFirstWithHostNet", hostNetwork=True))
    assert with_host_net.servers == ["10.96.0.10"]


def test_none_takes_only_the_pods_dns_config(configurer) -> None:  # type: ignore[no-untyped-def]
    spec = {
        "nameservers": ["1.2.3.4"],
        "searches": ["ns1.svc.cluster-domain.example"],
        "options": [{"name": "ndots", "value": "2"}, {"name": "edns0"}],
    }
    dns = configurer.pod_dns(pod("None", dnsConfig=spec))
    assert (dns.servers, dns.searches, dns.options) == (
        ["1.2.3.4"],
        ["ns1.svc.cluster-domain.example"],
        ["ndots:2", "edns0"],
    )


def test_dns_config_merges_into_cluster_first_with_the_pods_options_winning(configurer) -> None:  # type: ignore[no-untyped-def]
    spec = {"nameservers": ["10.96.0.10", "8.8.8.8"], "searches": ["my.dns.search.suffix"]}
    spec["options"] = [{"name": "ndots", "value": "1"}]
    dns = configurer.pod_dns(pod(dnsConfig=spec))
    assert dns.servers == ["10.96.0.10", "8.8.8.8"]
    assert dns.searches[-1] == "my.dns.search.suffix"
    assert dns.options == ["ndots:1"]


def test_more_than_three_nameservers_are_cut_with_an_event(configurer, events) -> None:  # type: ignore[no-untyped-def]
    dns = configurer.pod_dns(pod(dnsConfig={"nameservers": ["1.1.1.1", "2.2.2.2", "3.3.3.3"]}))
    assert dns.servers == ["10.96.0.10", "1.1.1.1", "2.2.2.2"]
    assert events == [
        (
            "Pod",
            "Warning",
            "DNSConfigForming",
            "Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver "
            "line is: 10.96.0.10 1.1.1.1 2.2.2.2",
        )
    ]


def test_search_paths_past_32_or_2048_characters_are_cut_with_an_event(configurer, events) -> None:  # type: ignore[no-untyped-def]
    many = [f"d{i}.example" for i in range(40)]
    dns = configurer.pod_dns(pod("None", dnsConfig={"nameservers": ["1.1.1.1"], "searches": many}))
    assert dns.searches == many[:32]
    long = ["x" * 240 + f"{i}.io" for i in range(10)]
    dns = configurer.pod_dns(pod("None", dnsConfig={"nameservers": ["1.1.1.1"], "searches": long}))
    assert len(" ".join(dns.searches)) <= 2048 and len(dns.searches) == 8
    assert [e[2] for e in events] == ["DNSConfigForming", "DNSConfigForming"]
    assert events[0][3].startswith("Search Line limits were exceeded")


def test_events_are_only_told_for_a_new_sandbox(configurer, events) -> None:  # type: ignore[no-untyped-def]
    configurer.pod_dns(pod(dnsConfig={"nameservers": ["1.1.1.1", "2.2.2.2", "3.3.3.3"]}), events=False)
    assert events == []


def test_cluster_first_without_cluster_dns_falls_back_to_default_with_warnings(tmp_path, events) -> None:  # type: ignore[no-untyped-def]
    conf = tmp_path / "resolv.conf"
    conf.write_text(HOST)
    c = DNSConfigurer(
        resolv_conf=str(conf), node_name="node-a", record=lambda o, t, r, m: events.append((o, r, m))
    )
    assert c.pod_dns(pod()).servers == ["10.0.0.2", "10.0.0.3"]
    assert [(o["metadata"]["name"], r) for o, r, _ in events] == [
        ("node-a", "MissingClusterDNS"),
        ("web", "MissingClusterDNS"),
    ]
    assert events[1][2] == (
        'pod: "web_apps(u1)". kubelet does not have ClusterDNS IP configured and cannot create Pod using '
        '"ClusterFirst" policy. Falling back to "Default" policy.'
    )


def test_without_a_resolv_conf_default_pods_get_the_local_resolver() -> None:
    c = DNSConfigurer(resolv_conf="", node_ips=("192.168.1.5",))
    dns = c.pod_dns(pod("Default"))
    assert (dns.servers, dns.searches) == (["127.0.0.1"], ["."])


def test_the_sandbox_config_carries_the_pods_dns(configurer, tmp_path) -> None:  # type: ignore[no-untyped-def]
    cfg = sandbox_config(pod(), 0, log_root=tmp_path, dns=configurer.pod_dns(pod()))
    assert list(cfg.dns_config.servers) == ["10.96.0.10"]
    assert list(cfg.dns_config.options) == ["ndots:5"]


def test_resolv_conf_parsing_keeps_the_last_search_line_and_merges_options() -> None:
    parsed = parse_resolv_conf("search a.com\nsearch b.com. .\noptions ndots:1\noptions ndots:3 edns0\n# x\n")
    assert (parsed.searches, parsed.options) == (["b.com"], ["ndots:3", "edns0"])
