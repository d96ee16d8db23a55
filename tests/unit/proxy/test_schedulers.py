"""The userspace relays' IPVS schedulers against their kernel definitions: rr in turn, lc
by live connection counts (long-lived connections held open), dh/sh stable per
destination/client, sed/nq with weights; and a real relay choosing in virtual time (ClientIP
affinity expiring on the injected clock)."""

from __future__ import annotations

import asyncio
from collections import Counter

from kubelite.proxy.userspace.relay import ServiceRelay
from kubelite.proxy.userspace.schedulers import Backend, new_scheduler
from kubelite.util.clock import FakeClock


def backends(*weights: int) -> list[Backend]:
    return [Backend(f"10.1.0.{i + 1}", 8080, weight=w) for i, w in enumerate(weights)]


def pick(
    name: str, bs: list[Backend], client: str = "10.2.0.1", destination: str = "10.96.0.10"
) -> str | None:
    s = new_scheduler(name)
    s.update(bs)
    b = s.pick(bs, client=client, destination=destination)
    return b.ip if b else None


def test_rr_takes_each_backend_in_turn_and_skips_weight_zero():
    bs, s = backends(1, 0, 5), new_scheduler("rr")
    chosen = [s.pick(bs, client="c", destination="d") for _ in range(4)]
    assert [b.ip for b in chosen if b] == ["10.1.0.1", "10.1.0.3", "10.1.0.1", "10.1.0.3"]


def test_lc_sends_new_connections_to_the_backend_with_fewest_live_ones():
    bs, s = backends(1, 1, 1), new_scheduler("lc")
    held = []
    for _ in range(6):  # long-lived: none closes, so they spread evenly
        b = s.pick(bs, client="c", destination="d")
        assert b is not None
        b.opened()
        held.append(b)
    assert [b.active for b in bs] == [2, 2, 2]
    for b in held[:2]:  # the first backend's two connections end
        b.closed()
    assert [s.pick(bs, client="c", destination="d") for _ in range(1)][0] is bs[0]


def test_dh_maps_one_destination_to_one_backend_and_sh_one_client():
    bs = backends(1, 1, 1, 1)
    assert len({pick("dh", bs, client=f"10.2.0.{i}") for i in range(50)}) == 1  # clients vary, one dest
    destinations = {pick("dh", bs, destination=f"10.96.0.{i}") for i in range(50)}
    assert len(destinations) > 1  # different destinations spread over the backends
    assert len({pick("sh", bs, destination=f"10.96.0.{i}") for i in range(50)}) == 1  # one client
    clients = Counter(pick("sh", bs, client=f"10.2.{i // 250}.{i % 250}") for i in range(1000))
    assert set(clients) == {b.ip for b in bs}


def test_sh_gives_each_backend_buckets_in_proportion_to_its_weight():
    bs = backends(3, 1)
    clients = Counter(pick("sh", bs, client=f"10.2.{i // 250}.{i % 250}") for i in range(4000))
    assert 2.5 < clients["10.1.0.1"] / clients["10.1.0.2"] < 3.5


def test_a_hashed_backend_with_weight_zero_gets_nothing_rather_than_another():
    bs = backends(1, 1)
    target = pick("sh", bs, client="10.2.0.7")
    for b in bs:
        b.weight = 0 if b.ip == target else 1
    assert pick("sh", bs, client="10.2.0.7") is None


def test_sed_weighs_the_expected_delay_and_nq_prefers_an_idle_backend():
    bs = backends(1, 4)
    bs[0].active, bs[1].active = 0, 2
    # sed: (0+1)/1 = 1 against (2+1)/4 = 0.75 -> the heavier, busier backend
    assert pick("sed", bs) == "10.1.0.2"
    # nq: the idle one, whatever the weights
    assert pick("nq", bs) == "10.1.0.1"
    bs[0].active = 1  # nobody idle: nq falls back to sed, (1+1)/1 = 2 against 0.75
    assert pick("nq", bs) == "10.1.0.2"


async def test_a_relay_pins_a_client_while_its_affinity_lasts_in_virtual_time():
    clock = FakeClock()
    relay = ServiceRelay(
        "ns/web:http", "TCP", "10.96.0.10", new_scheduler("rr"), affinity_seconds=30, clock=clock
    )
    relay.set_backends([("10.1.0.1", 80), ("10.1.0.2", 80)])
    first = relay.choose("10.2.0.1")
    assert all(relay.choose("10.2.0.1") is first for _ in range(5))
    await clock.advance(31)
    assert relay.choose("10.2.0.1") is not first  # expired: rr moves on
    await asyncio.sleep(0)


async def test_a_relay_relays_tcp_to_the_chosen_backend_and_counts_the_connection_live():
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"from backend:" + await reader.read(100))
        await writer.drain()
        await reader.read()  # held open until the client closes
        writer.close()

    backend = await asyncio.start_server(echo, "127.0.0.1", 0)
    port = backend.sockets[0].getsockname()[1]
    relay = ServiceRelay("ns/web:http", "TCP", "10.96.0.10", new_scheduler("lc"), bind="127.0.0.1")
    relay.set_backends([("127.0.0.1", port)])
    await relay.start()
    reader, writer = await asyncio.open_connection("127.0.0.1", relay.port)
    writer.write(b"hi")
    assert await reader.read(100) == b"from backend:hi"
    assert relay.backends[0].active == 1
    writer.close()
    for _ in range(100):
        if relay.backends[0].active == 0:
            break
        await asyncio.sleep(0.01)
    assert relay.backends[0].active == 0
    await relay.stop()
    backend.close()
