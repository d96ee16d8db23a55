"""Which nodes a DaemonSet's pod belongs on, and the pod made for one node.

A daemon pod is the template plus what Kubernetes adds to every daemon pod:

- tolerations, so node conditions do not evict or keep out a node's daemons:
    node.kubernetes.io/not-ready            NoExecute   (Exists)
    node.kubernetes.io/unreachable          NoExecute
    node.kubernetes.io/disk-pressure        NoSchedule
    node.kubernetes.io/memory-pressure      NoSchedule
    node.kubernetes.io/pid-pressure         NoSchedule
    node.kubernetes.io/unschedulable        NoSchedule
    node.kubernetes.io/network-unavailable  NoSchedule  (hostNetwork pods only)
- a required node-affinity term `metadata.name In [<node>]` replacing the template's
  required terms (the node was already checked against them), so the scheduler places
  the pod on exactly that node;
- the labels `controller-revision-hash` and `pod-template-generation`.

For each node the controller asks (Kubernetes' NodeShouldRunDaemonPod):

    should run       spec.nodeName (if set) is the node, nodeSelector and required node
                     affinity match, and the pod tolerates every NoSchedule and
                     NoExecute taint
    should continue  the same, except that only NoExecute taints count: a pod already
    running          there survives a new NoSchedule taint
"""

from __future__ import annotations

import copy

from kubelite.api.selectors import selector_from_set
from kubelite.api.types import Object
from kubelite.controllers.history import REVISION_HASH_LABEL
from kubelite.scheduler.plugins.helper import NodeSelector, first_untolerated

TEMPLATE_GENERATION_LABEL = "pod-template-generation"
_NO_EXECUTE = ("node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable")
_NO_SCHEDULE = (
    "node.kubernetes.io/disk-pressure",
    "node.kubernetes.io/memory-pressure",
    "node.kubernetes.io/pid-pressure",
    "node.kubernetes.io/unschedulable",
)
NETWORK_UNAVAILABLE = "node.kubernetes.io/network-unavailable"


def _add_toleration(tolerations: list[Object], key: str, effect: str) -> None:
    wanted = {"key": key, "operator": "Exists", "effect": effect}
    kept = [t for t in tolerations if not (t.get("key") == key and t.get("effect") == effect)]
    tolerations[:] = [*kept, wanted]


def add_daemon_tolerations(spec: Object) -> None:
    tolerations = spec.setdefault("tolerations", [])
    for key in _NO_EXECUTE:
        _add_toleration(tolerations, key, "NoExecute")
    for key in _NO_SCHEDULE:
        _add_toleration(tolerations, key, "NoSchedule")
    if spec.get("hostNetwork"):
        _add_toleration(tolerations, NETWORK_UNAVAILABLE, "NoSchedule")


def pin_to_node(spec: Object, node_name: str) -> None:
    """Require the node by name (the only required node-affinity term left)."""
    affinity = spec.setdefault("affinity", {})
    node_affinity = affinity.setdefault("nodeAffinity", {})
    node_affinity["requiredDuringSchedulingIgnoredDuringExecution"] = {
        "nodeSelectorTerms": [
            {"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node_name]}]}
        ]
    }


def daemon_template(ds: Object, revision_hash: str) -> Object:
    """The template every pod of `ds` is made from (not yet pinned to a node)."""
    template = copy.deepcopy((ds.get("spec") or {}).get("template") or {})
    spec = template.setdefault("spec", {})
    add_daemon_tolerations(spec)
    labels = template.setdefault("metadata", {}).setdefault("labels", {})
    labels[TEMPLATE_GENERATION_LABEL] = str(ds["metadata"].get("generation", 0))
    if revision_hash:
        labels[REVISION_HASH_LABEL] = revision_hash
    return template


def pod_template_for(template: Object, node_name: str) -> Object:
    pinned = copy.deepcopy(template)
    pin_to_node(pinned.setdefault("spec", {}), node_name)
    return pinned


def target_node(pod: Object) -> str:
    """The node the pod is on, or the one its required affinity names (not yet bound)."""
    spec = pod.get("spec") or {}
    if spec.get("nodeName"):
        return str(spec["nodeName"])
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    ) or {}
    for term in required.get("nodeSelectorTerms") or []:
        for field in term.get("matchFields") or []:
            values = field.get("values") or []
            if field.get("key") == "metadata.name" and field.get("operator") == "In" and len(values) == 1:
                return str(values[0])
    return ""


def _fits_affinity(spec: Object, node: Object) -> bool:
    md = node["metadata"]
    labels = md.get("labels") or {}
    if not selector_from_set(spec.get("nodeSelector") or {}).matches(labels):
        return False
    required = ((spec.get("affinity") or {}).get("nodeAffinity") or {}).get(
        "requiredDuringSchedulingIgnoredDuringExecution"
    )
    if not required:
        return True
    return NodeSelector(required).matches(md["name"], labels)


def should_run(ds: Object, node: Object) -> tuple[bool, bool]:
    """(should run a daemon pod on `node`, should keep one that runs there)."""
    spec = copy.deepcopy(((ds.get("spec") or {}).get("template") or {}).get("spec") or {})
    name = node["metadata"]["name"]
    if spec.get("nodeName") not in (None, "", name):
        return False, False
    if not _fits_affinity(spec, node):
        return False, False
    add_daemon_tolerations(spec)
    taints = (node.get("spec") or {}).get("taints") or []
    tolerations = spec.get("tolerations") or []
    if first_untolerated(taints, tolerations, ("NoSchedule", "NoExecute")) is None:
        return True, True
    return False, first_untolerated(taints, tolerations, ("NoExecute",)) is None
