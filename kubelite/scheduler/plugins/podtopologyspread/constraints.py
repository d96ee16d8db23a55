"""Topology spread constraints as the plugin uses them, and the cluster default ones.

A constraint: spread pods matching `labelSelector` (in the pod's namespace) over the values
of `topologyKey` so that no domain has more than `maxSkew` more of them than the emptiest
domain. `whenUnsatisfiable: DoNotSchedule` makes it a filter, `ScheduleAnyway` a score.
`matchLabelKeys` adds the pod's own values of those labels to the selector. Which nodes'
domains count: `nodeAffinityPolicy` Honor (default) counts only nodes matching the pod's
nodeSelector/required node affinity; `nodeTaintsPolicy` Ignore (default) counts tainted
nodes too, Honor only those whose taints the pod tolerates.

A pod without constraints gets the cluster defaults (the plugin's `defaultingType: System`):
maxSkew 3 over kubernetes.io/hostname and 5 over topology.kubernetes.io/zone, both
ScheduleAnyway, with the selector of the Services, ReplicationControllers, ReplicaSets and
StatefulSets that select the pod (none: no constraints).
"""

from __future__ import annotations

from dataclasses import dataclass

from kubelite.api.selectors import LabelSelector, Requirement, selector_from_label_selector_object
from kubelite.api.selectors.labels import EQUALS, IN
from kubelite.api.types import Object
from kubelite.scheduler.framework.handle import Listers
from kubelite.scheduler.framework.types import NodeInfo, PodInfo, count_matching_pods
from kubelite.scheduler.plugins.helper import first_untolerated
from kubelite.scheduler.plugins.nodeaffinity.node_affinity import RequiredNodeAffinity

HOSTNAME = "kubernetes.io/hostname"
ZONE = "topology.kubernetes.io/zone"
DO_NOT_SCHEDULE, SCHEDULE_ANYWAY = "DoNotSchedule", "ScheduleAnyway"

SYSTEM_DEFAULT_CONSTRAINTS: list[Object] = [
    {"topologyKey": HOSTNAME, "whenUnsatisfiable": SCHEDULE_ANYWAY, "maxSkew": 3},
    {"topologyKey": ZONE, "whenUnsatisfiable": SCHEDULE_ANYWAY, "maxSkew": 5},
]


@dataclass(slots=True, frozen=True)
class Constraint:
    max_skew: int
    topology_key: str
    selector: LabelSelector
    min_domains: int
    honor_node_affinity: bool
    honor_taints: bool

    def counts_node(self, pod: PodInfo, node: NodeInfo, required: RequiredNodeAffinity) -> bool:
        if self.honor_node_affinity and not required.matches(node.name, node.labels):
            return False
        if self.honor_taints:
            tolerations = pod.spec.get("tolerations") or []
            if first_untolerated(node.taints, tolerations, ("NoSchedule", "NoExecute")) is not None:
                return False
        return True


def _selector(raw: Object, pod: PodInfo) -> LabelSelector:
    try:
        sel = selector_from_label_selector_object(raw.get("labelSelector"))
    except Exception:
        return LabelSelector.nothing()
    keys = raw.get("matchLabelKeys") or []
    extra = [Requirement(k, IN, (pod.labels[k],)) for k in keys if k in pod.labels]
    return LabelSelector([*sel.requirements, *extra]) if extra else sel


def parse_constraints(raw: list[Object], pod: PodInfo, when: str) -> list[Constraint]:
    out = []
    for c in raw:
        if (c.get("whenUnsatisfiable") or DO_NOT_SCHEDULE) != when:
            continue
        out.append(
            Constraint(
                max_skew=int(c.get("maxSkew") or 1),
                topology_key=c.get("topologyKey") or "",
                selector=_selector(c, pod) if "selector" not in c else c["selector"],
                min_domains=int(c.get("minDomains") or 1),
                honor_node_affinity=(c.get("nodeAffinityPolicy") or "Honor") == "Honor",
                honor_taints=(c.get("nodeTaintsPolicy") or "Ignore") == "Honor",
            )
        )
    return out


def default_selector(pod: PodInfo, listers: Listers) -> LabelSelector:
    """The combined selector of the Services, RCs, ReplicaSets and StatefulSets selecting `pod`."""
    reqs: dict[tuple[str, str, tuple[str, ...]], Requirement] = {}
    labels = pod.labels
    for svc in Listers.items(listers.services, pod.namespace):
        sel = (svc.get("spec") or {}).get("selector") or {}
        if sel and all(labels.get(k) == v for k, v in sel.items()):
            for k, v in sel.items():
                reqs[(k, EQUALS, (v,))] = Requirement(k, EQUALS, (v,))
    for rc in Listers.items(listers.replication_controllers, pod.namespace):
        sel = (rc.get("spec") or {}).get("selector") or {}
        if sel and all(labels.get(k) == v for k, v in sel.items()):
            for k, v in sel.items():
                reqs[(k, EQUALS, (v,))] = Requirement(k, EQUALS, (v,))
    for lister in (listers.replica_sets, listers.stateful_sets):
        for obj in Listers.items(lister, pod.namespace):
            try:
                sel_obj = selector_from_label_selector_object((obj.get("spec") or {}).get("selector"))
            except Exception:
                continue
            if not sel_obj.empty and sel_obj.matches(labels):
                for r in sel_obj.requirements:
                    reqs[(r.key, r.operator, r.values)] = r
    return LabelSelector(reqs.values())


def pod_constraints(
    pod: PodInfo, listers: Listers, when: str, system_defaulting: bool, defaults: list[Object]
) -> list[Constraint]:
    raw = pod.spec.get("topologySpreadConstraints") or []
    if raw:
        return parse_constraints(raw, pod, when)
    if not defaults:
        return []
    selector = default_selector(pod, listers)
    if selector.empty:
        return []
    chosen = [{**c, "selector": selector} for c in defaults]
    return parse_constraints(chosen, pod, when)


def count_matching(node: NodeInfo, selector: LabelSelector, namespace: str) -> int:
    """Pods on `node` in `namespace` matching `selector`, terminating ones left out."""
    return count_matching_pods(node, selector, (namespace,), skip_deleting=True)


def has_all_keys(labels: dict[str, str], constraints: list[Constraint]) -> bool:
    return all(c.topology_key in labels for c in constraints)
