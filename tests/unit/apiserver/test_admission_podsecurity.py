"""The Pod Security Standards' checks and the namespace labels that choose them: Kubernetes'
reasons and details, word for word."""

from __future__ import annotations

from kubelite.apiserver.admission.podsecurity import LevelVersion, label_errors, policy, reasons
from kubelite.apiserver.admission.podsecuritychecks import evaluate


def _spec(*containers, **pod):
    return {"containers": [{"name": n, **c} for n, c in containers], **pod}


COMPLIANT = {
    "securityContext": {
        "allowPrivilegeEscalation": False,
        "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    }
}


def test_a_plain_pod_meets_baseline_but_not_restricted():
    spec = _spec(("a", {}))
    assert evaluate("baseline", {}, spec) == []
    assert [v.reason for v in evaluate("restricted", {}, spec)] == [
        "allowPrivilegeEscalation != false",
        "unrestricted capabilities",
        "runAsNonRoot != true",
        "seccompProfile",
    ]


def test_baseline_names_every_offender_in_kubernetes_words():
    spec = _spec(
        ("a", {"securityContext": {"privileged": True, "capabilities": {"add": ["NET_ADMIN", "CHOWN"]}}}),
        ("b", {"securityContext": {"privileged": True}, "ports": [{"containerPort": 80, "hostPort": 8080}]}),
        hostNetwork=True,
        hostPID=True,
        volumes=[{"name": "root", "hostPath": {"path": "/"}}],
        securityContext={"sysctls": [{"name": "kernel.msgmax", "value": "1"}]},
    )
    assert reasons(evaluate("baseline", {}, spec)) == (
        'non-default capabilities (container "a" must not include "NET_ADMIN" in '
        "securityContext.capabilities.add), "
        "host namespaces (hostNetwork=true, hostPID=true), "
        'hostPath volumes (volume "root"), '
        'hostPort (container "b" uses hostPort 8080), '
        'privileged (containers "a", "b" must not set securityContext.privileged=true), '
        "forbidden sysctls (kernel.msgmax)"
    )


def test_restricted_replaces_the_baseline_checks_it_tightens():
    spec = _spec(
        (
            "a",
            {
                **COMPLIANT,
                "securityContext": {**COMPLIANT["securityContext"], "capabilities": {"add": ["SYS_ADMIN"]}},
            },
        ),
        volumes=[
            {"name": "root", "hostPath": {"path": "/"}},
            {"name": "n", "nfs": {"server": "s", "path": "/"}},
        ],
    )
    assert reasons(evaluate("restricted", {}, spec)) == (
        'unrestricted capabilities (container "a" must set securityContext.capabilities.drop=["ALL"]; '
        'container "a" must not include "SYS_ADMIN" in securityContext.capabilities.add), '
        'restricted volume types (volumes "root", "n" use restricted volume types "hostPath", "nfs")'
    )


def test_explicit_bad_values_are_named_before_missing_ones():
    spec = _spec(
        ("a", {"securityContext": {**COMPLIANT["securityContext"], "runAsNonRoot": False, "runAsUser": 0}}),
        ("b", COMPLIANT),
        securityContext={"seccompProfile": {"type": "Unconfined"}},
    )
    assert reasons(evaluate("restricted", {}, spec)) == (
        'runAsNonRoot != true (container "a" must not set securityContext.runAsNonRoot=false), '
        'runAsUser=0 (container "a" must not set runAsUser=0), '
        'seccompProfile (pod must not set securityContext.seccompProfile.type to "Unconfined")'
    )


def test_a_compliant_pod_meets_restricted():
    assert evaluate("restricted", {}, _spec(("a", COMPLIANT))) == []


def test_warn_follows_enforce_and_missing_labels_mean_privileged():
    modes = policy({"pod-security.kubernetes.io/enforce": "baseline"})
    assert modes["enforce"] == modes["warn"] == LevelVersion("baseline", "latest")
    assert modes["audit"] == LevelVersion("privileged", "latest")
    assert (
        str(policy({"pod-security.kubernetes.io/enforce-version": "v1.30"})["enforce"]) == "privileged:v1.30"
    )


def test_bad_labels_are_invalid_and_an_invalid_enforce_level_is_restricted():
    errs = label_errors({"pod-security.kubernetes.io/warn": "strict"})
    assert [e.message() for e in errs] == [
        'metadata.labels[pod-security.kubernetes.io/warn]: Invalid value: "strict": must be one of '
        "privileged, baseline, restricted"
    ]
    assert policy({"pod-security.kubernetes.io/enforce": "strict"})["enforce"].level == "restricted"
