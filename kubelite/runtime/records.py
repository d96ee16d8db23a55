"""What the runtime persists about sandboxes and containers, one directory each.

```
ROOT/sandboxes/<id>/sandbox.json   SandboxRecord        ROOT/containers/<id>/container.json  ContainerRecord
                    config.pb      the CRI config                         config.pb       the CRI config
                    network.json   the CNI result (DEL)                   bundle/         config.json, rootfs
                    ns/{net,ipc,uts,pid} namespaces                  upper/ work/    overlay layers
                    hostname hosts resolv.conf                            monitor.json created pid exit.json
```

Records are written atomically (temporary file + rename). The runtime's memory is only a
cache of these directories: `load_all` rebuilds it after a restart.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(slots=True)
class SandboxRecord:
    id: str
    name: str
    namespace: str
    uid: str
    attempt: int
    created_at: int
    ready: bool = True
    host_network: bool = False
    cgroup_parent: str = ""
    ip: str = ""
    additional_ips: list[str] = field(default_factory=list)
    runtime_handler: str = ""
    pid_holder: int = 0  # the process holding the pod's shared PID namespace (0: none)

    FILE = "sandbox.json"


@dataclass(slots=True)
class ContainerRecord:
    id: str
    sandbox_id: str
    name: str
    attempt: int
    image: str
    image_id: str
    created_at: int
    log_path: str = ""
    image_ref: str = ""  # the image's repo digest (what Kubernetes shows as imageID); "": image_id
    cgroup: str = ""
    started_at: int = 0
    stop_signal: int = 15
    removing: bool = False

    FILE = "container.json"


def save(directory: Path, record: Any) -> None:
    tmp = directory / f".{record.FILE}.tmp"
    tmp.write_text(json.dumps(asdict(record)))
    os.replace(tmp, directory / record.FILE)


def load(directory: Path, cls: type[T]) -> T | None:
    try:
        data = json.loads((directory / cls.FILE).read_text())  # type: ignore[attr-defined]
    except (OSError, ValueError):
        return None
    names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: v for k, v in data.items() if k in names})


def load_all(root: Path, cls: type[T]) -> dict[str, T]:
    out: dict[str, T] = {}
    if root.is_dir():
        for d in sorted(root.iterdir()):
            rec = load(d, cls)
            if rec is not None:
                out[d.name] = rec
    return out
