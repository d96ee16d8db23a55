"""What the scheduler knows about pods and nodes, read once from the API objects.

A `PodInfo` is a pod with the facts every plugin asks for already worked out: its resource
requests (as NodeResourcesFit counts them), its priority, host ports, tolerations and
pod-affinity terms with their selectors compiled. It is built when the pod enters the
queue or the cache, not in every scheduling cycle.

A `NodeInfo` is a node with what is on it: the pods bound or assumed there, the sum of
their requests (`requested`, and `non_zero_requested` where a container without a cpu or
memory request counts as 100m / 200Mi, as the scoring plugins count it), the host ports in
use, the pods with (anti-)affinity, and the images the node has. Every change bumps its
`generation`, which is how the cache knows what to copy into the next snapshot.

Objects from the informers are shared; nothing here changes them.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kubelite.api.quantity import Quantity, QuantityError, parse_quantity
from kubelite.api.selectors import LabelSelector, selector_from_label_selector_object
from kubelite.api.types import Object

# A container without a cpu/memory request counts as this much when scoring (Kubernetes'
# DefaultMilliCPURequest and DefaultMemoryRequest), so empty pods still spread.
DEFAULT_MILLI_CPU_REQUEST = 100
DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024
DEFAULT_BIND_ALL_HOST_IP = "0.0.0.0"

_generation = itertools.count(1)


def next_generation() -> int:
    return next(_generation)


@dataclass(slots=True)
class Resource:
    """Amounts of cpu (milli), memory, ephemeral storage (bytes), pods and scalar resources."""

    milli_cpu: int = 0
    memory: int = 0
    ephemeral_storage: int = 0
    allowed_pods: int = 0
    scalar: dict[str, int] = field(default_factory=dict)

    def clone(self) -> Resource:
        return Resource(
            self.milli_cpu, self.memory, self.ephemeral_storage, self.allowed_pods, dict(self.scalar)
        )

    def add(self, other: Resource, sign: int = 1) -> None:
        self.milli_cpu += sign * other.milli_cpu
        self.memory += sign * other.memory
        self.ephemeral_storage += sign * other.ephemeral_storage
        for name, value in other.scalar.items():
            self.scalar[name] = self.scalar.get(name, 0) + sign * value

    def is_zero(self) -> bool:
        return not (self.milli_cpu or self.memory or self.ephemeral_storage or any(self.scalar.values()))

    def get(self, name: str) -> int:
        if name == "cpu":
            return self.milli_cpu
        if name == "memory":
            return self.memory
        if name == "ephemeral-storage":
            return self.ephemeral_storage
        if name == "pods":
            return self.allowed_pods
        return self.scalar.get(name, 0)


def _amount(name: str, raw: Any) -> int:
    try:
        q: Quantity = parse_quantity(raw)
    except QuantityError:
        return 0
    return q.milli_value() if name == "cpu" else q.value()


def is_scalar_resource(name: str) -> bool:
    """Extended (`example.com/gpu`), hugepages and attachable-volume resources."""
    return ("/" in name and not name.startswith("kubernetes.io/")) or name.startswith(
        ("hugepages-", "attachable-volumes-")
    )


def resource_list(values: Any) -> dict[str, int]:
    """A ResourceList as integers: cpu in millis, everything else in units."""
    if not isinstance(values, dict):
        return {}
    return {name: _amount(name, raw) for name, raw in values.items()}


def resource_from_list(values: dict[str, int]) -> Resource:
    r = Resource()
    for name, amount in values.items():
        if name == "cpu":
            r.milli_cpu += amount
        elif name == "memory":
            r.memory += amount
        elif name == "ephemeral-storage":
            r.ephemeral_storage += amount
        elif name == "pods":
            r.allowed_pods += amount
        elif is_scalar_resource(name):
            r.scalar[name] = r.scalar.get(name, 0) + amount
    return r


def _container_requests(c: Object, defaults: dict[str, int] | None) -> dict[str, int]:
    reqs = resource_list((c.get("resources") or {}).get("requests"))
    if defaults:
        for name, value in defaults.items():
            reqs.setdefault(name, value)
    return reqs


def _add_into(total: dict[str, int], more: dict[str, int]) -> None:
    for name, value in more.items():
        total[name] = total.get(name, 0) + value


def _max_into(total: dict[str, int], more: dict[str, int]) -> None:
    for name, value in more.items():
        if value > total.get(name, 0):
            total[name] = value


def pod_requests(pod: Object, *, non_missing: dict[str, int] | None = None) -> dict[str, int]:
    """What a pod asks for, as Kubernetes' PodRequests computes it.

    App containers run together: their requests add up. Init containers run one at a time
    before them, so the pod needs the largest of them; sidecars (init containers with
    restartPolicy Always) keep running, so each adds to everything after it. Overhead is
    added last. `non_missing` fills in a request a container leaves out (the scoring
    plugins' 100m / 200Mi).
    """
    spec = pod.get("spec") or {}
    reqs: dict[str, int] = {}
    for c in spec.get("containers") or ():
        _add_into(reqs, _container_requests(c, non_missing))
    sidecars: dict[str, int] = {}
    init_max: dict[str, int] = {}
    for c in spec.get("initContainers") or ():
        own = _container_requests(c, non_missing)
        if c.get("restartPolicy") == "Always":
            _add_into(reqs, own)
            _add_into(sidecars, own)
            own = dict(sidecars)
        else:
            own = dict(own)
            _add_into(own, sidecars)
        _max_into(init_max, own)
    _max_into(reqs, init_max)
    _add_into(reqs, resource_list(spec.get("overhead")))
    return reqs


def pod_priority(pod: Object) -> int:
    """spec.priority (set by the Priority admission plugin from priorityClassName), else 0."""
    value = (pod.get("spec") or {}).get("priority")
    return int(value) if isinstance(value, int) else 0


@dataclass(slots=True, frozen=True)
class AffinityTerm:
    """A pod (anti-)affinity term with its selectors compiled.

    The term applies to pods in `namespaces`, or in namespaces whose labels match
    `namespace_selector`; a term naming neither applies to the owning pod's namespace.
    """

    selector: LabelSelector
    topology_key: str
    namespaces: frozenset[str]
    namespace_selector: LabelSelector
    weight: int = 0

    def matches(self, pod: PodInfo, ns_labels: dict[str, str] | None) -> bool:
        if pod.namespace in self.namespaces or self.namespace_selector.matches(ns_labels or {}):
            return self.selector.matches(pod.labels)
        return False


def _selector(obj: Any) -> LabelSelector:
    try:
        return selector_from_label_selector_object(obj)
    except Exception:  # validation rejects bad selectors; a stray one matches nothing
        return LabelSelector.nothing()


def _term(namespace: str, raw: Object, weight: int = 0) -> AffinityTerm:
    names = raw.get("namespaces") or []
    ns_selector = raw.get("namespaceSelector")
    namespaces = frozenset(names) if names or ns_selector is not None else frozenset((namespace,))
    return AffinityTerm(
        _selector(raw.get("labelSelector")),
        raw.get("topologyKey") or "",
        namespaces,
        _selector(ns_selector),
        weight,
    )


def _terms(namespace: str, section: Object | None, preferred: bool) -> tuple[AffinityTerm, ...]:
    if not section:
        return ()
    if preferred:
        return tuple(
            _term(namespace, w.get("podAffinityTerm") or {}, int(w.get("weight") or 0))
            for w in section.get("preferredDuringSchedulingIgnoredDuringExecution") or ()
        )
    return tuple(
        _term(namespace, t) for t in section.get("requiredDuringSchedulingIgnoredDuringExecution") or ()
    )


@dataclass(slots=True, frozen=True)
class HostPort:
    ip: str
    protocol: str
    port: int


def _host_ports(spec: Object) -> tuple[HostPort, ...]:
    out = []
    for c in spec.get("containers") or ():
        for p in c.get("ports") or ():
            if p.get("hostPort"):
                ip = p.get("hostIP") or DEFAULT_BIND_ALL_HOST_IP
                out.append(HostPort(ip, p.get("protocol") or "TCP", int(p["hostPort"])))
    return tuple(out)


class PodInfo:
    """A pod and the facts the plugins read off it, computed once."""

    __slots__ = (
        "images",
        "key",
        "labels",
        "name",
        "namespace",
        "non_zero_cpu",
        "non_zero_memory",
        "pod",
        "preferred_affinity_terms",
        "preferred_anti_affinity_terms",
        "priority",
        "required_affinity_terms",
        "required_anti_affinity_terms",
        "requests",
        "deleting",
        "host_ports",
        "uid",
    )

    def __init__(self, pod: Object) -> None:
        self.update(pod)

    def update(self, pod: Object) -> None:
        md, spec = pod["metadata"], pod.get("spec") or {}
        self.pod = pod
        self.namespace = md.get("namespace") or "default"
        self.name = md["name"]
        self.key = f"{self.namespace}/{self.name}"
        self.uid = md.get("uid") or self.key
        self.labels: dict[str, str] = md.get("labels") or {}
        self.deleting = bool(md.get("deletionTimestamp"))
        self.priority = pod_priority(pod)
        requests = pod_requests(pod)
        self.requests = resource_from_list(requests)
        non_zero = pod_requests(
            pod, non_missing={"cpu": DEFAULT_MILLI_CPU_REQUEST, "memory": DEFAULT_MEMORY_REQUEST}
        )
        self.non_zero_cpu = non_zero.get("cpu", 0)
        self.non_zero_memory = non_zero.get("memory", 0)
        self.host_ports = _host_ports(spec)
        affinity = spec.get("affinity") or {}
        pa, paa = affinity.get("podAffinity"), affinity.get("podAntiAffinity")
        self.required_affinity_terms = _terms(self.namespace, pa, False)
        self.required_anti_affinity_terms = _terms(self.namespace, paa, False)
        self.preferred_affinity_terms = _terms(self.namespace, pa, True)
        self.preferred_anti_affinity_terms = _terms(self.namespace, paa, True)
        self.images = tuple(
            c.get("image", "") for c in [*(spec.get("initContainers") or ()), *(spec.get("containers") or ())]
        )

    @property
    def spec(self) -> Object:
        return self.pod.get("spec") or {}

    @property
    def node_name(self) -> str:
        return str(self.spec.get("nodeName") or "")

    @property
    def scheduler_name(self) -> str:
        return str(self.spec.get("schedulerName") or "default-scheduler")

    @property
    def has_affinity(self) -> bool:
        return bool(
            self.required_affinity_terms
            or self.required_anti_affinity_terms
            or self.preferred_affinity_terms
            or self.preferred_anti_affinity_terms
        )

    def __repr__(self) -> str:
        return f"PodInfo({self.key})"


@dataclass(slots=True, frozen=True)
class ImageState:
    size: int
    num_nodes: int  # how many nodes have the image (ImageLocality's spread)


class NodeInfo:
    """A node and what is on it; mutated only by the cache, copied into snapshots."""

    __slots__ = (
        "allocatable",
        "generation",
        "image_states",
        "anti_affinity_index",
        "images",
        "label_counts",
        "num_deleting",
        "labels",
        "name",
        "node",
        "non_zero_requested",
        "pods",
        "pods_with_affinity",
        "pods_with_required_anti_affinity",
        "pvc_ref_counts",
        "requested",
        "taints",
        "unschedulable",
        "used_ports",
    )

    def __init__(self, node: Object | None = None) -> None:
        self.node: Object | None = None
        self.name = ""
        # Read by Filter for every node of every cycle: kept as attributes, not looked up.
        self.labels: dict[str, str] = {}
        self.taints: list[Object] = []
        self.unschedulable = False
        self.allocatable = Resource()
        self.images: dict[str, int] = {}  # image name -> size, from node.status.images
        self.image_states: dict[str, ImageState] = {}  # filled in snapshots
        self.requested = Resource()
        self.non_zero_requested = Resource()
        self.pods: list[PodInfo] = []
        self.pods_with_affinity: list[PodInfo] = []
        self.pods_with_required_anti_affinity: list[PodInfo] = []
        self.used_ports: dict[str, set[tuple[str, int]]] = {}
        self.pvc_ref_counts: dict[str, int] = {}
        # (namespace, label key, value) -> pods here with that label: "how many pods match
        # app=web" without walking the pods (InterPodAffinity, PodTopologySpread).
        self.label_counts: dict[tuple[str, str, str], int] = {}
        self.num_deleting = 0
        # Required anti-affinity terms of the pods here, by the `key=value` their selector is
        # (None: any other selector): an incoming pod need only look under its own labels.
        self.anti_affinity_index: dict[tuple[str, str] | None, list[tuple[PodInfo, AffinityTerm]]] = {}
        self.generation = next_generation()
        if node is not None:
            self.set_node(node)

    # ---- node ----

    def set_node(self, node: Object) -> None:
        self.node = node
        self.name = node["metadata"]["name"]
        self.labels = node["metadata"].get("labels") or {}
        spec = node.get("spec") or {}
        self.taints = spec.get("taints") or []
        self.unschedulable = bool(spec.get("unschedulable"))
        status = node.get("status") or {}
        self.allocatable = resource_from_list(resource_list(status.get("allocatable")))
        self.images = {}
        for image in status.get("images") or ():
            for name in image.get("names") or ():
                self.images[name] = int(image.get("sizeBytes") or 0)
        self.generation = next_generation()

    # ---- pods ----

    def add_pod(self, pi: PodInfo) -> None:
        self.pods.append(pi)
        if pi.has_affinity:
            self.pods_with_affinity.append(pi)
        if pi.required_anti_affinity_terms:
            self.pods_with_required_anti_affinity.append(pi)
        self._account(pi, 1)

    def remove_pod(self, uid: str) -> PodInfo | None:
        for i, pi in enumerate(self.pods):
            if pi.uid == uid:
                del self.pods[i]
                self.pods_with_affinity = [p for p in self.pods_with_affinity if p.uid != uid]
                self.pods_with_required_anti_affinity = [
                    p for p in self.pods_with_required_anti_affinity if p.uid != uid
                ]
                self._account(pi, -1)
                return pi
        return None

    def _account(self, pi: PodInfo, sign: int) -> None:
        self.requested.add(pi.requests, sign)
        self.num_deleting += sign if pi.deleting else 0
        for t in pi.required_anti_affinity_terms:
            kv = single_equality(t.selector)
            if sign > 0:
                self.anti_affinity_index.setdefault(kv, []).append((pi, t))
            else:
                kept = [e for e in self.anti_affinity_index.get(kv, ()) if e[0].uid != pi.uid]
                if kept:
                    self.anti_affinity_index[kv] = kept
                else:
                    self.anti_affinity_index.pop(kv, None)
        counts, ns = self.label_counts, pi.namespace
        for k, v in pi.labels.items():
            label = (ns, k, v)
            n = counts.get(label, 0) + sign
            if n > 0:
                counts[label] = n
            else:
                counts.pop(label, None)
        self.non_zero_requested.milli_cpu += sign * pi.non_zero_cpu
        self.non_zero_requested.memory += sign * pi.non_zero_memory
        for hp in pi.host_ports:
            if sign > 0:
                self.used_ports.setdefault(hp.ip, set()).add((hp.protocol, hp.port))
            else:
                used = self.used_ports.get(hp.ip)
                if used is not None:
                    used.discard((hp.protocol, hp.port))
                    if not used:
                        del self.used_ports[hp.ip]
        for claim in pvc_names(pi.pod):
            key = f"{pi.namespace}/{claim}"
            count = self.pvc_ref_counts.get(key, 0) + sign
            if count > 0:
                self.pvc_ref_counts[key] = count
            else:
                self.pvc_ref_counts.pop(key, None)
        self.generation = next_generation()

    def port_conflict(self, hp: HostPort) -> bool:
        """Whether `hp` clashes with a port in use (0.0.0.0 clashes with every address)."""
        want = (hp.protocol, hp.port)
        if hp.ip == DEFAULT_BIND_ALL_HOST_IP:
            return any(want in used for used in self.used_ports.values())
        return want in self.used_ports.get(hp.ip, ()) or want in self.used_ports.get(
            DEFAULT_BIND_ALL_HOST_IP, ()
        )

    def clone(self) -> NodeInfo:
        c = NodeInfo.__new__(NodeInfo)
        c.node, c.name = self.node, self.name
        c.labels, c.taints, c.unschedulable = self.labels, self.taints, self.unschedulable
        c.allocatable = self.allocatable
        c.images, c.image_states = self.images, self.image_states
        c.requested = self.requested.clone()
        c.non_zero_requested = self.non_zero_requested.clone()
        c.pods = list(self.pods)
        c.pods_with_affinity = list(self.pods_with_affinity)
        c.pods_with_required_anti_affinity = list(self.pods_with_required_anti_affinity)
        c.used_ports = {ip: set(ports) for ip, ports in self.used_ports.items()}
        c.pvc_ref_counts = dict(self.pvc_ref_counts)
        c.label_counts = dict(self.label_counts)
        c.num_deleting = self.num_deleting
        c.anti_affinity_index = {k: list(v) for k, v in self.anti_affinity_index.items()}
        c.generation = self.generation
        return c

    def __repr__(self) -> str:
        return f"NodeInfo({self.name}, pods={len(self.pods)})"


@functools.lru_cache(maxsize=4096)
def single_equality(selector: LabelSelector) -> tuple[str, str] | None:
    """(key, value) when `selector` is exactly one `key=value` (the common `matchLabels`)."""
    reqs = selector.requirements
    if len(reqs) != 1 or selector.empty:
        return None
    r = reqs[0]
    if r.operator in ("=", "==") or (r.operator == "in" and len(r.values) == 1):
        return r.key, r.values[0]
    return None


def count_matching_pods(
    node: NodeInfo, selector: LabelSelector, namespaces: Iterable[str], *, skip_deleting: bool
) -> int:
    """Pods on `node` in `namespaces` whose labels match `selector` (terminating ones left out
    with `skip_deleting`); one dictionary lookup per namespace for a single `key=value`."""
    namespaces = tuple(namespaces)
    kv = single_equality(selector)
    if kv is None:
        wanted = frozenset(namespaces)
        return sum(
            1
            for p in node.pods
            if p.namespace in wanted and not (skip_deleting and p.deleting) and selector.matches(p.labels)
        )
    k, v = kv
    n = sum(node.label_counts.get((ns, k, v), 0) for ns in namespaces)
    if n and skip_deleting and node.num_deleting:
        n -= sum(1 for p in node.pods if p.deleting and p.namespace in namespaces and p.labels.get(k) == v)
    return n


def pvc_names(pod: Object) -> list[str]:
    """The PersistentVolumeClaims a pod's volumes name."""
    out = []
    for v in (pod.get("spec") or {}).get("volumes") or ():
        claim = v.get("persistentVolumeClaim")
        if claim and claim.get("claimName"):
            out.append(claim["claimName"])
    return out


def anti_affinity_terms_for(node: NodeInfo, labels: dict[str, str]) -> Iterable[tuple[PodInfo, AffinityTerm]]:
    """The required anti-affinity terms of the pods on `node` that could match a pod with
    `labels`: those whose selector is one of its `key=value` labels, and every other kind."""
    index = node.anti_affinity_index
    yield from index.get(None, ())
    for kv in labels.items():
        yield from index.get(kv, ())
