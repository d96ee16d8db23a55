"""The nftables mode's table, checked structurally against kube-proxy 1.31's: one `ip
kube-proxy` table replaced in one transaction, base chains and jumps, the service-ips and
service-nodeports verdict maps, per-service and per-endpoint chains with kube-proxy's names,
numgen dispatch, affinity sets, rejection of services without endpoints."""

from __future__ import annotations

import re

from kubelite.proxy.changes import ChangeTracker
from kubelite.proxy.nftables.rules import NftConfig, build
from kubelite.proxy.testing import READY, endpoint_slice, service


def ruleset(*objs: dict) -> str:
    tracker = ChangeTracker("me")
    for o in objs:
        (tracker.slice_updated if o["kind"] == "EndpointSlice" else tracker.service_updated)(o)
    snap = tracker.take()
    return build(snap.services, snap.endpoints, NftConfig(cluster_cidr="10.244.0.0/16")).text()


def chain(text: str, name: str) -> list[str]:
    body = re.search(rf"\tchain {re.escape(name)} {{\n(.*?)\n\t}}", text, re.S)
    assert body is not None, name
    return [line.strip() for line in body.group(1).splitlines()]


def test_the_table_is_replaced_whole_in_one_transaction():
    text = ruleset(service("web"))
    assert text.splitlines()[:3] == [
        "add table ip kube-proxy",
        "delete table ip kube-proxy",
        "table ip kube-proxy {",
    ]
    assert chain(text, "nat-prerouting") == [
        "type nat hook prerouting priority -100; policy accept;",
        "jump services",
    ]
    assert chain(text, "nat-postrouting")[1:] == ["jump masquerading"]
    assert chain(text, "masquerading") == [
        "mark and 0x4000 == 0 return",
        "mark set mark xor 0x4000",
        "masquerade fully-random",
    ]


def test_a_service_dispatches_through_the_service_ips_map_to_numgen_and_endpoint_chains():
    text = ruleset(
        service("web", type="NodePort"),
        endpoint_slice("web", ("10.244.1.1", dict(READY)), ("10.244.1.2", dict(READY))),
    )
    svc = re.search(r"10\.96\.0\.10 \. tcp \. 80 : goto (service-[A-Z2-7]{8}-ns/web/tcp/http)", text)
    assert svc is not None
    rules = chain(text, svc.group(1))
    assert rules[0] == "ip daddr 10.96.0.10 tcp dport 80 ip saddr != 10.244.0.0/16 jump mark-for-masquerade"
    eps = re.findall(r"(endpoint-[A-Z2-7]{8}-ns/web/tcp/http__10\.244\.1\.\d/8080)", rules[1])
    assert rules[1].startswith("numgen random mod 2 vmap") and len(eps) == 2
    assert chain(text, eps[0]) == [
        "ip saddr 10.244.1.1 jump mark-for-masquerade",
        "meta l4proto tcp dnat to 10.244.1.1:8080",
    ]
    assert re.search(r"tcp \. 30080 : goto external-[A-Z2-7]{8}-ns/web/tcp/http", text)


def test_client_ip_affinity_uses_a_timeout_set_per_endpoint():
    svc = service(
        "web", sessionAffinity="ClientIP", sessionAffinityConfig={"clientIP": {"timeoutSeconds": 60}}
    )
    text = ruleset(svc, endpoint_slice("web", ("10.244.1.1", dict(READY))))
    assert re.search(
        r"set affinity-\w+-ns/web/tcp/http__10.244.1.1/8080 "
        r"\{ type ipv4_addr; flags dynamic,timeout; timeout 60s;",
        text,
    )
    assert re.search(r"ip saddr @affinity-\S+ goto endpoint-\S+", text)


def test_a_service_without_endpoints_goes_to_the_reject_chain():
    text = ruleset(service("web"))
    assert (
        "map no-endpoint-services { type ipv4_addr . inet_proto . inet_service : verdict; "
        "elements = { 10.96.0.10 . tcp . 80 : goto reject-chain } }"
    ) in text
    assert "service-ips { type ipv4_addr . inet_proto . inet_service : verdict; }" in text
