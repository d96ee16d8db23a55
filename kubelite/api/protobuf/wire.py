"""The protobuf wire format, read field by field.

A message on the wire is a flat run of fields; each starts with a varint key
`(number << 3) | wire_type` and is followed by its value:

    wire type 0  varint            int32, int64, bool
    wire type 1  8 bytes           double, fixed64
    wire type 2  varint length + bytes   string, bytes, nested message, packed repeated
    wire type 5  4 bytes           float, fixed32

`fields()` yields `(number, wire_type, value)` and knows nothing about
types; the descriptor tables (`descriptors.py`) say what each number means.
The writers at the end (`varint`, `field_*`) produce the same format; the
API server uses them for the one message it sends, the OpenAPI v2 document.

Why hand-written instead of the installed `protobuf` package: that package
decodes only messages it has descriptors for, so we would have to ship the
Kubernetes `.proto` files or code generated from them, and then still walk its
result to get Kubernetes' JSON shape (inlined structs, omitted zero values,
wrapper lists, Time and IntOrString). Reading the wire directly, driven by our
own tables, does both in one small pass.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator

VARINT, FIXED64, LENGTH_DELIMITED, FIXED32 = 0, 1, 2, 5

Value = int | memoryview


class WireError(ValueError):
    """The bytes are not a well-formed protobuf message."""


def read_varint(buf: memoryview, pos: int) -> tuple[int, int]:
    """The unsigned varint at `pos` and the position after it."""
    result = shift = 0
    end = len(buf)
    while True:
        if pos >= end:
            raise WireError("truncated varint")
        byte = buf[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7
        if shift >= 70:
            raise WireError("varint longer than 10 bytes")


def fields(data: bytes | memoryview) -> Iterator[tuple[int, int, Value]]:
    """Each field of one message, in wire order.

    Varints come back as unsigned ints (see `signed`), every other wire type
    as a memoryview slice of `data` (no copies).
    """
    buf = memoryview(data)
    pos, end = 0, len(buf)
    while pos < end:
        key, pos = read_varint(buf, pos)
        number, wire_type = key >> 3, key & 7
        if number == 0:
            raise WireError("field number 0")
        value: Value
        if wire_type == VARINT:
            value, pos = read_varint(buf, pos)
        elif wire_type == LENGTH_DELIMITED:
            size, pos = read_varint(buf, pos)
            value, pos = buf[pos : pos + size], pos + size
        elif wire_type == FIXED64:
            value, pos = buf[pos : pos + 8], pos + 8
        elif wire_type == FIXED32:
            value, pos = buf[pos : pos + 4], pos + 4
        else:  # 3 and 4 are proto1 groups, which Kubernetes never uses
            raise WireError(f"unsupported wire type {wire_type} for field {number}")
        if pos > end:
            raise WireError(f"field {number} runs past the end of its message")
        yield number, wire_type, value


def signed(value: int, bits: int = 64) -> int:
    """A varint read back as a two's-complement int32/int64 (negative int32s use 10 bytes)."""
    value &= (1 << 64) - 1
    if value >= 1 << 63:
        value -= 1 << 64
    if bits == 32:
        value = (value + (1 << 31)) % (1 << 32) - (1 << 31)
    return value


def packed_varints(data: bytes | memoryview) -> Iterator[int]:
    """The elements of a packed repeated varint field."""
    buf = memoryview(data)
    pos, end = 0, len(buf)
    while pos < end:
        value, pos = read_varint(buf, pos)
        yield value


def double(data: bytes | memoryview) -> float:
    if len(data) != 8:
        raise WireError("a double needs 8 bytes")
    return float(struct.unpack("<d", data)[0])


def float32(data: bytes | memoryview) -> float:
    if len(data) != 4:
        raise WireError("a float needs 4 bytes")
    return float(struct.unpack("<f", data)[0])


# --- writing ------------------------------------------------------------------------------


def varint(value: int) -> bytes:
    """`value` as a varint; negative numbers as their 64-bit two's complement (10 bytes)."""
    value &= (1 << 64) - 1
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def field_varint(number: int, value: int) -> bytes:
    """An int32, int64 or bool field."""
    return varint(number << 3 | VARINT) + varint(value)


def field_bytes(number: int, data: bytes) -> bytes:
    """A length-delimited field: bytes, an encoded message, or (`field_string`) a string."""
    return varint(number << 3 | LENGTH_DELIMITED) + varint(len(data)) + data


def field_string(number: int, value: str) -> bytes:
    return field_bytes(number, value.encode())


def field_double(number: int, value: float) -> bytes:
    return varint(number << 3 | FIXED64) + struct.pack("<d", value)
