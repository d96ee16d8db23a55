"""podFailurePolicy: what a failed pod means for its Job, decided by the first matching rule.

    rule matches on                       action     effect
    ───────────────────────────────────   ────────   ──────────────────────────────────────
    onExitCodes: a terminated container   FailJob    the Job fails at once (reason
      (containerName, if given) whose                PodFailurePolicy) and its pods are
      non-zero exit code is In / NotIn               deleted
      the values
    onPodConditions: a pod condition of   Ignore     the failure does not count towards
      that type and status                           backoffLimit; the pod is replaced
                                          Count      counted as usual (also: no rule)

The message of a FailJob is Kubernetes' own ("Container main for pod ns/p failed with exit
code 42 matching FailJob rule at index 0"), since it becomes the Job's condition message.
"""

from __future__ import annotations

from dataclasses import dataclass

from kubelite.api.types import Object

FAIL_JOB, IGNORE, COUNT, FAIL_INDEX = "FailJob", "Ignore", "Count", "FailIndex"


@dataclass(slots=True, frozen=True)
class Match:
    action: str | None  # None: no rule matched
    counts: bool  # counts towards backoffLimit
    message: str = ""


NO_MATCH = Match(None, True)


def _container(statuses: list[Object], requirement: Object) -> Object | None:
    name = requirement.get("containerName")
    values = set(requirement.get("values") or [])
    op = requirement.get("operator")
    for status in statuses:
        terminated = (status.get("state") or {}).get("terminated")
        if terminated is None or (name and status.get("name") != name):
            continue
        code = int(terminated.get("exitCode") or 0)
        if code == 0:
            continue
        if (op == "In" and code in values) or (op == "NotIn" and code not in values):
            return status
    return None


def _on_exit_codes(pod: Object, requirement: Object) -> Object | None:
    status = pod.get("status") or {}
    found = _container(status.get("containerStatuses") or [], requirement)
    return found or _container(status.get("initContainerStatuses") or [], requirement)


def _on_conditions(pod: Object, patterns: list[Object]) -> Object | None:
    conditions = (pod.get("status") or {}).get("conditions") or []
    for pattern in patterns:
        want = pattern.get("status") or "True"
        for cond in conditions:
            if cond.get("type") == pattern.get("type") and cond.get("status") == want:
                return cond  # type: ignore[no-any-return]
    return None


def match(policy: Object | None, pod: Object) -> Match:
    """The outcome of the first rule of `policy` that `pod` (a failed pod) matches."""
    if not policy:
        return NO_MATCH
    md = pod["metadata"]
    for index, rule in enumerate(policy.get("rules") or []):
        action = rule.get("action")
        if rule.get("onExitCodes") is not None:
            found = _on_exit_codes(pod, rule["onExitCodes"])
            if found is None:
                continue
            code = found["state"]["terminated"].get("exitCode")
            pod_name = f"{md.get('namespace')}/{md['name']}"
            what = f"Container {found.get('name')} for pod {pod_name} failed with exit code {code}"
        elif rule.get("onPodConditions") is not None:
            cond = _on_conditions(pod, rule["onPodConditions"])
            if cond is None:
                continue
            what = f"Pod {md.get('namespace')}/{md['name']} has condition {cond.get('type')}"
        else:
            continue
        if action == IGNORE:
            return Match(IGNORE, False)
        if action == FAIL_JOB:
            return Match(FAIL_JOB, True, f"{what} matching {action} rule at index {index}")
        return Match(action, True)
    return NO_MATCH
