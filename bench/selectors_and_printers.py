"""How long selector matching, field extraction and Table building take for 10,000 pods.

    python bench/selectors_and_printers.py

Prints the best and median of several runs, in milliseconds of wall time and of this
process's CPU time (the CPU column is steadier on a shared machine).
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from collections.abc import Callable
from typing import Any

from kubelite.api.resources import default_catalog
from kubelite.api.selectors import LabelSelector, object_fields, parse_field_selector, parse_label_selector
from kubelite.apiserver.printers import table_for

PODS = next(t for t in default_catalog() if t.group == "" and t.plural == "pods")
NOW = dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)
COUNT = 10_000


def make_pod(i: int) -> dict[str, Any]:
    ip = f"10.0.{i // 256 % 256}.{i % 256}"
    last = {"terminated": {"exitCode": 1, "finishedAt": "2024-05-01T11:00:00Z"}}
    restarted = {"lastState": last} if i % 3 else {}
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": f"web-{i:05d}",
            "namespace": f"ns-{i % 20}",
            "uid": f"uid-{i}",
            "resourceVersion": str(1000 + i),
            "creationTimestamp": f"2024-05-01T10:{i % 60:02d}:{i % 60:02d}Z",
            "labels": {"app": f"app-{i % 50}", "pod-template-hash": "5d8f9c", "tier": "backend"},
        },
        "spec": {
            "nodeName": f"node-{i % 100}",
            "restartPolicy": "Always",
            "serviceAccountName": "default",
            "containers": [{"name": "web", "image": "nginx:1.25"}, {"name": "proxy", "image": "envoy"}],
        },
        "status": {
            "phase": "Running",
            "podIP": ip,
            "podIPs": [{"ip": ip}],
            "conditions": [
                {"type": "Initialized", "status": "True"},
                {"type": "Ready", "status": "True"},
                {"type": "PodScheduled", "status": "True"},
            ],
            "containerStatuses": [
                {
                    "name": "web",
                    "ready": True,
                    "restartCount": i % 3,
                    "state": {"running": {"startedAt": "2024-05-01T10:00:00Z"}},
                    **restarted,
                },
                {
                    "name": "proxy",
                    "ready": True,
                    "restartCount": 0,
                    "state": {"running": {"startedAt": "2024-05-01T10:00:00Z"}},
                },
            ],
        },
    }


def measure(fn: Callable[[], object], runs: int = 7) -> tuple[float, float, float, float]:
    walls, cpus = [], []
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        fn()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return (min(walls) * 1e3, statistics.median(walls) * 1e3, min(cpus) * 1e3, statistics.median(cpus) * 1e3)


def _match_all(selector: LabelSelector, labels: list[dict[str, str]]) -> Callable[[], object]:
    matches = selector.matches
    return lambda: [matches(x) for x in labels]


def main() -> None:
    pods = [make_pod(i) for i in range(COUNT)]
    labels = [p["metadata"]["labels"] for p in pods]
    cases: list[tuple[str, Callable[[], object]]] = []
    for text in ("app=app-7", "app=app-7,tier=backend", "app in (app-1,app-2),tier!=frontend", "!canary"):
        cases.append((f"label matches  {text}", _match_all(parse_label_selector(text), labels)))
    fields = parse_field_selector("spec.nodeName=node-7,status.phase!=Succeeded", PODS)
    cases += [
        ("object_fields(pods)", lambda: [object_fields(PODS, p) for p in pods]),
        ("object_fields + field matches", lambda: [fields.matches(object_fields(PODS, p)) for p in pods]),
        ("table_for(pods), PartialObjectMetadata rows", lambda: table_for(PODS, pods, now=NOW)),
        ("table_for(pods), no objects", lambda: table_for(PODS, pods, include_object="None", now=NOW)),
    ]
    print(f"{COUNT} pods; milliseconds per pass")
    print(f"{'operation':48} {'wall best':>10} {'wall med':>9} {'cpu best':>9} {'cpu med':>8}")
    for name, fn in cases:
        wall_best, wall_median, cpu_best, cpu_median = measure(fn)
        print(f"{name:48} {wall_best:10.1f} {wall_median:9.1f} {cpu_best:9.1f} {cpu_median:8.1f}")


if __name__ == "__main__":
    main()
