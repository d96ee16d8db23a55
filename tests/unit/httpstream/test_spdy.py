"""A SPDY connection between two ends in memory: streams, half-close, resets, pings, GOAWAY."""

from __future__ import annotations

import asyncio

import pytest

from kubelite.httpstream import spdyframes as f
from kubelite.httpstream.spdy import QUEUE_CHUNKS, SpdyConnection
from kubelite.httpstream.testing import memory_pair


async def test_a_client_stream_is_accepted_and_carries_data_both_ways_with_half_close():
    a, b = memory_pair()
    async with SpdyConnection(a, server=False) as client, SpdyConnection(b, server=True) as server:
        opened = asyncio.create_task(client.create_stream({"streamtype": ["stdin"]}))
        accepted = await server.accept()
        stream = await opened
        assert accepted is not None and (stream.id, accepted.id) == (1, 1)
        assert accepted.header("streamType") == "stdin"
        await stream.write(b"hello ")
        await stream.write(b"world")
        await stream.close()  # the client is done sending; it can still read
        assert await accepted.read_all() == b"hello world"
        await accepted.write(b"back")
        await accepted.close()
        assert await stream.read_all() == b"back"


async def test_server_streams_have_even_ids_and_a_second_client_stream_is_3():
    a, b = memory_pair()
    async with SpdyConnection(a, server=False) as client, SpdyConnection(b, server=True) as server:
        accept = asyncio.create_task(client.accept())
        s = await server.create_stream({"x": ["1"]})
        assert s.id == 2 and (await accept).id == 2
        t = asyncio.create_task(client.create_stream({"x": ["2"]}))
        await server.accept()
        assert (await t).id == 1


async def test_a_reset_ends_both_directions():
    a, b = memory_pair()
    async with SpdyConnection(a, server=False) as client, SpdyConnection(b, server=True) as server:
        opened = asyncio.create_task(client.create_stream({}))
        accepted = await server.accept()
        stream = await opened
        await accepted.cancel()
        assert await stream.read() == b""
        with pytest.raises(ConnectionResetError):
            await stream.write(b"late")


async def test_the_peers_pings_are_echoed():
    a, b = memory_pair()
    async with SpdyConnection(b, server=True):
        codec = f.FrameCodec()
        await a.write(codec.encode(f.Ping(1)))  # a client's ping: odd
        echoed = await a.read()
        assert list(codec.feed(echoed)) == [f.Ping(1)]


async def test_goaway_or_the_connection_ending_ends_every_stream():
    a, b = memory_pair()
    client = SpdyConnection(a, server=False)
    async with client, SpdyConnection(b, server=True) as server:
        opened = asyncio.create_task(client.create_stream({}))
        accepted = await server.accept()
        stream = await opened
        await accepted.write(b"last words")
        await server.close()
        assert await stream.read_all() == b"last words"
        assert await client.accept() is None
        await asyncio.wait_for(client.closed.wait(), 5)


async def test_a_slow_reader_holds_back_the_connection_but_loses_nothing():
    a, b = memory_pair()
    async with SpdyConnection(a, server=False) as client, SpdyConnection(b, server=True) as server:
        opened = asyncio.create_task(client.create_stream({}))
        accepted = await server.accept()
        stream = await opened
        chunks = [bytes([i % 256]) * 1000 for i in range(QUEUE_CHUNKS * 3)]
        for c in chunks:
            await stream.write(c)
        await stream.close()
        assert await accepted.read_all() == b"".join(chunks)


async def test_a_frame_of_another_spdy_version_ends_the_connection_with_a_protocol_error():
    a, b = memory_pair()
    async with SpdyConnection(b, server=True) as server:
        await a.write(b"\x80\x02\x00\x01\x00\x00\x00\x00")  # SPDY/2
        await asyncio.wait_for(server.closed.wait(), 5)
        sent = list(f.FrameCodec().feed(bytes(b.written)))
        assert sent == [f.GoAway(0, f.GOAWAY_PROTOCOL_ERROR)]
