"""The forward cache in virtual time, and replies cut to fit a UDP client's buffer."""

from __future__ import annotations

import dns.flags
import dns.message
import dns.rcode
import dns.rrset

from kubelite.dns.answer import ClusterZones
from kubelite.dns.cache import Cache
from kubelite.dns.cluster import ClusterIndex
from kubelite.dns.forward import Forwarder, parse_upstream, resolv_conf_nameservers, upstreams
from kubelite.dns.metrics import DNSMetrics
from kubelite.dns.records import Records
from kubelite.dns.server import Handler, fit
from kubelite.util.clock import FakeClock


def reply_to(query: dns.message.Message, ttl: int, rcode: int = dns.rcode.NOERROR) -> dns.message.Message:
    r = dns.message.make_response(query)
    r.set_rcode(dns.rcode.Rcode.make(rcode))
    name = query.question[0].name
    if rcode == dns.rcode.NOERROR:
        r.answer.append(dns.rrset.from_text(name, ttl, "IN", "A", "192.0.2.1"))
    else:
        r.authority.append(dns.rrset.from_text("example.", ttl, "IN", "SOA", "ns. host. 1 2 3 4 " + str(ttl)))
    return r


async def test_a_cached_reply_is_served_with_the_askers_id_and_the_ttl_left() -> None:
    clock = FakeClock()
    cache = Cache(clock=clock)
    q = dns.message.make_query("www.example.com.", "A")
    cache.put(q, reply_to(q, 300))
    await clock.advance(10)
    again = dns.message.make_query("WWW.example.com.", "A")
    hit = cache.get(again)
    assert hit is not None and hit.id == again.id
    assert hit.answer[0].ttl == 20  # capped at 30 s, 10 s of it gone


async def test_a_cached_reply_expires_after_its_ttl() -> None:
    clock = FakeClock()
    cache = Cache(clock=clock)
    q = dns.message.make_query("short.example.com.", "A")
    cache.put(q, reply_to(q, 8))
    await clock.advance(7)
    assert cache.get(q) is not None
    await clock.advance(2)
    assert cache.get(q) is None


async def test_nxdomain_is_cached_by_its_soa_and_servfail_is_not() -> None:
    clock = FakeClock()
    cache = Cache(clock=clock)
    q = dns.message.make_query("nope.example.com.", "A")
    cache.put(q, reply_to(q, 60, dns.rcode.NXDOMAIN))
    hit = cache.get(q)
    assert hit is not None and hit.rcode() == dns.rcode.NXDOMAIN
    q2 = dns.message.make_query("broken.example.com.", "A")
    cache.put(q2, reply_to(q2, 60, dns.rcode.SERVFAIL))
    assert cache.get(q2) is None


def test_a_reply_too_big_for_udp_is_cut_and_flagged_truncated() -> None:
    q = dns.message.make_query("big.default.svc.cluster.local.", "A")
    r = dns.message.make_response(q)
    rrset = dns.rrset.RRset(q.question[0].name, 1, 1)
    for i in range(100):
        rrset.add(dns.rdata.from_text("IN", "A", f"10.244.0.{i}"), 30)
    r.answer.append(rrset)
    wire = fit(r, 512)
    assert len(wire) <= 512
    cut = dns.message.from_wire(wire)
    assert cut.flags & dns.flags.TC
    assert 0 < len(cut.answer[0]) < 100
    assert not dns.message.from_wire(fit(r, 65535)).flags & dns.flags.TC


def test_upstreams_come_from_resolv_conf_and_never_name_this_server(tmp_path) -> None:  # type: ignore[no-untyped-def]
    conf = tmp_path / "resolv.conf"
    conf.write_text("# comment\nnameserver 10.0.0.2\nsearch example.com\nnameserver 10.96.0.10\n")
    names = resolv_conf_nameservers(conf)
    assert names == ["10.0.0.2", "10.96.0.10"]
    assert [str(u) for u in upstreams(names, {("10.96.0.10", 53)})] == ["10.0.0.2:53"]
    assert parse_upstream("127.0.0.1:5353").port == 5353
    assert parse_upstream("[fd00::1]:53").host == "fd00::1"


async def test_a_remembered_cluster_reply_is_dropped_when_the_cluster_changes() -> None:
    index = ClusterIndex()
    index.namespaces.upsert({"metadata": {"name": "default"}})
    handler = Handler(
        ClusterZones(Records(index, "cluster.local.")), Forwarder([]), Cache(), DNSMetrics("dns://:53")
    )
    wire = dns.message.make_query("web.default.svc.cluster.local.", "A").to_wire()
    for _ in range(2):  # the second is served from the remembered reply
        out = await handler.handle(wire, tcp=False, family=1)
        assert out is not None and dns.message.from_wire(out).rcode() == dns.rcode.NXDOMAIN
    assert len(handler.memo) == 1
    svc = {
        "metadata": {"name": "web", "namespace": "default"},
        "spec": {"clusterIP": "10.96.0.9", "ports": []},
    }
    index.services.upsert(svc)
    index.touch()  # what the informers' handlers do on every change
    out = await handler.handle(b"\x12\x34" + wire[2:], tcp=False, family=1)
    assert out is not None and out[:2] == b"\x12\x34"
    reply = dns.message.from_wire(out)
    assert [rd.to_text() for r in reply.answer for rd in r] == ["10.96.0.9"]


async def test_a_udp_reply_leaves_from_the_address_the_question_was_sent_to() -> None:
    """On a wildcard socket the kernel would answer a question sent to 127.0.0.2 from
    127.0.0.1 (the route back's source); a client - a pod behind the kube-dns Service's DNAT
    - drops a reply from an address it never asked."""
    import asyncio
    import socket

    from kubelite.dns.server import DNSServer

    index = ClusterIndex()
    index.namespaces.upsert({"metadata": {"name": "default"}})
    handler = Handler(
        ClusterZones(Records(index, "cluster.local.")), Forwarder([]), Cache(), DNSMetrics("dns://:53")
    )
    server = DNSServer(handler, "0.0.0.0", 0)
    await server.start()
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            client.setblocking(False)
            client.bind(("127.0.0.1", 0))
            query = dns.message.make_query("web.default.svc.cluster.local.", "A")
            loop = asyncio.get_running_loop()
            await loop.sock_sendto(client, query.to_wire(), ("127.0.0.2", server.port))
            data, source = await asyncio.wait_for(loop.sock_recvfrom(client, 65535), 5)
        assert source == ("127.0.0.2", server.port)
        assert dns.message.from_wire(data).id == query.id
    finally:
        await server.close()
