"""Completion indexes of Indexed Jobs, and the interval strings the status writes them in.

An Indexed Job with `completions: N` is done when each index 0..N-1 has one succeeded pod.
`status.completedIndexes` lists the succeeded indexes as sorted, comma-separated ranges
("1,3-5,7"); the controller reads it back on every sync, adds the indexes of pods that
succeeded since, and creates pods for the lowest indexes that are neither succeeded nor
running.
"""

from __future__ import annotations

from kubelite.api.types import Object
from kubelite.controllers.job.pods import COMPLETION_INDEX, COMPLETION_INDEX_ENV, UNKNOWN_INDEX

Intervals = list[tuple[int, int]]  # inclusive (first, last), sorted, disjoint, not adjacent


def parse(text: str, completions: int) -> set[int]:
    """The indexes in an interval string below `completions`; bad parts are skipped."""
    out: set[int] = set()
    for part in (text or "").split(","):
        if not part:
            continue
        first, _, last = part.partition("-")
        try:
            lo, hi = int(first), int(last or first)
        except ValueError:
            continue
        out.update(range(max(lo, 0), min(hi, completions - 1) + 1))
    return out


def format_indexes(indexes: set[int]) -> str:
    """Sorted indexes as "0-2,4,6-7"."""
    parts: list[str] = []
    run: list[int] = []
    for ix in sorted(indexes):
        if run and ix == run[-1] + 1:
            run.append(ix)
            continue
        if run:
            parts.append(_run(run))
        run = [ix]
    if run:
        parts.append(_run(run))
    return ",".join(parts)


def _run(run: list[int]) -> str:
    return str(run[0]) if len(run) == 1 else f"{run[0]}-{run[-1]}"


def first_pending(count: int, completions: int, taken: set[int]) -> list[int]:
    """The `count` lowest indexes below `completions` not in `taken`."""
    out: list[int] = []
    ix = 0
    while len(out) < count and ix < completions:
        if ix not in taken:
            out.append(ix)
        ix += 1
    return out


def index_env() -> Object:
    return {
        "name": COMPLETION_INDEX_ENV,
        "valueFrom": {"fieldRef": {"fieldPath": f"metadata.annotations['{COMPLETION_INDEX}']"}},
    }


def with_index(template: Object, job_name: str, index: int) -> Object:
    """`template` (a copy, changed in place) made into index `index`'s pod template: the
    annotation and label, the JOB_COMPLETION_INDEX env of every container, and the
    hostname `<job>-<index>`."""
    md = template.setdefault("metadata", {})
    md.setdefault("annotations", {})[COMPLETION_INDEX] = str(index)
    md.setdefault("labels", {})[COMPLETION_INDEX] = str(index)
    spec = template.setdefault("spec", {})
    for container in (spec.get("initContainers") or []) + (spec.get("containers") or []):
        env = container.setdefault("env", [])
        if not any(e.get("name") == COMPLETION_INDEX_ENV for e in env):
            env.append(index_env())
    if not spec.get("hostname"):
        spec["hostname"] = f"{job_name}-{index}"
    return template


def generate_name(job_name: str, index: int) -> str:
    """`<job>-<index>-`, shortened the way the API server shortens generateName."""
    prefix = f"{job_name}-{index}-"
    if len(prefix) > 58:
        prefix = f"{job_name[: 58 - len(str(index)) - 2]}-{index}-"
    return prefix


__all__ = ["UNKNOWN_INDEX", "Intervals", "first_pending", "format_indexes", "generate_name", "parse"]
