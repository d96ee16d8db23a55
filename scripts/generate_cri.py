"""Regenerate the CRI v1 Python bindings (kubelite/cri/api_pb2*.py*) from
`kubelite/cri/proto/api.proto`.

The generated `api_pb2.py` and `api_pb2_grpc.py` are committed, so installing kubelite
needs only the protobuf and grpcio runtimes, never the protobuf compiler (grpcio-tools is
a 50 MB wheel that CI would otherwise install on every fresh clone). Run this after editing
the .proto (needs the dev extra, `pip install -e '.[dev]'`):

    python scripts/generate_cri.py

It lives outside the package: the product never imports grpcio-tools.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parents[1] / "kubelite" / "cri"


def main() -> int:
    from grpc_tools import protoc

    rc = protoc.main(
        [
            "grpc_tools.protoc",
            f"-I{HERE / 'proto'}",
            f"--python_out={HERE}",
            f"--pyi_out={HERE}",
            f"--grpc_python_out={HERE}",
            str(HERE / "proto" / "api.proto"),
        ]
    )
    if rc:
        return int(rc)
    # protoc writes `import api_pb2`; we live inside a package.
    grpc_module = HERE / "api_pb2_grpc.py"
    text = re.sub(r"^import api_pb2 as", "from . import api_pb2 as", grpc_module.read_text(), flags=re.M)
    grpc_module.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
