"""A container's status as the kubelet reports it (kubelet/status.py)."""

from __future__ import annotations

from kubelite.cri import api_pb2 as pb
from kubelite.kubelet.runtime_state import PodRuntimeState
from kubelite.kubelet.status import StatusInputs, container_status

POD = {
    "metadata": {"name": "p", "uid": "u"},
    "spec": {"restartPolicy": "Always", "containers": [{"name": "c"}]},
}


def _exited(attempt: int, code: int) -> pb.ContainerStatus:
    return pb.ContainerStatus(
        id=f"c{attempt}",
        metadata=pb.ContainerMetadata(name="c", attempt=attempt),
        state=pb.CONTAINER_EXITED,
        exit_code=code,
        created_at=attempt,
        started_at=10**9 * (attempt + 1),
        finished_at=10**9 * (attempt + 2),
    )


def _inputs(**waiting: tuple[str, str]) -> StatusInputs:
    return StatusInputs(runtime_name="kubelite", host_ip="10.0.0.1", start_time="", now="", waiting=waiting)


def test_an_exited_container_shows_terminated_until_the_sync_says_why_it_waits():
    state = PodRuntimeState(containers=[_exited(1, 3), _exited(0, 3)])
    st = container_status(POD, POD["spec"]["containers"][0], state, _inputs(), False)
    assert st["state"]["terminated"]["exitCode"] == 3 and st["state"]["terminated"]["reason"] == "Error"
    assert st["lastState"]["terminated"]["exitCode"] == 3
    assert st["restartCount"] == 1


def test_once_backing_off_it_is_waiting_with_the_reason_and_message():
    state = PodRuntimeState(containers=[_exited(1, 3)])
    waiting = _inputs(c=("CrashLoopBackOff", "back-off 10s restarting failed container=c pod=p_default(u)"))
    st = container_status(POD, POD["spec"]["containers"][0], state, waiting, False)
    assert st["state"] == {
        "waiting": {
            "reason": "CrashLoopBackOff",
            "message": "back-off 10s restarting failed container=c pod=p_default(u)",
        }
    }
    assert st["lastState"]["terminated"]["exitCode"] == 3
