"""Turn one protobuf message into the JSON value Kubernetes' Go types would marshal.

Driven by the tables in `descriptors`: each field on the wire is looked up by
number, converted by its type, and stored under its JSON name. Fields the
tables do not know (added by a newer client) are skipped, as proto2 allows.

The special messages follow their Go JSON marshalling:

    Time         {1: seconds, 2: nanos}      "2024-01-01T00:00:00Z" (seconds only; empty -> null)
    MicroTime    {1: seconds, 2: nanos}      "2024-01-01T00:00:00.000000Z" (empty -> null)
    Duration     {1: nanoseconds}            Go's time.Duration text: "1h0m0s", "1.5s", "0s"
    IntOrString  {1: type, 2: int, 3: str}   8080 or "50%"
    Quantity     {1: string}                 the string, as the client canonicalised it
    RawExtension {1: raw}                    the embedded JSON (or a nested k8s protobuf object)
    FieldsV1     {1: raw}                    the embedded JSON
"""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Callable
from typing import Any

import orjson

from kubelite.api.protobuf import wire
from kubelite.api.protobuf.descriptors import Field, Message, Shape, message


class DecodeError(ValueError):
    """The bytes do not match the message they are said to be."""


# A hook for RawExtension bodies that are themselves `k8s\0`-framed objects.
NestedDecoder = Callable[[bytes], Any]


def decode_message(data: bytes | memoryview, msg: Message, nested: NestedDecoder) -> Any:
    """The JSON value of `data` read as `msg`."""
    special = _SPECIALS.get(msg.name)
    if special is not None:
        return special(_numbered(data), nested)
    out: dict[str, Any] = {}
    _decode_into(out, data, msg, nested)
    if msg.items is not None:
        return out.get("items", [])
    return out


def _decode_into(out: dict[str, Any], data: bytes | memoryview, msg: Message, nested: NestedDecoder) -> None:
    for number, wire_type, raw in wire.fields(data):
        f = msg.fields.get(number)
        if f is None:
            continue
        if f.inline:
            if isinstance(raw, int) or wire_type != wire.LENGTH_DELIMITED:
                raise DecodeError(f"{msg.name}: field {number} is not a message")
            _decode_into(out, raw, message(f.type), nested)
        elif f.shape is Shape.MAP:
            key, value = _map_entry(f, wire_type, raw, nested)
            out.setdefault(f.json, {})[key] = value
        elif f.shape is Shape.LIST:
            out.setdefault(f.json, []).extend(_list_values(f, wire_type, raw, nested))
        else:
            out[f.json] = _value(f.type, wire_type, raw, nested)
    for name in msg.omit_zero:
        if name in out and _is_zero(out[name]):
            del out[name]


def _is_zero(value: Any) -> bool:
    return value is None or (isinstance(value, (str, int, float)) and not value)


def _map_entry(f: Field, wire_type: int, raw: wire.Value, nested: NestedDecoder) -> tuple[str, Any]:
    if isinstance(raw, int) or wire_type != wire.LENGTH_DELIMITED:
        raise DecodeError(f"map field {f.json} is not a message")
    key: Any = ""
    value: Any = None
    value_seen = False
    for number, item_wire_type, item in wire.fields(raw):
        if number == 1:
            key = _value("str", item_wire_type, item, nested)
        elif number == 2:
            value, value_seen = _value(f.type, item_wire_type, item, nested), True
    if not value_seen:  # an entry may leave out a zero value
        value = _zero(f.type, nested)
    return key, value


def _zero(type_name: str, nested: NestedDecoder) -> Any:
    zeros: dict[str, Any] = {
        "str": "",
        "bytes": "",
        "i32": 0,
        "i64": 0,
        "bool": False,
        "f64": 0.0,
        "f32": 0.0,
    }
    if type_name in zeros:
        return zeros[type_name]
    return decode_message(b"", message(type_name), nested)


def _list_values(f: Field, wire_type: int, raw: wire.Value, nested: NestedDecoder) -> list[Any]:
    # Go writes repeated numbers unpacked; other encoders may pack them.
    if isinstance(raw, int) or wire_type != wire.LENGTH_DELIMITED:
        return [_value(f.type, wire_type, raw, nested)]
    if f.type in ("i32", "i64", "bool"):
        return [_value(f.type, wire.VARINT, v, nested) for v in wire.packed_varints(raw)]
    if f.type in ("f64", "f32"):
        size = 8 if f.type == "f64" else 4
        wt = wire.FIXED64 if size == 8 else wire.FIXED32
        return [_value(f.type, wt, raw[i : i + size], nested) for i in range(0, len(raw), size)]
    return [_value(f.type, wire_type, raw, nested)]


def _value(type_name: str, wire_type: int, raw: wire.Value, nested: NestedDecoder) -> Any:
    if wire_type != _WIRE_TYPES.get(type_name, wire.LENGTH_DELIMITED):
        raise DecodeError(f"a {type_name} arrived with wire type {wire_type}")
    if isinstance(raw, int):  # a varint: i32, i64 or bool
        return raw != 0 if type_name == "bool" else wire.signed(raw, 32 if type_name == "i32" else 64)
    if type_name == "str":
        try:
            return bytes(raw).decode()
        except UnicodeDecodeError:
            raise DecodeError("a string field is not valid UTF-8") from None
    if type_name == "bytes":  # JSON carries []byte as standard base64
        return base64.b64encode(raw).decode()
    if type_name == "f64":
        return wire.double(raw)
    if type_name == "f32":
        return wire.float32(raw)
    return decode_message(raw, message(type_name), nested)


_WIRE_TYPES = {
    "i32": wire.VARINT,
    "i64": wire.VARINT,
    "bool": wire.VARINT,
    "f64": wire.FIXED64,
    "f32": wire.FIXED32,
}


# --- special messages -----------------------------------------------------------------------


def _numbered(data: bytes | memoryview) -> dict[int, wire.Value]:
    """A small special message as number -> last value."""
    return {number: value for number, _, value in wire.fields(data)}


def _int(fields: dict[int, wire.Value], number: int, bits: int = 64) -> int:
    value = fields.get(number, 0)
    if not isinstance(value, int):
        raise DecodeError(f"field {number} should be a varint")
    return wire.signed(value, bits)


def _bytes(fields: dict[int, wire.Value], number: int) -> bytes:
    value = fields.get(number, b"")
    if isinstance(value, int):
        raise DecodeError(f"field {number} should be length-delimited")
    return bytes(value)


_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def _timestamp(fields: dict[int, wire.Value]) -> dt.datetime:
    try:
        return _EPOCH + dt.timedelta(seconds=_int(fields, 1), microseconds=_int(fields, 2, 32) // 1000)
    except OverflowError:
        raise DecodeError("timestamp out of range") from None


def _rfc3339(t: dt.datetime) -> str:
    # Not strftime: its %Y drops the zero padding of years before 1000 on glibc.
    return f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"


def _time(fields: dict[int, wire.Value], _: NestedDecoder) -> str | None:
    if not fields:  # Go writes the zero Time as an empty message; its JSON is null
        return None
    return _rfc3339(_timestamp(fields)) + "Z"


def _micro_time(fields: dict[int, wire.Value], _: NestedDecoder) -> str | None:
    if not fields:
        return None
    t = _timestamp(fields)
    return f"{_rfc3339(t)}.{t.microsecond:06d}Z"


def _duration(fields: dict[int, wire.Value], _: NestedDecoder) -> str:
    return go_duration(_int(fields, 1))


def _int_or_string(fields: dict[int, wire.Value], _: NestedDecoder) -> int | str:
    if _int(fields, 1) == 1:
        return _bytes(fields, 3).decode()
    return _int(fields, 2, 32)


def _quantity(fields: dict[int, wire.Value], _: NestedDecoder) -> str:
    return _bytes(fields, 1).decode() or "0"


def _raw_json(fields: dict[int, wire.Value], nested: NestedDecoder) -> Any:
    raw = _bytes(fields, 1)
    if not raw:
        return None
    if raw.startswith(b"k8s\x00"):
        return nested(raw)
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise DecodeError("an embedded object is neither JSON nor Kubernetes protobuf") from None


_SPECIALS: dict[str, Callable[[dict[int, wire.Value], NestedDecoder], Any]] = {
    "Time": _time,
    "MicroTime": _micro_time,
    "Duration": _duration,
    "IntOrString": _int_or_string,
    "Quantity": _quantity,
    "RawExtension": _raw_json,
    "FieldsV1": _raw_json,
}


def go_duration(nanoseconds: int) -> str:
    """Format like Go's time.Duration.String: "72h3m0.5s", "1.5s", "2ms", "0s"."""
    if nanoseconds == 0:
        return "0s"
    sign, n = ("-", -nanoseconds) if nanoseconds < 0 else ("", nanoseconds)
    if n < 1_000_000_000:  # below one second Go picks the largest fitting unit
        for unit, size in (("ms", 1_000_000), ("µs", 1_000), ("ns", 1)):
            if n >= size:
                return sign + _decimal(n, size) + unit
    hours, rest = divmod(n, 3_600_000_000_000)
    minutes, rest = divmod(rest, 60_000_000_000)
    text = _decimal(rest, 1_000_000_000) + "s"
    if hours:
        return f"{sign}{hours}h{minutes}m{text}"
    if minutes:
        return f"{sign}{minutes}m{text}"
    return sign + text


def _decimal(value: int, unit: int) -> str:
    whole, frac = divmod(value, unit)
    if not frac:
        return str(whole)
    digits = str(frac).rjust(len(str(unit)) - 1, "0").rstrip("0")
    return f"{whole}.{digits}"
