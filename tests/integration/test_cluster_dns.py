"""`kubelite dns` against a real API server, asked over UDP and TCP with dnspython.

One DNS process for the module: it watches the session's API server, forwards other names
to a fake upstream resolver this test runs on 127.0.0.1 (which counts what it is asked),
and publishes itself as the Service `<ns>/kube-dns`.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import dns.asyncquery
import dns.message
import dns.rcode
import dns.rdatatype as T
import dns.rrset
import pytest

from kubelite.client.config import load_kubeconfig
from kubelite.client.rest import Client
from kubelite.util.net import free_port
from kubelite.util.process import exit_with_parent
from kubelite.util.testing import wait_for_async

UPSTREAM_TTL = 300
ADVERTISED = "192.0.2.53"  # the address pods would reach the server at (endpoints refuse loopback)


class FakeUpstream(asyncio.DatagramProtocol):
    """Answers www.example.com A with 192.0.2.7, NXDOMAIN for the rest; counts questions."""

    def __init__(self) -> None:
        self.asked: list[str] = []
        self.transport: Any = None

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def datagram_received(self, data: bytes, addr: Any) -> None:
        q = dns.message.from_wire(data)
        name = q.question[0].name.to_text()
        self.asked.append(name)
        r = dns.message.make_response(q)
        if name.lower() == "www.example.com.":
            r.answer.append(dns.rrset.from_text(name, UPSTREAM_TTL, "IN", "A", "192.0.2.7"))
        else:
            r.set_rcode(dns.rcode.NXDOMAIN)
            r.authority.append(dns.rrset.from_text("example.com.", 60, "IN", "SOA", "ns. h. 1 2 3 4 60"))
        self.transport.sendto(r.to_wire(), addr)


@pytest.fixture(scope="module")
def ns() -> str:
    return f"dns-{uuid.uuid4().hex[:6]}"


@pytest.fixture(scope="module")
def ports() -> dict[str, int]:
    return {k: free_port() for k in ("dns", "upstream", "health", "ready", "metrics")}


@pytest.fixture(scope="module")
def dns_process(cluster: Any, ns: str, ports: dict[str, int], tmp_path_factory: Any) -> Iterator[Any]:
    log = tmp_path_factory.mktemp("dns") / "dns.log"
    argv = [sys.executable, "-m", "kubelite", "dns", "--kubeconfig", str(cluster.kubeconfig)]
    argv += ["--bind-address", "127.0.0.1", "--port", str(ports["dns"])]
    argv += ["--upstream", f"127.0.0.1:{ports['upstream']}", "--http-bind-address", "127.0.0.1"]
    argv += ["--health-port", str(ports["health"]), "--ready-port", str(ports["ready"])]
    argv += ["--metrics-port", str(ports["metrics"]), "--publish-service", f"{ns}/kube-dns"]
    argv += ["--advertise-address", ADVERTISED]
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, preexec_fn=exit_with_parent())
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture
async def upstream(ports: dict[str, int]) -> AsyncIterator[FakeUpstream]:
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        FakeUpstream, local_addr=("127.0.0.1", ports["upstream"])
    )
    yield protocol
    transport.close()


@pytest.fixture
async def api(cluster: Any, ns: str, dns_process: Any) -> AsyncIterator[Client]:
    async with Client(load_kubeconfig(cluster.kubeconfig)) as client:
        namespaces = client.resource("namespaces")
        try:
            await namespaces.create({"metadata": {"name": ns}})
        except Exception:  # the module's earlier tests made it
            pass
        yield client


def _get(port: int, path: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, ""
    except OSError:  # not listening yet
        return 0, ""


async def ask(ports: dict[str, int], name: str, qtype: int, *, tcp: bool = False) -> dns.message.Message:
    q = dns.message.make_query(name, qtype)
    if tcp:
        return await dns.asyncquery.tcp(q, "127.0.0.1", port=ports["dns"], timeout=5)
    return await dns.asyncquery.udp(q, "127.0.0.1", port=ports["dns"], timeout=5)


def addresses(reply: dns.message.Message) -> list[str]:
    return sorted(rd.to_text() for r in reply.answer for rd in r if r.rdtype in (T.A, T.AAAA))


async def answers(ports: dict[str, int], name: str, qtype: int, want: list[str]) -> dns.message.Message:
    """Wait until the server's caches have caught up and `name` answers `want`."""

    async def probe() -> dns.message.Message | None:
        r = await ask(ports, name, qtype)
        got = sorted(rd.to_text() for rr in r.answer for rd in rr)
        return r if got == sorted(want) else None

    return await wait_for_async(probe, what=f"{name} → {want}", ignoring=(dns.exception.Timeout,))


async def test_the_server_is_healthy_ready_and_publishes_itself_as_kube_dns(api, ns, ports):  # type: ignore[no-untyped-def]
    assert await wait_for_async(lambda: _get(ports["ready"], "/ready")[0] == 200 or None, what="ready")
    assert _get(ports["health"], "/health") == (200, "OK")
    svc = await wait_for_async(
        lambda: _maybe(api.resource("services").get("kube-dns", namespace=ns)), what="the kube-dns Service"
    )
    assert svc["metadata"]["labels"]["k8s-app"] == "kube-dns"
    assert [(p["name"], p["port"], p["protocol"]) for p in svc["spec"]["ports"]] == [
        ("dns", 53, "UDP"),
        ("dns-tcp", 53, "TCP"),
        ("metrics", 9153, "TCP"),
    ]
    ep = await wait_for_async(
        lambda: _maybe(api.resource("endpoints").get("kube-dns", namespace=ns)), what="its endpoints"
    )
    assert ep["subsets"][0]["addresses"] == [{"ip": ADVERTISED}]
    assert {p["name"]: p["port"] for p in ep["subsets"][0]["ports"]}["dns"] == ports["dns"]
    reply = await answers(ports, f"kube-dns.{ns}.svc.cluster.local.", T.A, [svc["spec"]["clusterIP"]])
    assert reply.answer[0].ttl == 30


async def _maybe(coro: Any) -> Any:
    try:
        return await coro
    except Exception:
        return None


async def test_services_headless_statefulset_names_srv_ptr_and_externalname(api, ns, ports, upstream):  # type: ignore[no-untyped-def]
    services = api.resource("services")
    web = await services.create(
        {
            "metadata": {"name": "web"},
            "spec": {"ports": [{"name": "http", "port": 80, "protocol": "TCP"}], "selector": {"app": "web"}},
        },
        namespace=ns,
    )
    ip = web["spec"]["clusterIP"]
    await services.create(
        {
            "metadata": {"name": "db"},
            "spec": {"clusterIP": "None", "ports": [{"name": "pg", "port": 5432}], "selector": {"app": "db"}},
        },
        namespace=ns,
    )
    await api.resource("endpointslices", group="discovery.k8s.io").create(
        {
            "metadata": {"name": "db-1", "labels": {"kubernetes.io/service-name": "db"}},
            "addressType": "IPv4",
            "endpoints": [
                {"addresses": ["10.244.1.5"], "hostname": "db-0", "conditions": {"ready": True}},
                {"addresses": ["10.244.2.6"], "hostname": "db-1", "conditions": {"ready": True}},
                {"addresses": ["10.244.3.7"], "hostname": "db-2", "conditions": {"ready": False}},
            ],
            "ports": [{"name": "pg", "port": 5432, "protocol": "TCP"}],
        },
        namespace=ns,
    )
    await services.create(
        {"metadata": {"name": "ext"}, "spec": {"type": "ExternalName", "externalName": "www.example.com"}},
        namespace=ns,
    )
    await answers(ports, f"web.{ns}.svc.cluster.local.", T.A, [ip])
    await answers(ports, f"db.{ns}.svc.cluster.local.", T.A, ["10.244.1.5", "10.244.2.6"])
    reply = await ask(ports, f"db-1.db.{ns}.svc.cluster.local.", T.A, tcp=True)
    assert addresses(reply) == ["10.244.2.6"]
    reply = await ask(ports, f"_pg._tcp.db.{ns}.svc.cluster.local.", T.SRV)
    assert sorted(rd.target.to_text() for r in reply.answer for rd in r) == [
        f"db-0.db.{ns}.svc.cluster.local.",
        f"db-1.db.{ns}.svc.cluster.local.",
    ]
    assert {rd.port for r in reply.answer for rd in r} == {5432}
    reply = await ask(ports, f"_http._tcp.web.{ns}.svc.cluster.local.", T.SRV)
    assert [(rd.port, rd.target.to_text()) for r in reply.answer for rd in r] == [
        (80, f"web.{ns}.svc.cluster.local.")
    ]
    reverse = ".".join(reversed(ip.split("."))) + ".in-addr.arpa."
    reply = await ask(ports, reverse, T.PTR)
    assert [rd.to_text() for r in reply.answer for rd in r] == [f"web.{ns}.svc.cluster.local."]
    reply = await ask(ports, "5.1.244.10.in-addr.arpa.", T.PTR)
    assert [rd.to_text() for r in reply.answer for rd in r] == [f"db-0.db.{ns}.svc.cluster.local."]
    reply = await ask(ports, f"ext.{ns}.svc.cluster.local.", T.CNAME)
    assert [rd.to_text() for r in reply.answer for rd in r] == ["www.example.com."]
    reply = await ask(ports, f"ext.{ns}.svc.cluster.local.", T.A)
    assert addresses(reply) == ["192.0.2.7"]


async def test_nxdomain_and_nodata_where_coredns_returns_them(api, ns, ports):  # type: ignore[no-untyped-def]
    await api.resource("services").create(
        {"metadata": {"name": "only4"}, "spec": {"ports": [{"port": 80}]}}, namespace=ns
    )
    await wait_for_async(
        lambda: _rcode(ports, f"only4.{ns}.svc.cluster.local.", T.A, dns.rcode.NOERROR), what="only4"
    )
    nodata = await ask(ports, f"only4.{ns}.svc.cluster.local.", T.AAAA)
    assert (nodata.rcode(), nodata.answer) == (dns.rcode.NOERROR, [])
    assert nodata.authority[0].rdtype == T.SOA
    for name in (
        f"missing.{ns}.svc.cluster.local.",
        f"x.no-such-ns-{ns}.svc.cluster.local.",
        "a.cluster.local.",
    ):
        reply = await ask(ports, name, T.A)
        assert reply.rcode() == dns.rcode.NXDOMAIN, name
        assert reply.authority[0].rdtype == T.SOA
    pod = await ask(ports, f"10-244-0-9.{ns}.pod.cluster.local.", T.A)
    assert addresses(pod) == ["10.244.0.9"]


async def _rcode(ports: dict[str, int], name: str, qtype: int, want: int) -> bool | None:
    return (await ask(ports, name, qtype)).rcode() == want or None


async def test_other_names_are_forwarded_upstream_and_cached(api, ports, upstream):  # type: ignore[no-untyped-def]
    first = await ask(ports, "www.example.com.", T.A)
    assert addresses(first) == ["192.0.2.7"]
    second = await ask(ports, "WWW.example.com.", T.A, tcp=True)
    assert addresses(second) == ["192.0.2.7"]
    assert second.answer[0].ttl <= 30  # the cache's cap
    assert [n.lower() for n in upstream.asked].count("www.example.com.") <= 1
    missing = await ask(ports, "nothing.example.com.", T.A)
    assert missing.rcode() == dns.rcode.NXDOMAIN
    status, text = _get(ports["metrics"], "/metrics")
    assert status == 200
    assert 'coredns_dns_responses_total{plugin="cache",rcode="NOERROR"' in text
    assert "coredns_dns_requests_total{" in text
    assert "coredns_dns_request_duration_seconds_bucket{" in text
