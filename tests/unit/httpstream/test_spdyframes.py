"""SPDY/3.1 frames: the bytes on the wire and the header compression of SPDY/3."""

from __future__ import annotations

import struct
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kubelite.httpstream import spdyframes as f


def test_the_dictionary_is_spdy3s_header_dictionary():
    # 1423 bytes whose Adler-32 (the zlib dictionary id every SPDY/3 peer checks) is 0xe3c6a7c2
    assert len(f.DICTIONARY) == 1423
    assert zlib.adler32(f.DICTIONARY) == 0xE3C6A7C2
    assert f.DICTIONARY.startswith(b"\x00\x00\x00\x07options\x00\x00\x00\x04head")
    assert f.DICTIONARY.endswith(b"utf-,*,enq=0.")


def test_a_data_frame_is_a_stream_id_flags_length_and_the_bytes():
    codec = f.FrameCodec()
    assert codec.encode(f.Data(5, b"hi", fin=True)) == b"\x00\x00\x00\x05\x01\x00\x00\x02hi"
    assert list(f.FrameCodec().feed(b"\x00\x00\x00\x05\x01\x00\x00\x02hi")) == [f.Data(5, b"hi", True)]


def test_control_frames_carry_version_3_and_their_type():
    codec = f.FrameCodec()
    assert codec.encode(f.Ping(7)) == b"\x80\x03\x00\x06\x00\x00\x00\x04\x00\x00\x00\x07"
    assert codec.encode(f.RstStream(3, f.CANCEL)) == b"\x80\x03\x00\x03\x00\x00\x00\x08" + struct.pack(
        ">II", 3, 5
    )
    assert codec.encode(f.GoAway(4)) == b"\x80\x03\x00\x07\x00\x00\x00\x08" + struct.pack(">II", 4, 0)


def test_a_syn_streams_header_block_is_zlib_with_the_dictionary_and_a_sync_flush():
    frame = f.FrameCodec().encode(f.SynStream(1, {"streamType": ["error"]}))
    assert frame[:4] == b"\x80\x03\x00\x01"
    length = int.from_bytes(frame[5:8], "big")
    assert len(frame) == 8 + length
    assert frame[8:16] == struct.pack(">II", 1, 0) and frame[16:18] == b"\x00\x00"
    compressed = frame[18:]
    assert compressed.endswith(b"\x00\x00\xff\xff")  # Z_SYNC_FLUSH: the block stands complete
    block = zlib.decompressobj(zdict=f.DICTIONARY).decompress(compressed)
    # names go out lowercased, as Go's framer writes them
    assert (
        block
        == struct.pack(">I", 1) + struct.pack(">I", 10) + b"streamtype" + struct.pack(">I", 5) + b"error"
    )


def test_header_compression_state_runs_across_frames_of_one_connection():
    sender, receiver = f.FrameCodec(), f.FrameCodec()
    frames = [
        f.SynStream(1, {"streamtype": ["error"]}),
        f.SynStream(3, {"streamtype": ["stdout"]}),
        f.SynReply(3, {}),
        f.HeadersFrame(3, {"port": ["80"], "requestid": ["0"]}, fin=True),
    ]
    wire = f.encode_all(sender, frames)
    # the second block refers back to the first: alone it would not decompress
    assert list(receiver.feed(wire)) == frames


def test_frames_split_anywhere_come_out_whole():
    wire = f.encode_all(f.FrameCodec(), [f.SynStream(1, {"a": ["b", "c"]}), f.Data(1, b"x" * 100), f.Ping(2)])
    codec = f.FrameCodec()
    out = []
    for i in range(len(wire)):
        out += list(codec.feed(wire[i : i + 1]))
    assert out == [f.SynStream(1, {"a": ["b", "c"]}), f.Data(1, b"x" * 100), f.Ping(2)]


def test_settings_and_window_updates_are_read_and_unknown_control_frames_skipped():
    codec = f.FrameCodec()
    unknown = b"\x80\x03\x00\x0a\x00\x00\x00\x02ab"
    wire = codec.encode(f.Settings([(0, 7, 65536)])) + unknown + codec.encode(f.WindowUpdate(1, 100))
    assert list(f.FrameCodec().feed(wire)) == [f.Settings([(0, 7, 65536)]), f.WindowUpdate(1, 100)]


@pytest.mark.parametrize(
    "wire",
    [
        b"\x80\x02\x00\x06\x00\x00\x00\x04\x00\x00\x00\x01",  # SPDY/2
        b"\x80\x03\x00\x06\x00\x00\x00\x02\x00\x01",  # a ping too short
        b"\x80\x03\x00\x02\x00\x00\x00\x08\x00\x00\x00\x01garbage!",  # headers that are not zlib
    ],
)
def test_what_is_not_spdy31_is_a_protocol_error(wire):
    with pytest.raises(f.SpdyProtocolError):
        list(f.FrameCodec().feed(wire))


names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=1, max_size=20)
values = st.lists(
    st.text(alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=30),
    min_size=1,
    max_size=3,
)


@given(st.lists(st.dictionaries(names, values, max_size=5), min_size=1, max_size=5))
def test_header_blocks_round_trip(blocks):
    sender, receiver = f.FrameCodec(), f.FrameCodec()
    frames = [f.SynStream(2 * i + 1, h) for i, h in enumerate(blocks)]
    assert list(receiver.feed(f.encode_all(sender, frames))) == frames
