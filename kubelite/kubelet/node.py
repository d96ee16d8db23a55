"""The real node: its facts from the host and the runtime, its health from both.

`node_facts` builds what the Node says about this machine (labels, capacity, allocatable,
addresses, nodeInfo with the runtime's name and version); `NodeHealth` keeps the
conditions current: Ready follows the runtime's RuntimeReady and NetworkReady conditions,
MemoryPressure and DiskPressure follow the hard eviction thresholds.
"""

from __future__ import annotations

import logging
import shutil
from typing import Any

import kubelite
from kubelite.api.quantity import parse_quantity
from kubelite.kubelet.hostinfo import HostInfo, allocatable, capacity
from kubelite.kubelet.nodestatus import Conditions, NodeFacts, healthy_conditions
from kubelite.kubelet.options import KubeletOptions

log = logging.getLogger("kubelite.kubelet.node")


def node_facts(options: KubeletOptions, host: HostInfo, runtime_version: str) -> NodeFacts:
    name = options.node_name or host.hostname
    labels = {
        "kubernetes.io/hostname": name,
        "kubernetes.io/os": host.operating_system,
        "kubernetes.io/arch": host.architecture,
        "beta.kubernetes.io/os": host.operating_system,
        "beta.kubernetes.io/arch": host.architecture,
        **options.node_labels,
    }
    cap = capacity(host, options.max_pods)
    alloc = allocatable(cap, [options.system_reserved, options.kube_reserved], options.eviction_hard_memory)
    info = {
        "machineID": host.machine_id,
        "systemUUID": host.system_uuid,
        "bootID": host.boot_id,
        "kernelVersion": host.kernel_version,
        "osImage": host.os_image,
        "containerRuntimeVersion": runtime_version,
        "kubeletVersion": kubelite.KUBERNETES_VERSION,
        "kubeProxyVersion": "",
        "operatingSystem": host.operating_system,
        "architecture": host.architecture,
    }
    addresses = [dict(a) for a in host.addresses]
    if addresses and addresses[-1]["type"] == "Hostname":
        addresses[-1]["address"] = name
    return NodeFacts(
        name=name,
        labels=labels,
        capacity=cap,
        allocatable=alloc,
        addresses=addresses,
        node_info=info,
        taints=list(options.register_with_taints),
    )


def _mem_available() -> int | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return None


class NodeHealth:
    """The node's conditions, refreshed by `refresh()` (the status loop calls it)."""

    def __init__(self, runtime: Any, options: KubeletOptions) -> None:
        self.runtime = runtime
        self.options = options
        self.runtime_ok = False
        self.runtime_message = "container runtime status check may not have completed yet"

    async def refresh(self) -> None:
        try:
            st = await self.runtime.status()
            bad = [c for c in st.status.conditions if not c.status]
            self.runtime_ok = not bad
            self.runtime_message = "; ".join(
                f"{c.type}=false reason:{c.reason} message:{c.message}" for c in bad
            )
        except Exception as err:
            self.runtime_ok, self.runtime_message = False, f"container runtime is down: {err}"

    def conditions(self) -> Conditions:
        conds = healthy_conditions()
        avail = _mem_available()
        threshold = parse_quantity(self.options.eviction_hard_memory).value()
        if avail is not None and avail < threshold:
            conds["MemoryPressure"] = (
                "True",
                "KubeletHasInsufficientMemory",
                "kubelet has insufficient memory available",
            )
        try:
            du = shutil.disk_usage(str(self.options.pod_log_dir.parent))
            if du.free < du.total * 0.10:
                conds["DiskPressure"] = ("True", "KubeletHasDiskPressure", "kubelet has disk pressure")
        except OSError:
            pass
        if not self.runtime_ok:
            conds["Ready"] = ("False", "KubeletNotReady", self.runtime_message)
        return conds
