"""The iptables mode's rules, checked structurally against kube-proxy's layout: chain
names and hashes, rule order in each chain, probabilities, affinity, masquerade, NodePorts,
traffic policies, rejection without endpoints, partial syncs."""

from __future__ import annotations

import re

from kubelite.proxy.changes import ChangeTracker
from kubelite.proxy.iptables import names
from kubelite.proxy.iptables.rules import RulesConfig, build
from kubelite.proxy.testing import READY, endpoint_slice, service

CONFIG = RulesConfig(cluster_cidr="10.244.0.0/16")


def tables(*objs: dict, config: RulesConfig = CONFIG, node: str = "me") -> dict[str, dict[str, list[str]]]:
    tracker = ChangeTracker(node)
    for o in objs:
        (tracker.slice_updated if o["kind"] == "EndpointSlice" else tracker.service_updated)(o)
    snap = tracker.take()
    return parse(build(snap.services, snap.endpoints, config).text())


def parse(text: str) -> dict[str, dict[str, list[str]]]:
    """table -> chain -> its rules (without "-A CHAIN"), in order."""
    out: dict[str, dict[str, list[str]]] = {}
    table: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.startswith("*"):
            table = out.setdefault(line[1:], {})
        elif line.startswith(":"):
            table.setdefault(line[1:].split()[0], [])
        elif line.startswith("-A "):
            chain, _, rule = line[3:].partition(" ")
            table[chain].append(rule)
    return out


HTTP = "ns/web:http"
SVC = names.service_chain(HTTP, "TCP")
EXT = names.external_chain(HTTP, "TCP")
SEP = [names.endpoint_chain(HTTP, "TCP", f"10.244.1.{i}:8080") for i in (1, 2, 3)]


def test_chain_names_are_kube_proxys_hashes():
    # sha256("ns/web:http" + "tcp"), base32, 16 characters - the same text kube-proxy hashes
    assert re.fullmatch(r"KUBE-SVC-[A-Z2-7]{16}", SVC)
    assert names.service_chain("default/kubernetes:https", "TCP") == "KUBE-SVC-NPX46M4PTMTKRN6Y"
    assert names.endpoint_chain("default/kubernetes:https", "TCP", "10.0.0.1:6443").startswith("KUBE-SEP-")


def test_a_cluster_ip_dispatches_to_each_endpoint_with_statistic_probabilities():
    t = tables(service("web"), endpoint_slice("web", *((f"10.244.1.{i}", dict(READY)) for i in (1, 2, 3))))
    nat = t["nat"]
    assert nat["KUBE-SERVICES"][0] == (
        f'-m comment --comment "{HTTP} cluster IP" -m tcp -p tcp -d 10.96.0.10 --dport 80 -j {SVC}'
    )
    assert nat["KUBE-SERVICES"][-1].endswith(
        "-m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j KUBE-NODEPORTS"
    )
    rules = nat[SVC]
    assert rules[0].endswith("! -s 10.244.0.0/16 -j KUBE-MARK-MASQ")  # off-cluster sources masqueraded
    assert "--probability 0.3333333333 -j " + SEP[0] in rules[1]
    assert "--probability 0.5000000000 -j " + SEP[1] in rules[2]
    assert "statistic" not in rules[3] and rules[3].endswith(SEP[2])
    assert nat[SEP[0]] == [
        f"-m comment --comment {HTTP} -s 10.244.1.1 -j KUBE-MARK-MASQ",  # hairpin
        f"-m comment --comment {HTTP} -m tcp -p tcp -j DNAT --to-destination 10.244.1.1:8080",
    ]
    assert nat["KUBE-POSTROUTING"][0] == "-m mark ! --mark 0x4000/0x4000 -j RETURN"
    assert nat["KUBE-MARK-MASQ"] == ["-j MARK --or-mark 0x4000"]


def test_client_ip_affinity_checks_recent_before_choosing_and_records_in_the_endpoint_chain():
    svc = service(
        "web", sessionAffinity="ClientIP", sessionAffinityConfig={"clientIP": {"timeoutSeconds": 60}}
    )
    nat = tables(svc, endpoint_slice("web", ("10.244.1.1", dict(READY)), ("10.244.1.2", dict(READY))))["nat"]
    assert f"-m recent --name {SEP[0]} --rcheck --seconds 60 --reap -j {SEP[0]}" in nat[SVC][1]
    assert f"-m recent --name {SEP[1]} --rcheck --seconds 60 --reap -j {SEP[1]}" in nat[SVC][2]
    assert "statistic" in nat[SVC][3]
    assert f"-m recent --name {SEP[0]} --set -m tcp" in nat[SEP[0]][1]


def test_a_node_port_goes_through_the_external_chain_which_masquerades():
    nat = tables(service("web", type="NodePort"), endpoint_slice("web", ("10.244.1.1", dict(READY))))["nat"]
    assert nat["KUBE-NODEPORTS"] == [f"-m comment --comment {HTTP} -m tcp -p tcp --dport 30080 -j {EXT}"]
    assert nat[EXT] == [
        f'-m comment --comment "masquerade traffic for {HTTP} external destinations" -j KUBE-MARK-MASQ',
        f"-j {SVC}",
    ]


def test_node_port_addresses_limit_the_nodeports_jump_to_those_addresses():
    config = RulesConfig(node_ips=("192.168.1.5", "127.0.0.1"))
    nat = tables(service("web", type="NodePort"), config=config)["nat"]
    assert [r for r in nat["KUBE-SERVICES"] if "KUBE-NODEPORTS" in r] == [
        '-m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" '
        "-d 192.168.1.5 -j KUBE-NODEPORTS"
    ]


def test_a_service_without_endpoints_is_rejected_in_the_filter_table():
    t = tables(service("web", type="NodePort"))
    assert t["filter"]["KUBE-SERVICES"] == [
        f'-m comment --comment "{HTTP} has no endpoints" -m tcp -p tcp -d 10.96.0.10 --dport 80 -j REJECT'
    ]
    assert t["filter"]["KUBE-EXTERNAL-SERVICES"] == [
        f'-m comment --comment "{HTTP} has no endpoints" -m addrtype --dst-type LOCAL '
        "-m tcp -p tcp --dport 30080 -j REJECT"
    ]
    assert SVC not in t["nat"] and not t["nat"]["KUBE-NODEPORTS"]


def test_external_traffic_policy_local_sends_outside_traffic_to_local_endpoints_only():
    svc = service("web", type="NodePort", externalTrafficPolicy="Local")
    slice_ = endpoint_slice("web", ("10.244.1.1", {"ready": True, "node": "me"}), ("10.244.1.2", dict(READY)))
    nat = tables(svc, slice_)["nat"]
    svl = names.local_chain(HTTP, "TCP")
    assert nat[EXT] == [
        f'-m comment --comment "pod traffic for {HTTP} external destinations" -s 10.244.0.0/16 -j {SVC}',
        f'-m comment --comment "masquerade LOCAL traffic for {HTTP} external destinations" '
        "-m addrtype --src-type LOCAL -j KUBE-MARK-MASQ",
        f'-m comment --comment "route LOCAL traffic for {HTTP} external destinations" '
        f"-m addrtype --src-type LOCAL -j {SVC}",
        f"-j {svl}",
    ]
    assert nat[svl] == [f'-m comment --comment "{HTTP} -> 10.244.1.1:8080" -j {SEP[0]}']


def test_internal_traffic_policy_local_without_local_endpoints_drops():
    svc = service("web", internalTrafficPolicy="Local")
    t = tables(svc, endpoint_slice("web", ("10.244.1.1", dict(READY))))
    assert t["filter"]["KUBE-SERVICES"] == [
        f'-m comment --comment "{HTTP} has no local endpoints" -m tcp -p tcp -d 10.96.0.10 --dport 80 -j DROP'
    ]


def test_terminating_endpoints_are_used_only_when_no_ready_endpoint_is_left():
    terminating = {"ready": False, "serving": True, "terminating": True}
    both = tables(
        service("web"), endpoint_slice("web", ("10.244.1.1", dict(READY)), ("10.244.1.2", dict(terminating)))
    )
    assert [r.rsplit(" ", 1)[1] for r in both["nat"][SVC][1:]] == [SEP[0]]
    only = tables(service("web"), endpoint_slice("web", ("10.244.1.2", dict(terminating))))
    assert [r.rsplit(" ", 1)[1] for r in only["nat"][SVC][1:]] == [SEP[1]]


def test_headless_and_external_name_services_get_no_rules():
    t = tables(
        service("web", ip="None"), service("ext", ip="", type="ExternalName", externalName="example.com")
    )
    assert t["nat"]["KUBE-SERVICES"] == [t["nat"]["KUBE-SERVICES"][-1]]  # the nodeports jump alone


def test_a_partial_sync_rewrites_only_the_changed_services_chains_and_deletes_unused_ones():
    tracker = ChangeTracker("me")
    for name, ip in (("web", "10.96.0.10"), ("api", "10.96.0.11")):
        tracker.service_updated(service(name, ip=ip))
        tracker.slice_updated(endpoint_slice(name, ("10.244.1.1", dict(READY)), ("10.244.1.2", dict(READY))))
    first = tracker.take()
    full = build(first.services, first.endpoints, CONFIG)
    tracker.slice_updated(endpoint_slice("web", ("10.244.1.1", dict(READY))))
    second = tracker.take()
    assert second.changed == {"ns/web"}
    partial = build(
        second.services,
        second.endpoints,
        CONFIG,
        changed=second.changed,
        existing_chains=full.active_nat_chains,
    )
    t = parse(partial.text())["nat"]
    api_svc = names.service_chain("ns/api:http", "TCP")
    assert api_svc not in t  # untouched: --noflush keeps it
    assert any(api_svc in r for r in t["KUBE-SERVICES"])  # but still reached
    assert t[SVC][1:] == [f'-m comment --comment "{HTTP} -> 10.244.1.1:8080" -j {SEP[0]}']
    assert f"-X {SEP[1]}" in partial.text()  # the removed endpoint's chain goes
