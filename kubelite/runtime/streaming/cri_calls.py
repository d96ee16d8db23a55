"""The CRI streaming calls (Exec, Attach, PortForward) of `runtime_service.Runtime`.

Each CRI call checks its target and answers with a one-time URL on the streaming server
(`streaming/`); the server later calls back here, through the `StreamingBackend` methods,
to open the session: a `runc exec` process, a connection to the container monitor's
attach socket, or the pod's network namespace for port-forwarding.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from kubelite.cri import api_pb2 as pb
from kubelite.cri.errors import FailedPrecondition, InvalidArgument
from kubelite.cri.remotecommand import Session
from kubelite.runtime.records import ContainerRecord, SandboxRecord
from kubelite.runtime.streaming import attach as attach_
from kubelite.runtime.streaming.exec import PipeExec, TtyExec
from kubelite.runtime.streaming.http_server import StreamingServer


class StreamOps:
    """Mixed into `runtime_service.Runtime`, which provides the container and sandbox lookups."""

    streaming: StreamingServer

    if TYPE_CHECKING:  # provided by ContainerOps and SandboxOps

        def find_container(self, cid: str) -> ContainerRecord: ...
        def find_sandbox(self, sid: str) -> SandboxRecord: ...
        def state(self, rec: ContainerRecord) -> int: ...
        def container_dir(self, cid: str) -> Path: ...
        def sandbox_dir(self, sid: str) -> Path: ...
        def runc_cmd(self, *args: str) -> list[str]: ...
        def exit_code(self, rec: ContainerRecord) -> int | None: ...

    def _running(self, container_id: str) -> ContainerRecord:
        rec = self.find_container(container_id)
        if self.state(rec) != pb.CONTAINER_RUNNING:
            raise FailedPrecondition(f"container {rec.id} is not running")
        return rec

    # ---- the CRI calls
    async def exec(self, request: pb.ExecRequest) -> pb.ExecResponse:
        self._running(request.container_id)
        if not request.cmd:
            raise InvalidArgument("exec needs a command")
        if not (request.stdin or request.stdout or request.stderr):
            raise InvalidArgument("one of stdin, stdout and stderr must be set")
        if request.tty and request.stderr:
            raise InvalidArgument("tty and stderr cannot both be set (a terminal has one output)")
        return pb.ExecResponse(url=self.streaming.get_exec(request))

    async def attach(self, request: pb.AttachRequest) -> pb.AttachResponse:
        self._running(request.container_id)
        if not (request.stdin or request.stdout or request.stderr):
            raise InvalidArgument("one of stdin, stdout and stderr must be set")
        return pb.AttachResponse(url=self.streaming.get_attach(request))

    async def port_forward(self, request: pb.PortForwardRequest) -> pb.PortForwardResponse:
        rec = self.find_sandbox(request.pod_sandbox_id)
        if not rec.ready:
            raise FailedPrecondition(f"pod sandbox {rec.id} is not ready")
        return pb.PortForwardResponse(url=self.streaming.get_port_forward(request))

    # ---- StreamingBackend: called by the streaming server when a session opens
    async def open_exec(self, request: pb.ExecRequest, width: int, height: int) -> Session:
        rec = self._running(request.container_id)
        if request.tty:
            argv = self.runc_cmd("exec", "--tty", rec.id, *request.cmd)
            return await TtyExec.start(argv, width=width, height=height)
        return await PipeExec.start(self.runc_cmd("exec", rec.id, *request.cmd), stdin=request.stdin)

    async def open_attach(self, request: pb.AttachRequest) -> Session:
        rec = self._running(request.container_id)

        async def exit_code() -> int | None:
            return self.exit_code(rec)

        return await attach_.Attach.open(self.container_dir(rec.id), exit_code)

    def pod_netns(self, pod_sandbox_id: str) -> Path | None:
        rec = self.find_sandbox(pod_sandbox_id)
        if not rec.ready:
            raise FailedPrecondition(f"pod sandbox {rec.id} is not ready")
        return None if rec.host_network else self.sandbox_dir(rec.id) / "ns" / "net"
