"""A StatefulSet pod's identity: `<set>-<ordinal>`, its labels, hostname and claims.

Ordinals run from spec.ordinals.start (default 0) for spec.replicas pods. The pod for
ordinal N of set `web` is named `web-N` and carries:

    labels   statefulset.kubernetes.io/pod-name: web-N
             apps.kubernetes.io/pod-index: "N"
             controller-revision-hash: <the name of the ControllerRevision it was made from>
    spec     hostname: web-N, subdomain: spec.serviceName (so a headless Service of that
             name gives it the DNS name web-N.<service>.<namespace>.svc)
             volumes: one per volumeClaimTemplate, the claim `<template>-web-N`

A pod whose identity or storage drifted (someone changed its labels or volumes) is put
right by an update; a claim is labelled with the template's labels and the set's selector.
"""

from __future__ import annotations

import copy
import re

from kubelite.api.types import Object
from kubelite.controllers.history import REVISION_HASH_LABEL
from kubelite.controllers.ownership import new_controller_ref
from kubelite.controllers.podcontrol import pod_from_template

POD_NAME_LABEL = "statefulset.kubernetes.io/pod-name"
POD_INDEX_LABEL = "apps.kubernetes.io/pod-index"
_NAME = re.compile(r"^(.*)-([0-9]+)$")


def parent_and_ordinal(pod: Object) -> tuple[str, int]:
    m = _NAME.match(pod["metadata"].get("name", ""))
    if m is None:
        return "", -1
    return m.group(1), int(m.group(2))


def ordinal(pod: Object) -> int:
    return parent_and_ordinal(pod)[1]


def is_member(sts: Object, pod: Object) -> bool:
    return parent_and_ordinal(pod)[0] == str(sts["metadata"]["name"])


def start_ordinal(sts: Object) -> int:
    return int(((sts.get("spec") or {}).get("ordinals") or {}).get("start") or 0)


def replicas(sts: Object) -> int:
    return int((sts.get("spec") or {}).get("replicas", 1))


def in_range(sts: Object, pod: Object) -> bool:
    start = start_ordinal(sts)
    return start <= ordinal(pod) < start + replicas(sts)


def pod_name(sts: Object, ord_: int) -> str:
    return f"{sts['metadata']['name']}-{ord_}"


def claim_name(sts: Object, template: Object, ord_: int) -> str:
    return f"{template['metadata']['name']}-{pod_name(sts, ord_)}"


def claims_for(sts: Object, ord_: int) -> dict[str, Object]:
    """volumeClaimTemplate name -> the claim the pod with ordinal `ord_` uses."""
    spec = sts.get("spec") or {}
    selector_labels = (spec.get("selector") or {}).get("matchLabels") or {}
    out: dict[str, Object] = {}
    for template in spec.get("volumeClaimTemplates") or []:
        claim = copy.deepcopy(template)
        md = claim.setdefault("metadata", {})
        md["name"] = claim_name(sts, template, ord_)
        md["namespace"] = sts["metadata"].get("namespace", "")
        md["labels"] = {**(md.get("labels") or {}), **selector_labels}
        claim.setdefault("apiVersion", "v1")
        claim.setdefault("kind", "PersistentVolumeClaim")
        claim.pop("status", None)
        out[template["metadata"]["name"]] = claim
    return out


def identity_matches(sts: Object, pod: Object) -> bool:
    parent, ord_ = parent_and_ordinal(pod)
    labels = pod["metadata"].get("labels") or {}
    return (
        ord_ >= 0
        and parent == sts["metadata"]["name"]
        and labels.get(POD_NAME_LABEL) == pod["metadata"]["name"]
        and labels.get(POD_INDEX_LABEL) == str(ord_)
    )


def storage_matches(sts: Object, pod: Object) -> bool:
    ord_ = ordinal(pod)
    volumes = {v.get("name"): v for v in (pod.get("spec") or {}).get("volumes") or []}
    for name, claim in claims_for(sts, ord_).items():
        source = (volumes.get(name) or {}).get("persistentVolumeClaim") or {}
        if source.get("claimName") != claim["metadata"]["name"]:
            return False
    return True


def set_identity(sts: Object, pod: Object, ord_: int) -> None:
    md = pod["metadata"]
    md["name"] = pod_name(sts, ord_)
    md["namespace"] = sts["metadata"].get("namespace", "")
    labels = md.setdefault("labels", {})
    labels[POD_NAME_LABEL] = md["name"]
    labels[POD_INDEX_LABEL] = str(ord_)


def set_storage(sts: Object, pod: Object, ord_: int) -> None:
    spec = pod.setdefault("spec", {})
    claims = claims_for(sts, ord_)
    volumes = [
        {"name": name, "persistentVolumeClaim": {"claimName": claim["metadata"]["name"]}}
        for name, claim in claims.items()
    ]
    volumes += [v for v in spec.get("volumes") or [] if v.get("name") not in claims]
    if volumes:
        spec["volumes"] = volumes


def new_pod(sts: Object, template: Object, ord_: int, revision: str) -> Object:
    """The pod for ordinal `ord_`, from `template` (the revision's), labelled `revision`."""
    pod = pod_from_template(template, sts, new_controller_ref(sts, "apps/v1", "StatefulSet"))
    pod["metadata"].pop("generateName", None)
    set_identity(sts, pod, ord_)
    pod["spec"]["hostname"] = pod["metadata"]["name"]
    if (sts.get("spec") or {}).get("serviceName"):
        pod["spec"]["subdomain"] = sts["spec"]["serviceName"]
    set_storage(sts, pod, ord_)
    pod["metadata"].setdefault("labels", {})[REVISION_HASH_LABEL] = revision
    return pod


def revision_of(pod: Object) -> str:
    return str((pod["metadata"].get("labels") or {}).get(REVISION_HASH_LABEL, ""))
