"""Kubernetes protobuf request bodies, decoded to the JSON shape of the same object.

kubectl >= 1.32 and client-go >= 0.32 typed clients send Create, Update and
Delete bodies as `application/vnd.kubernetes.protobuf`::

    "k8s\\0"  runtime.Unknown {1: typeMeta {1: apiVersion, 2: kind},
                               2: raw (the object's message),
                               3: contentEncoding, 4: contentType}

`decode()` reads the envelope, finds the object's message by apiVersion and
kind in our tables (`descriptors`), and returns the dict a JSON client would
have sent, with `apiVersion` and `kind` filled in. The API server calls it for
that content type only; responses stay JSON (clients accept both).

    wire.py          the protobuf wire format (varints, lengths)
    descriptors.py   our compact field tables, compiled once; the package registry
    decoder.py       message -> JSON, including Time, IntOrString, Quantity, ...
    meta.py ...      the tables, one module per API group family
"""

from __future__ import annotations

from typing import Any

from kubelite.api import errors
from kubelite.api.protobuf import decoder, descriptors, wire

PROTOBUF_CONTENT_TYPE = "application/vnd.kubernetes.protobuf"
MAGIC = b"k8s\x00"

__all__ = ["MAGIC", "PROTOBUF_CONTENT_TYPE", "decode"]


def decode(body: bytes) -> dict[str, Any]:
    """The object in a `k8s\\0`-framed protobuf body, as a JSON-shaped dict.

    Raises `errors.BadRequest` for a body that is not a Kubernetes protobuf
    envelope, a kind we have no table for, or a message that does not parse.
    """
    if not body.startswith(MAGIC):
        raise errors.BadRequest(
            "unable to decode protobuf body: it does not start with the "
            "Kubernetes protobuf magic bytes k8s\\x00"
        )
    api_version, kind, raw, content_type = _envelope(body[len(MAGIC) :])
    where = f"{api_version}/{kind}"
    msg = descriptors.lookup_kind(api_version, kind)
    if msg is None:
        raise errors.BadRequest(
            f"unable to decode protobuf body for {where}: no such kind is served as protobuf"
        )
    if content_type and content_type.split(";")[0].strip() != PROTOBUF_CONTENT_TYPE:
        raise errors.BadRequest(
            f"unable to decode protobuf body for {where}: unsupported inner content type {content_type!r}"
        )
    try:
        obj = decoder.decode_message(raw, msg, decode)
    except (wire.WireError, decoder.DecodeError) as err:
        raise errors.BadRequest(f"unable to decode protobuf body for {where}: {err}") from None
    except RecursionError:  # objects nested in RawExtensions, thousands deep
        raise errors.BadRequest(f"unable to decode protobuf body for {where}: nested too deeply") from None
    return {"apiVersion": api_version, "kind": kind, **obj}


def _envelope(data: bytes) -> tuple[str, str, bytes, str]:
    """(apiVersion, kind, raw, contentType) of a runtime.Unknown."""
    api_version = kind = content_type = ""
    raw = b""
    try:
        for number, wire_type, value in wire.fields(data):
            if wire_type != wire.LENGTH_DELIMITED:
                continue
            assert not isinstance(value, int)
            if number == 1:
                for n, wt, v in wire.fields(value):
                    if wt == wire.LENGTH_DELIMITED and n in (1, 2):
                        text = bytes(v).decode()
                        api_version, kind = (text, kind) if n == 1 else (api_version, text)
            elif number == 2:
                raw = bytes(value)
            elif number == 4:
                content_type = bytes(value).decode()
            elif number == 3 and value:
                raise errors.BadRequest(
                    "unable to decode protobuf body: content encoding "
                    f"{bytes(value).decode(errors='replace')!r} is not supported"
                )
    except (wire.WireError, UnicodeDecodeError) as err:
        raise errors.BadRequest(f"unable to decode protobuf body: malformed envelope: {err}") from None
    if not kind:
        raise errors.BadRequest("unable to decode protobuf body: the envelope names no kind")
    return api_version, kind, raw, content_type
