"""Regenerate tests/unit/api/protobuf_fields.json: the field facts of Kubernetes' `generated.proto`.

kubelite decodes protobuf request bodies with hand-written field tables
(kubelite/api/protobuf/*.py). tests/unit/api/test_protobuf_fields.py checks every table entry
against this data file, which holds only facts read from Kubernetes' published protobuf
definitions: for every message of every package the tables describe, and for the special
messages the decoder converts itself (Time, Quantity, IntOrString, ...), each field's name,
number and kind (scalar type or message name; `repeated` or `map<string,V>`).

Run it with checkouts of k8s.io/api and k8s.io/apimachinery at the same release tag (the
decoder follows the newest release; see descriptors.py)::

    git clone -q --depth 1 --branch v0.36.3 https://github.com/kubernetes/api /tmp/k8s/api
    git clone -q --depth 1 --branch v0.36.3 https://github.com/kubernetes/apimachinery /tmp/k8s/apimachinery
    python scripts/protobuf_fields.py --api /tmp/k8s/api --apimachinery /tmp/k8s/apimachinery \\
        --ref v0.36.3

Run it with the project's environment (`pip install -e '.[dev]'`: kubelite for the list of
packages, grpcio-tools for protoc); protoc parses the .proto files, so nothing here
depends on their layout or comments. Without `--output` it rewrites the committed data file.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "tests" / "unit" / "api" / "protobuf_fields.json"
META = "meta/v1"
# protobuf's FieldDescriptorProto.Type numbers, named as in .proto files.
SCALARS = {1: "double", 2: "float", 3: "int64", 5: "int32", 8: "bool", 9: "string", 12: "bytes", 13: "uint32"}
TYPE_MESSAGE, LABEL_REPEATED = 11, 3


def proto_file(package: str) -> str:
    """The import path of a kubelite package id's generated.proto ("core/v1", "meta/v1")."""
    if package == META:
        return "k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto"
    return f"k8s.io/api/{package}/generated.proto"


def proto_package(package: str) -> str:
    """The protobuf package of a kubelite package id: "core/v1" -> "k8s.io.api.core.v1"."""
    return proto_file(package).removesuffix("/generated.proto").replace("/", ".")


def descriptor_set(api: Path, apimachinery: Path, files: list[str]) -> Any:
    """protoc's parse of `files` (and their imports), as a FileDescriptorSet."""
    from google.protobuf import descriptor_pb2
    from grpc_tools import protoc  # type: ignore[import-untyped]

    with tempfile.TemporaryDirectory() as tmp:
        include = Path(tmp) / "include" / "k8s.io"
        include.mkdir(parents=True)
        (include / "api").symlink_to(api.resolve())
        (include / "apimachinery").symlink_to(apimachinery.resolve())
        out = Path(tmp) / "set.pb"
        argv = ["protoc", f"-I{include.parent}", "--include_imports", f"--descriptor_set_out={out}", *files]
        if protoc.main(argv) != 0:
            raise SystemExit("protoc could not parse the .proto files")
        parsed = descriptor_pb2.FileDescriptorSet()
        parsed.ParseFromString(out.read_bytes())
        return parsed


def kind(field: Any, maps: dict[str, str]) -> str:
    """`string`, `k8s.io.api.core.v1.PodSpec`, `repeated string` or `map<string,string>`."""
    if field.type == TYPE_MESSAGE:
        name = field.type_name.lstrip(".")
        if name in maps:
            return maps[name]
    else:
        name = SCALARS[field.type]
    return f"repeated {name}" if field.label == LABEL_REPEATED else name


def facts(fds: Any, packages: list[str], specials: frozenset[str]) -> dict[str, list[list[object]]]:
    """Each message of `packages` as "core/v1.Pod" -> [[name, number, kind], ...], then the
    special messages the decoder converts itself (Time, Quantity, ...) under their full names."""
    wanted = {proto_package(p): p for p in packages}
    maps: dict[str, str] = {}  # the synthetic entry messages of map fields -> "map<K,V>"
    for f in fds.file:
        for m in f.message_type:
            for nested in m.nested_type:
                if nested.options.map_entry:
                    key, value = (kind(x, {}) for x in nested.field)
                    maps[f"{f.package}.{m.name}.{nested.name}"] = f"map<{key},{value}>"
    described: dict[str, list[list[object]]] = {}
    special: dict[str, list[list[object]]] = {}
    for f in fds.file:
        for m in f.message_type:
            fields = [[x.name, x.number, kind(x, maps)] for x in sorted(m.field, key=lambda x: x.number)]
            if f.package in wanted:
                described[f"{wanted[f.package]}.{m.name}"] = fields
            if m.name in specials and f.package.startswith("k8s.io.apimachinery."):
                special[f"{f.package}.{m.name}"] = fields
    return dict(sorted(described.items())) | dict(sorted(special.items()))


def write(path: Path, sources: dict[str, str], messages: dict[str, list[list[object]]]) -> None:
    """One message per line, so a regeneration diffs message by message."""
    lines = [
        f"{json.dumps(name)}: {json.dumps(fields, separators=(',', ':'))}"
        for name, fields in messages.items()
    ]
    text = '{"sources": ' + json.dumps(sources, sort_keys=True) + ',\n"messages": {\n'
    path.write_text(text + ",\n".join(lines) + "\n}}\n")


def main(argv: list[str] | None = None) -> int:
    from kubelite.api.protobuf.descriptors import PACKAGES, SPECIALS

    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--api", type=Path, required=True, help="a checkout of k8s.io/api")
    p.add_argument("--apimachinery", type=Path, required=True, help="a checkout of k8s.io/apimachinery")
    p.add_argument("--ref", required=True, help="the tag both checkouts are at, recorded in the file")
    p.add_argument("--output", type=Path, default=OUTPUT)
    args = p.parse_args(argv)
    packages = sorted(PACKAGES)
    fds = descriptor_set(args.api, args.apimachinery, [proto_file(p) for p in packages])
    sources = {"k8s.io/api": args.ref, "k8s.io/apimachinery": args.ref}
    write(args.output, sources, facts(fds, packages, SPECIALS))
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
