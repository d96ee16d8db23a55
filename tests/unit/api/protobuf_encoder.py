"""A protobuf encoder for tests only, driven by kubelite's own descriptor tables.

It lays fields out the way Go's generated code does (unpacked repeated numbers,
map entries as `{1: key, 2: value}` messages, zero Time as an empty message),
so decoding its output must give back the JSON it was fed.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from typing import Any

from kubelite.api import protobuf
from kubelite.api.protobuf import descriptors
from kubelite.api.protobuf.descriptors import Message, Shape


def varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def key(number: int, wire_type: int) -> bytes:
    return varint(number << 3 | wire_type)


def ld(number: int, payload: bytes) -> bytes:
    return key(number, 2) + varint(len(payload)) + payload


def _encode_special(name: str, value: Any) -> bytes:
    if name in ("Time", "MicroTime"):
        if value is None:
            return b""
        t = dt.datetime.fromisoformat(value)
        seconds = int((t - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)).total_seconds() // 1)
        nanos = t.microsecond * 1000 if name == "MicroTime" else 0
        return key(1, 0) + varint(seconds) + (key(2, 0) + varint(nanos) if nanos else b"")
    if name == "IntOrString":
        if isinstance(value, str):
            return key(1, 0) + varint(1) + ld(3, value.encode())
        return key(1, 0) + varint(0) + key(2, 0) + varint(value)
    if name == "Quantity":
        return ld(1, value.encode())
    if name in ("RawExtension", "FieldsV1"):
        return ld(1, json.dumps(value).encode())
    raise AssertionError(f"no test encoding for {name}")


def _encode_scalar(type_name: str, number: int, value: Any) -> bytes:
    if type_name == "str":
        return ld(number, value.encode())
    if type_name == "bytes":
        return ld(number, base64.b64decode(value))
    if type_name in ("i32", "i64", "bool"):
        return key(number, 0) + varint(int(value))
    raise AssertionError(type_name)


def _encode_value(type_name: str, number: int, value: Any) -> bytes:
    if type_name in descriptors.SCALARS:
        return _encode_scalar(type_name, number, value)
    return ld(number, encode_message(descriptors.message(type_name), value))


def encode_message(msg: Message, obj: Any) -> bytes:
    """Encode a JSON-shaped value as `msg`, the way Go's generated code would lay it out."""
    if msg.name in descriptors.SPECIALS:
        return _encode_special(msg.name, obj)
    if msg.items is not None:
        obj = {"items": obj}
    out = bytearray()
    for f in msg.fields.values():
        if f.inline:
            out += ld(f.number, encode_message(descriptors.message(f.type), obj))
            continue
        if f.json not in obj:
            continue
        value = obj[f.json]
        if f.shape is Shape.LIST:
            for item in value:
                out += _encode_value(f.type, f.number, item)
        elif f.shape is Shape.MAP:
            for k, v in value.items():
                out += ld(f.number, ld(1, k.encode()) + _encode_value(f.type, 2, v))
        else:
            out += _encode_value(f.type, f.number, value)
    return bytes(out)


def envelope(api_version: str, kind: str, raw: bytes) -> bytes:
    type_meta = ld(1, api_version.encode()) + ld(2, kind.encode())
    return protobuf.MAGIC + ld(1, type_meta) + ld(2, raw) + ld(4, protobuf.PROTOBUF_CONTENT_TYPE.encode())


def encode_object(obj: dict[str, Any]) -> bytes:
    msg = descriptors.lookup_kind(obj["apiVersion"], obj["kind"])
    assert msg is not None
    body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind")}
    return envelope(obj["apiVersion"], obj["kind"], encode_message(msg, body))
