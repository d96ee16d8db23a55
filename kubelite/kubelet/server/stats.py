"""Resource usage: /stats/summary and /metrics/resource, from the runtime's CRI stats.

The node's numbers come from the kernel (/proc/stat, /proc/meminfo, the root filesystem);
each container's and pod's from the runtime (CRI ListContainerStats: cumulative CPU time,
memory usage and working set). CPU rates (`usageNanoCores`) are what the kubelet computes
too when a runtime gives none: the growth of the cumulative time since the previous
sample, per container, kept in a `RateCache`.

/stats/summary is the kubelet's Summary API (stats/v1alpha1) as JSON:

    {"node": {"nodeName", "startTime", "cpu", "memory", "fs", "runtime": {"imageFs"}, "rlimit"},
     "pods": [{"podRef", "startTime", "containers": [{"name", "startTime", "cpu", "memory"}],
               "cpu", "memory"}]}

/metrics/resource is what metrics-server scrapes: node_/pod_/container_cpu_usage_seconds_total,
…_memory_working_set_bytes, container_start_time_seconds and scrape_error, stamped with the
time of the sample.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from kubelite.api.types import Object
from kubelite.cri import api_pb2 as pb
from kubelite.kubelet.criconfig import CONTAINER_NAME, POD_NAME, POD_NAMESPACE, POD_UID

Stats = dict[str, Any]


def _rfc3339(seconds: float) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(slots=True)
class RateCache:
    """The previous cumulative CPU sample per key, to turn totals into rates."""

    samples: dict[str, tuple[int, int]] = field(default_factory=dict)  # key → (time ns, usage ns)

    def rate(self, key: str, at_ns: int, usage_ns: int) -> int | None:
        previous = self.samples.get(key)
        self.samples[key] = (at_ns, usage_ns)
        if previous is None or at_ns <= previous[0] or usage_ns < previous[1]:
            return None
        return int((usage_ns - previous[1]) * 1e9 / (at_ns - previous[0]))

    def forget_except(self, keys: set[str]) -> None:
        for key in list(self.samples):
            if key not in keys:
                del self.samples[key]


@dataclass(slots=True)
class NodeSample:
    at_ns: int
    cpu_ns: int
    memory_total: int
    memory_available: int
    boot_time: float


def node_sample() -> NodeSample:
    ticks = os.sysconf("SC_CLK_TCK")
    cpu_ns, boot = 0, 0.0
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith("cpu "):
                user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in line.split()[1:9])
                cpu_ns = (user + nice + system + irq + softirq + steal) * 1_000_000_000 // ticks
            elif line.startswith("btime "):
                boot = float(line.split()[1])
    meminfo: dict[str, int] = {}
    with open("/proc/meminfo") as f:
        for line in f:
            key, _, rest = line.partition(":")
            meminfo[key] = int(rest.split()[0]) * 1024
    return NodeSample(
        time.time_ns(), cpu_ns, meminfo.get("MemTotal", 0), meminfo.get("MemAvailable", 0), boot
    )


def _cpu(at_ns: int, usage_ns: int, rate: int | None) -> Stats:
    out: Stats = {"time": _rfc3339(at_ns / 1e9), "usageCoreNanoSeconds": usage_ns}
    if rate is not None:
        out["usageNanoCores"] = rate
    return out


def _fs(path: str) -> Stats:
    st = os.statvfs(path)
    capacity, available = st.f_blocks * st.f_frsize, st.f_bavail * st.f_frsize
    return {
        "time": _rfc3339(time.time()),
        "capacityBytes": capacity,
        "availableBytes": available,
        "usedBytes": (st.f_blocks - st.f_bfree) * st.f_frsize,
        "inodesFree": st.f_favail,
        "inodes": st.f_files,
        "inodesUsed": st.f_files - st.f_ffree,
    }


def node_stats(name: str, sample: NodeSample, rates: RateCache) -> Stats:
    used = sample.memory_total - sample.memory_available
    return {
        "nodeName": name,
        "startTime": _rfc3339(sample.boot_time),
        "cpu": _cpu(sample.at_ns, sample.cpu_ns, rates.rate("", sample.at_ns, sample.cpu_ns)),
        "memory": {
            "time": _rfc3339(sample.at_ns / 1e9),
            "availableBytes": sample.memory_available,
            "usageBytes": used,
            "workingSetBytes": used,
        },
        "fs": _fs("/"),
        "runtime": {"imageFs": _fs("/")},
        "rlimit": {"time": _rfc3339(time.time()), "maxpid": _max_pid(), "curproc": len(_pids())},
    }


def _max_pid() -> int:
    try:
        with open("/proc/sys/kernel/pid_max") as f:
            return int(f.read())
    except (OSError, ValueError):
        return 0


def _pids() -> list[str]:
    return [p for p in os.listdir("/proc") if p.isdigit()]


def container_stats(s: pb.ContainerStats, started: str, rates: RateCache) -> Stats:
    cpu_ns = s.cpu.usage_core_nano_seconds.value
    rate = s.cpu.usage_nano_cores.value if s.cpu.HasField("usage_nano_cores") else None
    if rate is None:
        rate = rates.rate(s.attributes.id, s.cpu.timestamp, cpu_ns)
    return {
        "name": s.attributes.labels.get(CONTAINER_NAME, s.attributes.metadata.name),
        "startTime": started,
        "cpu": _cpu(s.cpu.timestamp, cpu_ns, rate),
        "memory": {
            "time": _rfc3339(s.memory.timestamp / 1e9),
            "usageBytes": s.memory.usage_bytes.value,
            "workingSetBytes": s.memory.working_set_bytes.value,
            "rssBytes": s.memory.rss_bytes.value,
            "pageFaults": s.memory.page_faults.value,
            "majorPageFaults": s.memory.major_page_faults.value,
        },
    }


def _sum(containers: list[Stats], part: str, keys: tuple[str, ...]) -> Stats:
    out: Stats = {"time": max((c[part]["time"] for c in containers), default=_rfc3339(time.time()))}
    for key in keys:
        values = [c[part][key] for c in containers if key in c[part]]
        if values:
            out[key] = sum(values)
    return out


def pod_stats(pod: Object, containers: list[Stats]) -> Stats:
    md = pod["metadata"]
    return {
        "podRef": {"name": md["name"], "namespace": md.get("namespace", ""), "uid": md.get("uid", "")},
        "startTime": (pod.get("status") or {}).get("startTime", md.get("creationTimestamp", "")),
        "containers": containers,
        "cpu": _sum(containers, "cpu", ("usageNanoCores", "usageCoreNanoSeconds")),
        "memory": _sum(containers, "memory", ("usageBytes", "workingSetBytes", "rssBytes")),
        "volume": [],
    }


async def summary(node: str, pods: list[Object], runtime: Any, rates: RateCache) -> Stats:
    """The Summary API document for this node now."""
    by_uid = {p["metadata"].get("uid", ""): p for p in pods}
    grouped: dict[str, list[Stats]] = {}
    seen: set[str] = {""}
    for s in await runtime.list_container_stats(pb.ContainerStatsFilter()):
        uid = s.attributes.labels.get(POD_UID, "")
        pod = by_uid.get(uid)
        if pod is None:
            continue
        seen.add(s.attributes.id)
        started = _started(pod, s.attributes.labels.get(CONTAINER_NAME, ""))
        grouped.setdefault(uid, []).append(container_stats(s, started, rates))
    rates.forget_except(seen)
    return {
        "node": node_stats(node, node_sample(), rates),
        "pods": [pod_stats(by_uid[uid], cs) for uid, cs in grouped.items()],
    }


def _started(pod: Object, name: str) -> str:
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        if cs.get("name") == name:
            return str(((cs.get("state") or {}).get("running") or {}).get("startedAt", ""))
    return ""


class ResourceMetrics:
    """A prometheus_client collector of the resource metrics, read when scraped: it holds the
    samples of the last `refresh()` (the /metrics/resource handler refreshes, then renders)."""

    def __init__(self) -> None:
        self.node: NodeSample | None = None
        self.containers: list[tuple[pb.ContainerStats, float | None]] = []
        self.error = 0

    async def refresh(self, runtime: Any, pods: list[Object]) -> None:
        self.node = node_sample()
        uids = {p["metadata"].get("uid", "") for p in pods}
        try:
            stats = await runtime.list_container_stats(pb.ContainerStatsFilter())
            starts = {c.id: c.created_at / 1e9 for c in await runtime.list_containers(pb.ContainerFilter())}
            self.error = 0
        except Exception:  # the runtime did not answer: the scrape says so
            stats, starts, self.error = [], {}, 1
        self.containers = [
            (s, starts.get(s.attributes.id)) for s in stats if s.attributes.labels.get(POD_UID) in uids
        ]

    def collect(self) -> Iterator[Metric]:
        node = self.node
        if node is not None:
            at = node.at_ns / 1e9
            cpu = CounterMetricFamily(
                "node_cpu_usage_seconds", "[STABLE] Cumulative cpu time consumed by the node in core-seconds"
            )
            cpu.add_metric([], node.cpu_ns / 1e9, timestamp=at)
            mem = GaugeMetricFamily(
                "node_memory_working_set_bytes", "[STABLE] Current working set of the node in bytes"
            )
            mem.add_metric([], node.memory_total - node.memory_available, timestamp=at)
            yield cpu
            yield mem
        yield from self._containers()
        err = GaugeMetricFamily(
            "scrape_error", "[ALPHA] 1 if there was an error while getting container metrics, 0 otherwise"
        )
        err.add_metric([], self.error)
        yield err

    def _containers(self) -> Iterator[Metric]:
        labels = ["container", "namespace", "pod"]
        cpu = CounterMetricFamily(
            "container_cpu_usage_seconds",
            "[STABLE] Cumulative cpu time consumed by the container in core-seconds",
            labels=labels,
        )
        mem = GaugeMetricFamily(
            "container_memory_working_set_bytes",
            "[STABLE] Current working set of the container in bytes",
            labels=labels,
        )
        start = GaugeMetricFamily(
            "container_start_time_seconds",
            "[STABLE] Start time of the container since unix epoch in seconds",
            labels=labels,
        )
        pod_cpu = CounterMetricFamily(
            "pod_cpu_usage_seconds",
            "[STABLE] Cumulative cpu time consumed by the pod in core-seconds",
            labels=labels[1:],
        )
        pod_mem = GaugeMetricFamily(
            "pod_memory_working_set_bytes",
            "[STABLE] Current working set of the pod in bytes",
            labels=labels[1:],
        )
        pods: dict[tuple[str, str], list[float]] = {}
        for s, started in self.containers:
            a = s.attributes.labels
            key = [a.get(CONTAINER_NAME, ""), a.get(POD_NAMESPACE, ""), a.get(POD_NAME, "")]
            at = s.cpu.timestamp / 1e9
            cpu.add_metric(key, s.cpu.usage_core_nano_seconds.value / 1e9, timestamp=at)
            mem.add_metric(key, s.memory.working_set_bytes.value, timestamp=at)
            if started is not None:
                start.add_metric(key, started, timestamp=at)
            totals = pods.setdefault((key[1], key[2]), [0.0, 0.0, at])
            totals[0] += s.cpu.usage_core_nano_seconds.value / 1e9
            totals[1] += s.memory.working_set_bytes.value
        for (namespace, pod), (c, m, at) in pods.items():
            pod_cpu.add_metric([namespace, pod], c, timestamp=at)
            pod_mem.add_metric([namespace, pod], m, timestamp=at)
        yield from (cpu, mem, start, pod_cpu, pod_mem)
