"""How a pod's spec becomes CRI sandbox and container configs."""

from __future__ import annotations

import pytest

from kubelite.cri import api_pb2 as pb
from kubelite.kubelet.criconfig import container_config, sandbox_config


def _pod(**spec):
    return {
        "metadata": {"name": "p", "namespace": "default", "uid": "u1"},
        "spec": {"containers": [{"name": "c", "image": "busybox"}], **spec},
    }


@pytest.mark.parametrize(
    "spec, network, ipc, pid",
    [
        ({}, pb.POD, pb.POD, pb.CONTAINER),
        ({"shareProcessNamespace": True}, pb.POD, pb.POD, pb.POD),
        ({"hostPID": True, "hostIPC": True}, pb.POD, pb.NODE, pb.NODE),
        ({"hostNetwork": True}, pb.NODE, pb.POD, pb.CONTAINER),
    ],
)
def test_each_container_gets_its_own_pid_namespace_unless_the_pod_shares_one(
    spec, network, ipc, pid, tmp_path
):
    pod = _pod(**spec)
    sandbox = sandbox_config(pod, 0, log_root=tmp_path).linux.security_context.namespace_options
    container = container_config(
        pod, pod["spec"]["containers"][0], 0, image_ref="busybox"
    ).linux.security_context.namespace_options
    for opts in (sandbox, container):
        assert (opts.network, opts.ipc, opts.pid) == (network, ipc, pid)
