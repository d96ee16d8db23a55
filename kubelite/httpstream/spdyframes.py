"""SPDY/3.1 frames to and from bytes, with the zlib-compressed header blocks of SPDY/3.

Every frame starts with 8 bytes; the first bit tells a control frame from a data frame:

```
control  |1| version = 3 (15) | type (16) |  flags (8) | length (24) | payload
data     |0| stream id (31)               |  flags (8) | length (24) | data
```

The control frames Kubernetes' streams use (moby/spdystream, the library client-go and the
kubelet speak):

| type | frame         | payload                                                          |
|------|---------------|------------------------------------------------------------------|
| 1    | SYN_STREAM    | stream id, associated-to id, priority (3 bits) and slot, headers |
| 2    | SYN_REPLY     | stream id, headers                                               |
| 3    | RST_STREAM    | stream id, status code                                           |
| 4    | SETTINGS      | count, then (flags 8 / id 24, value 32) per entry                |
| 6    | PING          | ping id (odd from the client, even from the server)              |
| 7    | GOAWAY        | last good stream id, status code                                 |
| 8    | HEADERS       | stream id, headers                                               |
| 9    | WINDOW_UPDATE | stream id, delta                                                 |

Flag 0x01 is FIN (the sender's half of the stream ends) on SYN_STREAM, SYN_REPLY, HEADERS and
data frames; 0x02 on SYN_STREAM makes the stream unidirectional.

A header block is a count and length-prefixed lowercase names and values (several values of
one name joined by NUL), compressed with zlib against the SPDY/3 dictionary. Each direction of
a connection is one zlib stream: every block is compressed with the state the earlier ones
left and ends on a sync flush, so a `FrameCodec` belongs to one connection, and frames must
be encoded in the order they are written.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

VERSION = 3
MAX_LENGTH = (1 << 24) - 1  # the 24-bit length field
FLAG_FIN = 0x01
FLAG_UNIDIRECTIONAL = 0x02

SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE = 1, 2, 3, 4, 6, 7, 8, 9

# RST_STREAM status codes
PROTOCOL_ERROR, INVALID_STREAM, REFUSED_STREAM, UNSUPPORTED_VERSION, CANCEL, INTERNAL_ERROR = 1, 2, 3, 4, 5, 6
# GOAWAY status codes
GOAWAY_OK, GOAWAY_PROTOCOL_ERROR, GOAWAY_INTERNAL_ERROR = 0, 1, 2

# The SPDY/3 header compression dictionary (draft-mbelshe-httpbis-spdy-00, 2.6.10.1): these
# words (`|` stands for a space inside one), each after its length as 4 bytes big-endian,
# then the text below as it is.
_DICTIONARY_WORDS = (
    "options head post put delete trace accept accept-charset accept-encoding accept-language "
    "accept-ranges age allow authorization cache-control connection content-base content-encoding "
    "content-language content-length content-location content-md5 content-range content-type date "
    "etag expect expires from host if-match if-modified-since if-none-match if-range "
    "if-unmodified-since last-modified location max-forwards pragma proxy-authenticate "
    "proxy-authorization range referer retry-after server te trailer transfer-encoding upgrade "
    "user-agent vary via warning www-authenticate method get status 200|OK version HTTP/1.1 url "
    "public set-cookie keep-alive origin"
)
_DICTIONARY_TEXT = (
    "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505"
    "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 "
    "Unauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 "
    "Service UnavailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, "
    "Wed, Thu, Fri, Sat, Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,application/"
    "xml,application/xhtml+xml,text/plain,text/javascript,publicprivatemax-age=gzip,deflate,"
    "sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0."
)


def _dictionary() -> bytes:
    words = [w.replace("|", " ").encode() for w in _DICTIONARY_WORDS.split(" ")]
    return b"".join(struct.pack(">I", len(w)) + w for w in words) + _DICTIONARY_TEXT.encode()


DICTIONARY = _dictionary()

Headers = dict[str, list[str]]


class SpdyProtocolError(Exception):
    """The peer sent bytes that are not SPDY/3.1; the connection cannot go on."""


@dataclass(slots=True)
class SynStream:
    stream_id: int
    headers: Headers
    fin: bool = False
    unidirectional: bool = False
    associated_to: int = 0
    priority: int = 0


@dataclass(slots=True)
class SynReply:
    stream_id: int
    headers: Headers = field(default_factory=dict)
    fin: bool = False


@dataclass(slots=True)
class RstStream:
    stream_id: int
    status: int = CANCEL


@dataclass(slots=True)
class Settings:
    entries: list[tuple[int, int, int]] = field(default_factory=list)  # (flags, id, value)


@dataclass(slots=True)
class Ping:
    ping_id: int


@dataclass(slots=True)
class GoAway:
    last_good_stream_id: int = 0
    status: int = GOAWAY_OK


@dataclass(slots=True)
class HeadersFrame:
    stream_id: int
    headers: Headers = field(default_factory=dict)
    fin: bool = False


@dataclass(slots=True)
class WindowUpdate:
    stream_id: int
    delta: int


@dataclass(slots=True)
class Data:
    stream_id: int
    data: bytes = b""
    fin: bool = False


Frame = SynStream | SynReply | RstStream | Settings | Ping | GoAway | HeadersFrame | WindowUpdate | Data

_CONTROL = struct.Struct(">HHI")  # version with the control bit, type, flags and length
_WORD = struct.Struct(">I")
_TWO_WORDS = struct.Struct(">II")


def header_block(headers: Headers) -> bytes:
    """The uncompressed block: names lowercased, several values joined by NUL."""
    out = [_WORD.pack(len(headers))]
    for name, values in headers.items():
        n, v = name.lower().encode(), "\x00".join(values).encode(errors="surrogateescape")
        out += [_WORD.pack(len(n)), n, _WORD.pack(len(v)), v]
    return b"".join(out)


def parse_header_block(block: bytes) -> Headers:
    headers: Headers = {}
    try:
        (count,) = _WORD.unpack_from(block, 0)
        pos = 4
        for _ in range(count):
            name, pos = _length_prefixed(block, pos)
            value, pos = _length_prefixed(block, pos)
            text = value.decode(errors="surrogateescape")
            headers.setdefault(name.decode(errors="replace").lower(), []).extend(text.split("\x00"))
    except (struct.error, UnicodeDecodeError) as err:
        raise SpdyProtocolError(f"malformed header block: {err}") from None
    if pos != len(block):
        raise SpdyProtocolError("header block longer than its pairs")
    return headers


def _length_prefixed(block: bytes, pos: int) -> tuple[bytes, int]:
    (n,) = _WORD.unpack_from(block, pos)
    end = pos + 4 + n
    if end > len(block):
        raise struct.error("a header runs past the block")
    return block[pos + 4 : end], end


class FrameCodec:
    """Frames of one connection to and from bytes; keeps both directions' zlib state."""

    def __init__(self) -> None:
        self._compress = zlib.compressobj(9, zlib.DEFLATED, 15, 8, zlib.Z_DEFAULT_STRATEGY, DICTIONARY)
        self._decompress = zlib.decompressobj(15, zdict=DICTIONARY)
        self._buffer = bytearray()

    # ---- writing
    def encode(self, frame: Frame) -> bytes:
        if isinstance(frame, Data):
            return self._data(frame)
        kind, flags, payload = self._control_payload(frame)
        if len(payload) > MAX_LENGTH:
            raise ValueError("frame too large")
        return _CONTROL.pack(0x8000 | VERSION, kind, flags << 24 | len(payload)) + payload

    def _data(self, frame: Data) -> bytes:
        if len(frame.data) > MAX_LENGTH:
            raise ValueError("data frame too large")
        flags = FLAG_FIN if frame.fin else 0
        return _TWO_WORDS.pack(frame.stream_id & 0x7FFFFFFF, flags << 24 | len(frame.data)) + frame.data

    def _headers(self, headers: Headers) -> bytes:
        return self._compress.compress(header_block(headers)) + self._compress.flush(zlib.Z_SYNC_FLUSH)

    def _control_payload(self, f: Frame) -> tuple[int, int, bytes]:
        fin = FLAG_FIN if getattr(f, "fin", False) else 0
        if isinstance(f, SynStream):
            flags = fin | (FLAG_UNIDIRECTIONAL if f.unidirectional else 0)
            head = _TWO_WORDS.pack(f.stream_id, f.associated_to) + bytes([(f.priority & 7) << 5, 0])
            return SYN_STREAM, flags, head + self._headers(f.headers)
        if isinstance(f, SynReply):
            return SYN_REPLY, fin, _WORD.pack(f.stream_id) + self._headers(f.headers)
        if isinstance(f, HeadersFrame):
            return HEADERS, fin, _WORD.pack(f.stream_id) + self._headers(f.headers)
        if isinstance(f, RstStream):
            return RST_STREAM, 0, _TWO_WORDS.pack(f.stream_id, f.status)
        if isinstance(f, Settings):
            body = b"".join(_TWO_WORDS.pack(fl << 24 | i, v) for fl, i, v in f.entries)
            return SETTINGS, 0, _WORD.pack(len(f.entries)) + body
        if isinstance(f, Ping):
            return PING, 0, _WORD.pack(f.ping_id)
        if isinstance(f, GoAway):
            return GOAWAY, 0, _TWO_WORDS.pack(f.last_good_stream_id, f.status)
        if isinstance(f, WindowUpdate):
            return WINDOW_UPDATE, 0, _TWO_WORDS.pack(f.stream_id, f.delta)
        raise TypeError(f"not a SPDY frame: {f!r}")

    # ---- reading
    def feed(self, data: bytes) -> Iterator[Frame]:
        """The frames completed by `data` (bytes of a frame still incomplete are kept).
        Control frames of types SPDY/3.1 does not define are skipped, as the spec asks."""
        self._buffer += data
        while len(self._buffer) >= 8:
            first, second = _TWO_WORDS.unpack_from(self._buffer, 0)
            length = second & 0xFFFFFF
            if len(self._buffer) < 8 + length:
                return
            flags = second >> 24
            payload = bytes(self._buffer[8 : 8 + length])
            del self._buffer[: 8 + length]
            if first & 0x80000000 == 0:
                yield Data(first & 0x7FFFFFFF, payload, bool(flags & FLAG_FIN))
                continue
            if (first >> 16) & 0x7FFF != VERSION:
                raise SpdyProtocolError(f"unsupported SPDY version {(first >> 16) & 0x7FFF}")
            frame = self._control(first & 0xFFFF, flags, payload)
            if frame is not None:
                yield frame

    def _decompressed(self, compressed: bytes) -> Headers:
        try:
            return parse_header_block(self._decompress.decompress(compressed))
        except zlib.error as err:
            raise SpdyProtocolError(f"header block does not decompress: {err}") from None

    def _control(self, kind: int, flags: int, p: bytes) -> Frame | None:
        fin = bool(flags & FLAG_FIN)
        try:
            if kind == SYN_STREAM:
                sid, assoc = _TWO_WORDS.unpack_from(p, 0)
                headers = self._decompressed(p[10:])
                return SynStream(
                    sid & 0x7FFFFFFF,
                    headers,
                    fin,
                    bool(flags & FLAG_UNIDIRECTIONAL),
                    assoc & 0x7FFFFFFF,
                    p[8] >> 5,
                )
            if kind in (SYN_REPLY, HEADERS):
                (sid,) = _WORD.unpack_from(p, 0)
                cls = SynReply if kind == SYN_REPLY else HeadersFrame
                return cls(sid & 0x7FFFFFFF, self._decompressed(p[4:]), fin)
            if kind == RST_STREAM:
                sid, status = _TWO_WORDS.unpack_from(p, 0)
                return RstStream(sid & 0x7FFFFFFF, status)
            if kind == SETTINGS:
                (count,) = _WORD.unpack_from(p, 0)
                pairs = [_TWO_WORDS.unpack_from(p, 4 + 8 * i) for i in range(count)]
                return Settings([(fi >> 24, fi & 0xFFFFFF, v) for fi, v in pairs])
            if kind == PING:
                return Ping(_WORD.unpack_from(p, 0)[0])
            if kind == GOAWAY:
                last, status = _TWO_WORDS.unpack_from(p, 0)
                return GoAway(last & 0x7FFFFFFF, status)
            if kind == WINDOW_UPDATE:
                sid, delta = _TWO_WORDS.unpack_from(p, 0)
                return WindowUpdate(sid & 0x7FFFFFFF, delta & 0x7FFFFFFF)
        except struct.error:
            raise SpdyProtocolError(f"control frame of type {kind} is too short") from None
        return None


def encode_all(codec: FrameCodec, frames: Iterable[Frame]) -> bytes:
    return b"".join(codec.encode(f) for f in frames)
