"""Deployment arithmetic and bookkeeping, as Kubernetes' deployment util has it.

- maxSurge / maxUnavailable resolve against spec.replicas: a count as given, a percentage
  rounded *up* for surge and *down* for unavailability; if both come to 0, unavailability
  becomes 1 (a rollout must be able to move), and it never exceeds spec.replicas.
- A ReplicaSet's pod template is the Deployment's plus the `pod-template-hash` label; the
  hash is of the template (and status.collisionCount), written in Kubernetes' alphabet,
  and names the ReplicaSet `<deployment>-<hash>`. Templates compare equal ignoring it.
- Annotations on ReplicaSets: `deployment.kubernetes.io/revision` (and
  `revision-history` when an old revision is brought back), `desired-replicas` and
  `max-replicas` (the deployment's size and size plus surge when the ReplicaSet was last
  scaled; proportional scaling reads them).
"""

from __future__ import annotations

import copy
from typing import Any

import orjson

from kubelite.api.intstr import scaled_value
from kubelite.api.types import Object

POD_TEMPLATE_HASH = "pod-template-hash"
REVISION = "deployment.kubernetes.io/revision"
REVISION_HISTORY = "deployment.kubernetes.io/revision-history"
DESIRED_REPLICAS = "deployment.kubernetes.io/desired-replicas"
MAX_REPLICAS = "deployment.kubernetes.io/max-replicas"
DEPRECATED_ROLLBACK_TO = "deprecated.deployment.rollback.to"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
# Deployment annotations that are not copied to its ReplicaSets.
SKIPPED_ANNOTATIONS = frozenset(
    {LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, DEPRECATED_ROLLBACK_TO}
)
MAX_REVISION_HISTORY_CHARS = 2000
_SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"
_NO_DEADLINE = 2**31 - 1


def replicas(obj: Object | None) -> int:
    """spec.replicas of a Deployment or ReplicaSet (1 when unset, 0 for None)."""
    if obj is None:
        return 0
    value = (obj.get("spec") or {}).get("replicas")
    return 1 if value is None else int(value)


def is_rolling_update(d: Object) -> bool:
    strategy = ((d.get("spec") or {}).get("strategy") or {}).get("type", "RollingUpdate")
    return bool(strategy == "RollingUpdate")


def _rolling(d: Object) -> Object:
    return ((d.get("spec") or {}).get("strategy") or {}).get("rollingUpdate") or {}


def resolve_fenceposts(max_surge: Any, max_unavailable: Any, desired: int) -> tuple[int, int]:
    surge = scaled_value(0 if max_surge is None else max_surge, desired, True)
    unavailable = scaled_value(0 if max_unavailable is None else max_unavailable, desired, False)
    if surge == 0 and unavailable == 0:
        # Rounding down may turn a small percentage into 0; a rollout must still move.
        unavailable = 1
    return surge, unavailable


def max_surge(d: Object) -> int:
    if not is_rolling_update(d):
        return 0
    rolling = _rolling(d)
    return resolve_fenceposts(rolling.get("maxSurge"), rolling.get("maxUnavailable"), replicas(d))[0]


def max_unavailable(d: Object) -> int:
    want = replicas(d)
    if not is_rolling_update(d) or want == 0:
        return 0
    rolling = _rolling(d)
    _, unavailable = resolve_fenceposts(rolling.get("maxSurge"), rolling.get("maxUnavailable"), want)
    return min(unavailable, want)


# ---- templates and hashes ----


def _fnv32a(data: bytes) -> int:
    h = 0x811C9DC5
    for b in data:
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


def safe_encode(text: str) -> str:
    """Kubernetes' rand.SafeEncodeString: each character mapped into an alphabet with no
    vowels (no words) and no look-alike characters."""
    return "".join(_SAFE_ALPHABET[ord(c) % len(_SAFE_ALPHABET)] for c in text)


def template_hash(template: Object, collision_count: int | None) -> str:
    """The pod-template-hash of `template`: FNV-32a of its canonical JSON (and the
    collision count), as a decimal string safely encoded. Same shape as Kubernetes'
    (which hashes the Go struct), not the same value."""
    data = orjson.dumps(template, option=orjson.OPT_SORT_KEYS)
    if collision_count is not None:
        data += int(collision_count).to_bytes(4, "little") + b"\0\0\0\0"
    return safe_encode(str(_fnv32a(data)))


def _normalized(value: Any) -> Any:
    """Empty maps and lists count as absent, as Kubernetes' semantic equality has it."""
    if isinstance(value, dict):
        out = {k: _normalized(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, {}, [])}
    if isinstance(value, list):
        return [_normalized(v) for v in value]
    return value


def without_hash(template: Object) -> Object:
    t = copy.deepcopy(template or {})
    labels = (t.get("metadata") or {}).get("labels")
    if labels:
        labels.pop(POD_TEMPLATE_HASH, None)
    return t


def equal_ignore_hash(a: Object | None, b: Object | None) -> bool:
    return bool(_normalized(without_hash(a or {})) == _normalized(without_hash(b or {})))


# ---- annotations ----


def annotations_of(obj: Object) -> dict[str, str]:
    return (obj.get("metadata") or {}).get("annotations") or {}


def revision(obj: Object) -> int | None:
    """The revision annotation as a number (None when absent or not a number)."""
    try:
        return int(annotations_of(obj).get(REVISION, ""))
    except ValueError:
        return None


def max_revision(rss: list[Object]) -> int:
    return max((r for rs in rss if (r := revision(rs)) is not None), default=0)


def int_annotation(obj: Object, name: str) -> int | None:
    try:
        return int(annotations_of(obj)[name])
    except (KeyError, ValueError):
        return None


def replicas_annotations_need_update(rs: Object, desired: int, maximum: int) -> bool:
    ann = annotations_of(rs)
    return ann.get(DESIRED_REPLICAS) != str(desired) or ann.get(MAX_REPLICAS) != str(maximum)


def set_replicas_annotations(rs: Object, desired: int, maximum: int) -> bool:
    """Record the deployment's size (and size plus surge) on `rs`; True if that changed."""
    if not replicas_annotations_need_update(rs, desired, maximum):
        return False
    ann = rs.setdefault("metadata", {}).setdefault("annotations", {})
    ann[DESIRED_REPLICAS] = str(desired)
    ann[MAX_REPLICAS] = str(maximum)
    return True


def copy_deployment_annotations(d: Object, rs: Object) -> bool:
    """Copy the deployment's annotations (but the skipped ones) onto `rs`; True if any changed."""
    ann = rs.setdefault("metadata", {}).setdefault("annotations", {})
    changed = False
    for k, v in annotations_of(d).items():
        if k in SKIPPED_ANNOTATIONS or ann.get(k) == v:
            continue
        ann[k] = v
        changed = True
    return changed


def _append_history(ann: dict[str, str], old_revision: str) -> None:
    history = ann.get(REVISION_HISTORY, "")
    if not history:
        ann[REVISION_HISTORY] = old_revision
        return
    olds = history.split(",")
    total, start = len(history) + len(old_revision) + 1, 0
    while total > MAX_REVISION_HISTORY_CHARS and start < len(olds):
        total -= len(olds[start]) + 1
        start += 1
    if total <= MAX_REVISION_HISTORY_CHARS:
        ann[REVISION_HISTORY] = ",".join([*olds[start:], old_revision])


def set_new_replica_set_annotations(d: Object, rs: Object, new_revision: int, exists: bool) -> bool:
    """Annotate the deployment's new ReplicaSet: the deployment's annotations, the newest
    revision (an old ReplicaSet brought back keeps its past revisions in revision-history),
    and, for one about to be created, the replicas annotations. True if anything changed."""
    changed = copy_deployment_annotations(d, rs)
    ann = rs["metadata"]["annotations"]
    old = ann.get(REVISION)
    try:
        old_int = int(old) if old else 0
    except ValueError:
        return False  # a revision we cannot read: leave it alone
    if old_int < new_revision:
        ann[REVISION] = str(new_revision)
        changed = True
        if old is not None:
            _append_history(ann, old)
    if not exists and set_replicas_annotations(rs, replicas(d), replicas(d) + max_surge(d)):
        changed = True
    return changed


# ---- replica sets ----


def active(rss: list[Object | None]) -> list[Object]:
    return [rs for rs in rss if rs is not None and replicas(rs) > 0]


def spec_total(rss: list[Object | None]) -> int:
    return sum(replicas(rs) for rs in rss if rs is not None)


def status_total(rss: list[Object | None], field: str) -> int:
    return sum(int((rs.get("status") or {}).get(field, 0)) for rs in rss if rs is not None)


def creation_key(rs: Object) -> tuple[str, str]:
    md = rs["metadata"]
    return (md.get("creationTimestamp", ""), md.get("name", ""))


def by_creation(rss: list[Object]) -> list[Object]:
    """Oldest first, ties by name (ReplicaSetsByCreationTimestamp)."""
    return sorted(rss, key=creation_key)


def new_rs_new_replicas(d: Object, all_rss: list[Object | None], new_rs: Object) -> int:
    """The size the new ReplicaSet may grow to now."""
    want = replicas(d)
    if not is_rolling_update(d):
        return want
    surge = scaled_value(_rolling(d).get("maxSurge", 0), want, True)
    current = spec_total(all_rss)
    max_total = want + surge
    if current >= max_total:
        return replicas(new_rs)
    return replicas(new_rs) + min(max_total - current, want - replicas(new_rs))


def is_saturated(d: Object, rs: Object | None) -> bool:
    """The ReplicaSet has all the deployment's replicas, by spec, annotation and availability."""
    if rs is None:
        return False
    want = replicas(d)
    return (
        replicas(rs) == want
        and int_annotation(rs, DESIRED_REPLICAS) == want
        and int((rs.get("status") or {}).get("availableReplicas", 0)) == want
    )


def has_progress_deadline(d: Object) -> bool:
    value = (d.get("spec") or {}).get("progressDeadlineSeconds")
    return value is not None and int(value) != _NO_DEADLINE
