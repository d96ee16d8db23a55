"""Pod and container securityContext validation: IDs, seccomp profiles, sysctl names."""

from __future__ import annotations

from kubelite.api.validation.pod import validate_pod


def _pod(spec_extra: dict, sc: dict | None = None, container_sc: dict | None = None) -> dict:
    c = {
        "name": "c",
        "image": "busybox",
        "imagePullPolicy": "IfNotPresent",
        "terminationMessagePolicy": "File",
        **({"securityContext": container_sc} if container_sc else {}),
    }
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "p", "namespace": "default"},
        "spec": {
            "containers": [c],
            "restartPolicy": "Always",
            "dnsPolicy": "ClusterFirst",
            "terminationGracePeriodSeconds": 30,
            **({"securityContext": sc} if sc is not None else {}),
            **spec_extra,
        },
    }


def _messages(pod: dict) -> list[str]:
    return [e.message() for e in validate_pod(pod)]


def test_invalid_sysctl_names_are_refused_and_valid_ones_pass_whatever_the_kubelet_allows():
    sysctls = [
        {"name": "foo-", "value": "bar"},
        {"name": "kernel.shmmax", "value": "1"},
        {"name": "safe-and-unsafe", "value": "1"},
        {"name": "bar..", "value": "42"},
    ]
    text = "\n".join(_messages(_pod({}, {"sysctls": sysctls})))
    assert 'spec.securityContext.sysctls[0].name: Invalid value: "foo-"' in text
    assert 'spec.securityContext.sysctls[3].name: Invalid value: "bar.."' in text
    assert "safe-and-unsafe" not in text and "kernel.shmmax" not in text
    dup = [
        {"name": "net.ipv4.tcp_syncookies", "value": "1"},
        {"name": "net.ipv4.tcp_syncookies", "value": "0"},
    ]
    assert _messages(_pod({}, {"sysctls": dup})) == [
        'spec.securityContext.sysctls[1].name: Duplicate value: "net.ipv4.tcp_syncookies"'
    ]


def test_seccomp_profiles_need_a_known_type_and_a_localhost_profile_only_for_localhost():
    assert _messages(_pod({}, {"seccompProfile": {"type": "RuntimeDefault"}})) == []
    assert _messages(_pod({}, {"seccompProfile": {"type": "Localhost"}})) == [
        "spec.securityContext.seccompProfile.localhostProfile: Required value: "
        "must be set when seccomp type is Localhost"
    ]
    bad = _messages(_pod({}, container_sc={"seccompProfile": {"type": "Other"}}))
    assert bad and bad[0].startswith(
        'spec.containers[0].securityContext.seccompProfile.type: Unsupported value: "Other"'
    )


def test_ids_must_fit_in_an_int32_and_share_process_namespace_excludes_host_pid():
    msgs = _messages(
        _pod(
            {"shareProcessNamespace": True, "hostPID": True}, {"runAsUser": -1, "supplementalGroups": [2**31]}
        )
    )
    assert (
        "spec.securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive"
        in msgs
    )
    assert any(
        m.startswith("spec.securityContext.supplementalGroups[0]: Invalid value: 2147483648") for m in msgs
    )
    assert (
        "spec.securityContext.shareProcessNamespace: Invalid value: true: "
        "ShareProcessNamespace and HostPID cannot both be enabled" in msgs
    )
