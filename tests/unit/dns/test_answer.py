"""The cluster zones' answers, built from fake Services and EndpointSlices (no network)."""

from __future__ import annotations

from typing import Any

import dns.message
import dns.name
import dns.rcode
import dns.rdatatype as T
import pytest

from kubelite.dns.answer import ClusterZones
from kubelite.dns.cluster import ClusterIndex
from kubelite.dns.records import Records

ZONE = "cluster.local."


def service(name: str, ns: str = "default", ip: str = "10.96.0.20", **spec: Any) -> dict[str, Any]:
    s: dict[str, Any] = {"clusterIP": ip, "clusterIPs": [ip], "type": "ClusterIP", **spec}
    if ip == "None":
        s["clusterIPs"] = ["None"]
    return {"metadata": {"name": name, "namespace": ns}, "spec": s}


def endpoint_slice(
    name: str,
    service_name: str,
    endpoints: list[dict[str, Any]],
    ports: list[dict[str, Any]],
    ns: str = "default",
) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": ns, "labels": {"kubernetes.io/service-name": service_name}},
        "addressType": "IPv4",
        "endpoints": endpoints,
        "ports": ports,
    }


def zones(*objects: dict[str, Any], upstream: Any = None, synced: bool = True) -> ClusterZones:
    index = ClusterIndex(synced=lambda: synced, serial=1700000000)
    for ns in ("default", "kube-system", "apps"):
        index.namespaces.upsert({"metadata": {"name": ns}})
    for obj in objects:
        (index.slices if "addressType" in obj else index.services).upsert(obj)
    return ClusterZones(Records(index, ZONE, 30), upstream=upstream, local_ips=("10.0.0.53",))


WEB = service(
    "web",
    ports=[{"name": "http", "port": 80, "protocol": "TCP"}, {"name": "dns", "port": 53, "protocol": "UDP"}],
)
HEADLESS = service("db", ip="None", ports=[{"name": "pg", "port": 5432, "protocol": "TCP"}])
DB_SLICE = endpoint_slice(
    "db-abc",
    "db",
    [
        {"addresses": ["10.244.1.5"], "conditions": {"ready": True}, "hostname": "db-0"},
        {"addresses": ["10.244.2.6"], "conditions": {"ready": True}, "hostname": "db-1"},
        {"addresses": ["10.244.3.7"], "conditions": {"ready": False}, "hostname": "db-2"},
    ],
    [{"name": "pg", "port": 5432, "protocol": "TCP"}],
)


async def ask(z: ClusterZones, name: str, qtype: int) -> tuple[int, list[str], list[str], list[str]]:
    reply = await z.answer(dns.name.from_text(name), qtype)
    assert reply is not None
    return (
        reply.rcode,
        [f"{r.name} {r.ttl} {T.to_text(r.rdtype)} {rd}" for r in reply.answer.list() for rd in r],
        [f"{r.name} {T.to_text(r.rdtype)} {rd}" for r in reply.extra.list() for rd in r],
        [f"{r.name} {r.ttl} {T.to_text(r.rdtype)} {rd}" for r in reply.authority.list() for rd in r],
    )


SOA = "cluster.local. 30 SOA ns.dns.cluster.local. hostmaster.cluster.local. 1700000000 7200 1800 86400 30"


async def test_a_service_name_answers_its_cluster_ip_with_ttl_30() -> None:
    rcode, answer, _, _ = await ask(zones(WEB), "web.default.svc.cluster.local.", T.A)
    assert (rcode, answer) == (dns.rcode.NOERROR, ["web.default.svc.cluster.local. 30 A 10.96.0.20"])


async def test_names_are_matched_without_regard_to_case_and_answered_in_the_askers_case() -> None:
    _, answer, _, _ = await ask(zones(WEB), "Web.Default.SVC.cluster.local.", T.A)
    assert answer == ["Web.Default.SVC.cluster.local. 30 A 10.96.0.20"]


async def test_aaaa_of_an_ipv4_service_is_nodata_with_the_soa() -> None:
    assert await ask(zones(WEB), "web.default.svc.cluster.local.", T.AAAA) == (
        dns.rcode.NOERROR,
        [],
        [],
        [SOA],
    )


async def test_an_unknown_service_is_nxdomain_with_the_soa() -> None:
    assert await ask(zones(WEB), "nope.default.svc.cluster.local.", T.A) == (
        dns.rcode.NXDOMAIN,
        [],
        [],
        [SOA],
    )


async def test_a_missing_namespace_is_nxdomain_and_an_existing_one_is_nodata() -> None:
    z = zones(WEB)
    assert (await ask(z, "web.nowhere.svc.cluster.local.", T.A))[0] == dns.rcode.NXDOMAIN
    assert await ask(z, "default.svc.cluster.local.", T.A) == (dns.rcode.NOERROR, [], [], [SOA])
    assert (await ask(z, "nowhere.svc.cluster.local.", T.A))[0] == dns.rcode.NXDOMAIN
    assert (await ask(z, "svc.cluster.local.", T.A))[0] == dns.rcode.NOERROR
    assert (await ask(z, "cluster.local.", T.A))[0] == dns.rcode.NOERROR


async def test_names_of_no_known_shape_are_nxdomain() -> None:
    z = zones(WEB)
    assert (await ask(z, "foo.cluster.local.", T.A))[0] == dns.rcode.NXDOMAIN
    assert (await ask(z, "a.b.c.web.default.svc.cluster.local.", T.A))[0] == dns.rcode.NXDOMAIN


async def test_nxdomain_becomes_servfail_until_the_caches_have_synced() -> None:
    z = zones(WEB, synced=False)
    assert (await ask(z, "nope.default.svc.cluster.local.", T.A))[0] == dns.rcode.SERVFAIL


async def test_a_headless_service_answers_its_ready_endpoints_only() -> None:
    _, answer, _, _ = await ask(zones(HEADLESS, DB_SLICE), "db.default.svc.cluster.local.", T.A)
    assert sorted(answer) == [
        "db.default.svc.cluster.local. 30 A 10.244.1.5",
        "db.default.svc.cluster.local. 30 A 10.244.2.6",
    ]


async def test_a_headless_service_without_ready_endpoints_is_nxdomain() -> None:
    assert (await ask(zones(HEADLESS), "db.default.svc.cluster.local.", T.A))[0] == dns.rcode.NXDOMAIN


async def test_endpoint_hostnames_resolve_as_statefulset_pods_expect() -> None:
    z = zones(HEADLESS, DB_SLICE)
    _, answer, _, _ = await ask(z, "db-1.db.default.svc.cluster.local.", T.A)
    assert answer == ["db-1.db.default.svc.cluster.local. 30 A 10.244.2.6"]
    assert (await ask(z, "db-2.db.default.svc.cluster.local.", T.A))[0] == dns.rcode.NXDOMAIN  # not ready


async def test_an_endpoint_without_hostname_is_named_by_its_dashed_address() -> None:
    s = endpoint_slice("x", "db", [{"addresses": ["10.244.9.9"]}], [])
    _, answer, _, _ = await ask(zones(HEADLESS, s), "10-244-9-9.db.default.svc.cluster.local.", T.A)
    assert answer == ["10-244-9-9.db.default.svc.cluster.local. 30 A 10.244.9.9"]


async def test_srv_of_a_named_port_targets_the_service_with_its_address_in_extra() -> None:
    rcode, answer, extra, _ = await ask(zones(WEB), "_http._tcp.web.default.svc.cluster.local.", T.SRV)
    assert rcode == dns.rcode.NOERROR
    assert answer == [
        "_http._tcp.web.default.svc.cluster.local. 30 SRV 0 100 80 web.default.svc.cluster.local."
    ]
    assert extra == ["web.default.svc.cluster.local. A 10.96.0.20"]


async def test_srv_of_a_service_lists_every_port_and_an_unknown_port_is_nxdomain() -> None:
    z = zones(WEB)
    _, answer, _, _ = await ask(z, "web.default.svc.cluster.local.", T.SRV)
    assert sorted(a.split(" SRV ")[1] for a in answer) == [
        "0 50 53 web.default.svc.cluster.local.",
        "0 50 80 web.default.svc.cluster.local.",
    ]
    assert (await ask(z, "_https._tcp.web.default.svc.cluster.local.", T.SRV))[0] == dns.rcode.NXDOMAIN
    assert (await ask(z, "_http._udp.web.default.svc.cluster.local.", T.SRV))[0] == dns.rcode.NXDOMAIN


async def test_srv_of_a_headless_service_targets_each_endpoint_hostname() -> None:
    _, answer, extra, _ = await ask(
        zones(HEADLESS, DB_SLICE), "_pg._tcp.db.default.svc.cluster.local.", T.SRV
    )
    assert sorted(a.split(" SRV ")[1] for a in answer) == [
        "0 50 5432 db-0.db.default.svc.cluster.local.",
        "0 50 5432 db-1.db.default.svc.cluster.local.",
    ]
    assert sorted(extra) == [
        "db-0.db.default.svc.cluster.local. A 10.244.1.5",
        "db-1.db.default.svc.cluster.local. A 10.244.2.6",
    ]


async def test_ptr_of_a_service_ip_names_the_service() -> None:
    _, answer, _, _ = await ask(zones(WEB), "20.0.96.10.in-addr.arpa.", T.PTR)
    assert answer == ["20.0.96.10.in-addr.arpa. 30 PTR web.default.svc.cluster.local."]


async def test_ptr_of_an_endpoint_ip_names_the_endpoint() -> None:
    _, answer, _, _ = await ask(zones(HEADLESS, DB_SLICE), "5.1.244.10.in-addr.arpa.", T.PTR)
    assert answer == ["5.1.244.10.in-addr.arpa. 30 PTR db-0.db.default.svc.cluster.local."]


async def test_unknown_reverse_names_are_not_ours_and_go_upstream() -> None:
    z = zones(WEB)
    assert await z.answer(dns.name.from_text("1.1.168.192.in-addr.arpa."), T.PTR) is None
    assert await z.answer(dns.name.from_text("example.com."), T.A) is None


async def test_an_externalname_service_is_a_cname_followed_upstream_for_addresses() -> None:
    ext = service("ext", ip="", type="ExternalName", externalName="www.example.com")
    asked = []

    async def upstream(name: str, rdtype: int) -> dns.message.Message:
        asked.append((name, rdtype))
        m = dns.message.make_response(dns.message.make_query(name, rdtype))
        m.answer.append(dns.rrset.from_text(name, 300, "IN", "A", "93.184.216.34"))
        return m

    z = zones(ext, upstream=upstream)
    _, answer, _, _ = await ask(z, "ext.default.svc.cluster.local.", T.CNAME)
    assert answer == ["ext.default.svc.cluster.local. 30 CNAME www.example.com."]
    _, answer, _, _ = await ask(z, "ext.default.svc.cluster.local.", T.A)
    assert answer == [
        "ext.default.svc.cluster.local. 30 CNAME www.example.com.",
        "www.example.com. 300 A 93.184.216.34",
    ]
    assert asked == [("www.example.com.", T.A)]
    assert (await ask(z, "ext.default.svc.cluster.local.", T.SRV))[0:2] == (dns.rcode.NOERROR, [])


async def test_an_externalname_inside_the_zone_is_followed_within_the_zone() -> None:
    ext = service("alias", ip="", type="ExternalName", externalName="web.default.svc.cluster.local")
    _, answer, _, _ = await ask(zones(ext, WEB), "alias.default.svc.cluster.local.", T.A)
    assert answer == [
        "alias.default.svc.cluster.local. 30 CNAME web.default.svc.cluster.local.",
        "web.default.svc.cluster.local. 30 A 10.96.0.20",
    ]


async def test_pod_names_answer_their_address_in_an_existing_namespace() -> None:
    z = zones()
    _, answer, _, _ = await ask(z, "10-244-1-5.default.pod.cluster.local.", T.A)
    assert answer == ["10-244-1-5.default.pod.cluster.local. 30 A 10.244.1.5"]
    assert (await ask(z, "10-244-1-5.nowhere.pod.cluster.local.", T.A))[0] == dns.rcode.NXDOMAIN
    assert (await ask(z, "not-an-ip.default.pod.cluster.local.", T.A))[0] == dns.rcode.NXDOMAIN


async def test_txt_dns_version_and_other_types_are_nodata_for_names_that_exist() -> None:
    z = zones(WEB)
    _, answer, _, _ = await ask(z, "dns-version.cluster.local.", T.TXT)
    assert answer == ['dns-version.cluster.local. 28800 TXT "1.1.0"']
    assert (await ask(z, "web.default.svc.cluster.local.", T.TXT))[:2] == (dns.rcode.NOERROR, [])
    assert (await ask(z, "web.default.svc.cluster.local.", T.MX))[:2] == (dns.rcode.NOERROR, [])
    assert (await ask(z, "nope.default.svc.cluster.local.", T.MX))[0] == dns.rcode.NXDOMAIN


async def test_soa_and_ns_at_the_apex() -> None:
    z = zones(WEB)
    _, answer, _, _ = await ask(z, "cluster.local.", T.SOA)
    assert answer == [SOA]
    _, answer, extra, _ = await ask(z, "cluster.local.", T.NS)
    assert answer == ["cluster.local. 30 NS ns.dns.cluster.local."]
    assert extra == ["ns.dns.cluster.local. A 10.0.0.53"]


async def test_zone_transfers_are_refused() -> None:
    assert (await ask(zones(WEB), "cluster.local.", T.AXFR))[0] == dns.rcode.REFUSED


@pytest.mark.parametrize("ready", [True, None])
async def test_an_endpoint_is_served_when_ready_is_true_or_unset(ready: bool | None) -> None:
    cond = {} if ready is None else {"ready": ready}
    s = endpoint_slice("x", "db", [{"addresses": ["10.244.9.9"], "conditions": cond}], [])
    assert (await ask(zones(HEADLESS, s), "db.default.svc.cluster.local.", T.A))[0] == dns.rcode.NOERROR
