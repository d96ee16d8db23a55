"""`FakeRuntime`: an in-memory CRI runtime whose containers run on the test's clock.

It implements what the kubelet asks of a runtime (`kubelite.cri.protocols`: Version,
Status, UpdateRuntimeConfig, sandboxes, containers, ExecSync, images) with the same
protobuf types as `cri.client.RemoteRuntime`, and the same errors (`cri.errors`). Nothing
runs: a container's state is computed from the clock when it is read.

What a started container does is a `Behaviour`, chosen in this order:

    runtime.behaviours[<container name>]   set by the test, e.g. Behaviour(runs_for=5, exit_code=1)
    runtime.behaviours[<image>]
    its command and args:  ["sleep", "N"]     exits 0 after N seconds of the clock
                           ["sleep", "infinity"], anything else: runs until stopped
                           ["exit", "N"]      exits N at once
                           ["crash"]          exits 1 at once

    created ──start──► running ──(runs_for passes, or stop/remove)──► exited
                                  exit 0 → "Completed", else "Error" (or the Behaviour's reason)

Stopping a running container ends it with 143 (SIGTERM); one whose Behaviour ignores
SIGTERM ends with 137 after the stop's timeout, on the clock.

Tests steer the slow or failing parts with hooks (`hold_pull`, `fail_pull`,
`hold_sandbox`, `exec_hook`) and read what happened from `calls` (every call in order,
with the clock's time), `starting`/`most_starting` (pods between RunPodSandbox and their
first started container) and `pod_cidr`. With `interleave=True` every call first yields
to the event loop, as a call over a socket would, so concurrent pod syncs interleave.
The stats, streaming (Exec/Attach/PortForward) and log-reopening calls are not faked:
the kubelet's pod path does not use them.
"""

from __future__ import annotations

import asyncio
import hashlib
import ipaddress
import itertools
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from kubelite.cri import api_pb2 as pb
from kubelite.cri.errors import AlreadyExists, CRIError, FailedPrecondition, NotFound, Unavailable
from kubelite.util.clock import Clock

Hook = Callable[[str], Awaitable[None]]  # awaited with the image / pod name
ExecHook = Callable[[str, list[str]], Awaitable[pb.ExecSyncResponse]]  # (container id, cmd)

POD_NAME = "io.kubernetes.pod.name"  # the kubelet's labels (criconfig.py), for readable records
SIGTERM_EXIT, SIGKILL_EXIT = 143, 137


@dataclass(slots=True, frozen=True)
class Behaviour:
    """What a container does once started."""

    runs_for: float | None = None  # seconds of the clock until it exits; None: until stopped
    exit_code: int = 0
    reason: str = ""  # default: Completed for exit 0, else Error
    ignores_sigterm: bool = False  # stopping it takes the whole timeout, then SIGKILL (137)


def behaviour_of(argv: list[str]) -> Behaviour:
    """A container's behaviour from its command line (see the module docstring)."""
    if argv[:1] == ["crash"]:
        return Behaviour(runs_for=0, exit_code=1)
    if len(argv) == 2 and argv[0] == "exit" and argv[1].lstrip("-").isdigit():
        return Behaviour(runs_for=0, exit_code=int(argv[1]))
    if len(argv) == 2 and argv[0] == "sleep" and argv[1] != "infinity":
        return Behaviour(runs_for=float(argv[1]))
    return Behaviour()


class Call(NamedTuple):
    at: float  # the clock's now()
    method: str  # e.g. "start_container"
    subject: str  # the pod name (sandboxes), "pod/container" (containers), the image (pulls)


@dataclass(slots=True)
class _Exit:
    at: float  # on the clock's now() scale
    code: int
    reason: str


@dataclass(slots=True)
class _Sandbox:
    id: str
    config: pb.PodSandboxConfig
    created_at: int  # wall clock, ns
    ip: str
    ready: bool = True


@dataclass(slots=True)
class _Container:
    id: str
    sandbox_id: str
    config: pb.ContainerConfig
    image_ref: str
    created_at: int
    behaviour: Behaviour = field(default_factory=Behaviour)
    started: float | None = None  # clock.now() at start
    exit: _Exit | None = None


class FakeRuntime:
    def __init__(
        self,
        clock: Clock,
        *,
        images: Iterable[str] = (),
        pod_cidr: str = "10.88.0.0/16",
        interleave: bool = False,
    ) -> None:
        self.clock = clock
        self.interleave = interleave
        self.runtime_ready = True
        self.network_ready = True
        self.pod_cidr = pod_cidr
        self.behaviours: dict[str, Behaviour] = {}  # container name or image → behaviour
        self.pull_hooks: dict[str, Hook] = {}  # image → awaited before the pull is done
        self.sandbox_hooks: dict[str, Hook] = {}  # pod name → awaited before its sandbox runs
        self.exec_hook: ExecHook | None = None  # default: exit 0, no output
        # Where Exec/Attach/PortForward URLs point: a streaming server the test runs (one with
        # get_exec/get_attach/get_port_forward, as kubelite.runtime.streaming's); None: nowhere.
        self.streaming: Any = None
        self.cpu_ns: dict[str, int] = {}  # container id → cumulative CPU time its stats report
        self.memory_bytes: dict[str, int] = {}  # container id → working set its stats report
        self.calls: list[Call] = []
        self.starting = 0
        self.most_starting = 0
        self.images: dict[str, pb.Image] = {}  # reference → image
        self.sandboxes: dict[str, _Sandbox] = {}
        self.containers: dict[str, _Container] = {}
        self._ids = itertools.count(1)
        self._starting: set[str] = set()  # sandbox ids counted in `starting`
        for ref in images:
            self.add_image(ref)

    # ---- for tests ------------------------------------------------------------------------

    def add_image(self, ref: str) -> str:
        """Make an image present (as if pulled); return its id."""
        image_id = "sha256:" + hashlib.sha256(ref.encode()).hexdigest()
        self.images[ref] = pb.Image(id=image_id, repo_tags=[ref], size=1 << 20, spec=pb.ImageSpec(image=ref))
        return image_id

    def hold_pull(self, image: str) -> asyncio.Event:
        """Pulls of `image` wait until the returned event is set (forever if it never is)."""
        event = asyncio.Event()

        async def wait(_: str) -> None:
            await event.wait()

        self.pull_hooks[image] = wait
        return event

    def fail_pull(self, image: str, error: CRIError | None = None) -> None:
        """Pulls of `image` fail with `error` (default: the registry is unreachable)."""

        async def fail(_: str) -> None:
            raise error or Unavailable(f"pull {image}: connection refused")

        self.pull_hooks[image] = fail

    def hold_sandbox(self, pod_name: str) -> asyncio.Event:
        """RunPodSandbox for pod `pod_name` waits until the returned event is set."""
        event = asyncio.Event()

        async def wait(_: str) -> None:
            await event.wait()

        self.sandbox_hooks[pod_name] = wait
        return event

    def calls_to(self, method: str) -> list[str]:
        """The subjects of every call to `method`, in order."""
        return [c.subject for c in self.calls if c.method == method]

    def times_of(self, method: str) -> list[float]:
        """When (clock.now()) each call to `method` was made."""
        return [c.at for c in self.calls if c.method == method]

    def kill(self, container_id: str, exit_code: int = SIGKILL_EXIT, reason: str = "Error") -> None:
        """The container dies now (as if the OOM killer or a signal ended it)."""
        c = self._container(container_id)
        if self._state(c) == pb.CONTAINER_RUNNING:
            c.exit = _Exit(self.clock.now(), exit_code, reason)

    # ---- internals ------------------------------------------------------------------------

    async def _enter(self, method: str, subject: str) -> None:
        self.calls.append(Call(self.clock.now(), method, subject))
        if self.interleave:
            await asyncio.sleep(0)

    def _ns(self, at: float) -> int:
        """A time on the clock's now() scale as wall-clock nanoseconds."""
        return int((self.clock.wall() - self.clock.now() + at) * 1e9)

    def _sandbox(self, sandbox_id: str) -> _Sandbox:
        s = self.sandboxes.get(sandbox_id)
        if s is None:
            raise NotFound(f"pod sandbox {sandbox_id} not found")
        return s

    def _container(self, container_id: str) -> _Container:
        c = self.containers.get(container_id)
        if c is None:
            raise NotFound(f"container {container_id} not found")
        return c

    def _subject(self, c: _Container) -> str:
        return f"{c.config.labels.get(POD_NAME, '')}/{c.config.metadata.name}"

    def _state(self, c: _Container) -> pb.ContainerState:
        if c.started is None:
            return pb.CONTAINER_CREATED
        b = c.behaviour
        if c.exit is None and b.runs_for is not None and self.clock.now() >= c.started + b.runs_for:
            reason = b.reason or ("Completed" if b.exit_code == 0 else "Error")
            c.exit = _Exit(c.started + b.runs_for, b.exit_code, reason)
        return pb.CONTAINER_RUNNING if c.exit is None else pb.CONTAINER_EXITED

    def _behaviour(self, cfg: pb.ContainerConfig) -> Behaviour:
        found = self.behaviours.get(cfg.metadata.name) or self.behaviours.get(cfg.image.image)
        return found or behaviour_of([*cfg.command, *cfg.args])

    def _allocate_ip(self, cfg: pb.PodSandboxConfig) -> str:
        if cfg.linux.security_context.namespace_options.network == pb.NODE:
            return ""  # hostNetwork: the pod has the node's addresses
        used = {s.ip for s in self.sandboxes.values() if s.ready}
        hosts = ipaddress.ip_network(self.pod_cidr).hosts()
        next(hosts, None)  # the first address is the bridge's gateway
        for ip in hosts:
            if str(ip) not in used:
                return str(ip)
        raise Unavailable(f"no free IP address in {self.pod_cidr}")

    def _end_start(self, sandbox_id: str) -> None:
        if sandbox_id in self._starting:
            self._starting.discard(sandbox_id)
            self.starting -= 1

    # ---- RuntimeVersioner / RuntimeHealth ---------------------------------------------------

    async def version(self, api_version: str = "v1") -> pb.VersionResponse:
        await self._enter("version", "")
        return pb.VersionResponse(
            version="0.1.0", runtime_name="fake", runtime_version="0.1.0", runtime_api_version="v1"
        )

    async def status(self, verbose: bool = False) -> pb.StatusResponse:
        await self._enter("status", "")
        conditions = [
            pb.RuntimeCondition(
                type="RuntimeReady",
                status=self.runtime_ready,
                reason="" if self.runtime_ready else "RuntimeNotReady",
            ),
            pb.RuntimeCondition(
                type="NetworkReady",
                status=self.network_ready,
                reason="" if self.network_ready else "NetworkPluginNotReady",
            ),
        ]
        return pb.StatusResponse(
            status=pb.RuntimeStatus(conditions=conditions), runtime_handlers=[pb.RuntimeHandler(name="")]
        )

    async def update_runtime_config(self, config: pb.RuntimeConfig) -> None:
        await self._enter("update_runtime_config", config.network_config.pod_cidr)
        if config.network_config.pod_cidr:
            self.pod_cidr = config.network_config.pod_cidr

    # ---- PodSandboxManager ------------------------------------------------------------------

    async def run_pod_sandbox(self, config: pb.PodSandboxConfig, runtime_handler: str = "") -> str:
        await self._enter("run_pod_sandbox", config.metadata.name)
        if any(s.config.metadata == config.metadata for s in self.sandboxes.values()):
            md = config.metadata
            raise AlreadyExists(f"pod sandbox {md.name} attempt {md.attempt} exists")
        sid = f"sandbox-{next(self._ids)}"
        self._starting.add(sid)
        self.starting += 1
        self.most_starting = max(self.most_starting, self.starting)
        try:
            hook = self.sandbox_hooks.get(config.metadata.name)
            if hook is not None:
                await hook(config.metadata.name)
            ip = self._allocate_ip(config)
        except BaseException:
            self._end_start(sid)
            raise
        self.sandboxes[sid] = _Sandbox(sid, config, self._ns(self.clock.now()), ip)
        return sid

    async def stop_pod_sandbox(self, pod_sandbox_id: str) -> None:
        await self._enter("stop_pod_sandbox", pod_sandbox_id)
        s = self.sandboxes.get(pod_sandbox_id)
        if s is None:
            return
        for c in self.containers.values():
            if c.sandbox_id == s.id and self._state(c) == pb.CONTAINER_RUNNING:
                c.exit = _Exit(self.clock.now(), SIGKILL_EXIT, "Error")
        s.ready, s.ip = False, ""
        self._end_start(s.id)

    async def remove_pod_sandbox(self, pod_sandbox_id: str) -> None:
        await self._enter("remove_pod_sandbox", pod_sandbox_id)
        for cid in [c.id for c in self.containers.values() if c.sandbox_id == pod_sandbox_id]:
            del self.containers[cid]
        self.sandboxes.pop(pod_sandbox_id, None)
        self._end_start(pod_sandbox_id)

    async def pod_sandbox_status(
        self, pod_sandbox_id: str, verbose: bool = False
    ) -> pb.PodSandboxStatusResponse:
        await self._enter("pod_sandbox_status", pod_sandbox_id)
        s = self._sandbox(pod_sandbox_id)
        return pb.PodSandboxStatusResponse(
            status=pb.PodSandboxStatus(
                id=s.id,
                metadata=s.config.metadata,
                state=pb.SANDBOX_READY if s.ready else pb.SANDBOX_NOTREADY,
                created_at=s.created_at,
                network=pb.PodSandboxNetworkStatus(ip=s.ip),
                labels=s.config.labels,
                annotations=s.config.annotations,
            )
        )

    async def list_pod_sandbox(self, filter: pb.PodSandboxFilter | None = None) -> list[pb.PodSandbox]:
        await self._enter("list_pod_sandbox", "")
        f = filter or pb.PodSandboxFilter()
        out = []
        for s in self.sandboxes.values():
            state = pb.SANDBOX_READY if s.ready else pb.SANDBOX_NOTREADY
            if (
                (f.id and not s.id.startswith(f.id))
                or (f.HasField("state") and f.state.state != state)
                or any(s.config.labels.get(k) != v for k, v in f.label_selector.items())
            ):
                continue
            out.append(
                pb.PodSandbox(
                    id=s.id,
                    metadata=s.config.metadata,
                    state=state,
                    created_at=s.created_at,
                    labels=s.config.labels,
                    annotations=s.config.annotations,
                )
            )
        return out

    # ---- ContainerManager -------------------------------------------------------------------

    async def create_container(
        self, pod_sandbox_id: str, config: pb.ContainerConfig, sandbox_config: pb.PodSandboxConfig
    ) -> str:
        await self._enter("create_container", f"{config.labels.get(POD_NAME, '')}/{config.metadata.name}")
        s = self._sandbox(pod_sandbox_id)
        if not s.ready:
            raise FailedPrecondition(f"pod sandbox {s.id} is not ready")
        md = config.metadata
        if any(c.sandbox_id == s.id and c.config.metadata == md for c in self.containers.values()):
            raise AlreadyExists(f"container {md.name} attempt {md.attempt} exists")
        image = self.images.get(config.image.image)
        ref = image.id if image is not None else config.image.image
        cid = f"container-{next(self._ids)}"
        self.containers[cid] = _Container(cid, s.id, config, ref, self._ns(self.clock.now()))
        return cid

    async def start_container(self, container_id: str) -> None:
        c = self._container(container_id)
        await self._enter("start_container", self._subject(c))
        if self._state(c) != pb.CONTAINER_CREATED:
            raise FailedPrecondition(f"container {container_id} is not in the created state")
        c.behaviour = self._behaviour(c.config)
        c.started = self.clock.now()
        self._end_start(c.sandbox_id)

    async def stop_container(self, container_id: str, timeout: int) -> None:
        c = self._container(container_id)
        await self._enter("stop_container", self._subject(c))
        if self._state(c) == pb.CONTAINER_CREATED:
            c.started = self.clock.now()  # never ran: it ends without running
            c.exit = _Exit(c.started, 0, "Completed")
        if self._state(c) != pb.CONTAINER_RUNNING:
            return
        if c.behaviour.ignores_sigterm:
            await self.clock.sleep(timeout)
            if self._state(c) == pb.CONTAINER_RUNNING:
                c.exit = _Exit(self.clock.now(), SIGKILL_EXIT, "Error")
            return
        c.exit = _Exit(self.clock.now(), SIGTERM_EXIT, "Error")

    async def remove_container(self, container_id: str) -> None:
        c = self.containers.pop(container_id, None)
        await self._enter("remove_container", self._subject(c) if c is not None else container_id)

    async def list_containers(self, filter: pb.ContainerFilter | None = None) -> list[pb.Container]:
        await self._enter("list_containers", "")
        f = filter or pb.ContainerFilter()
        out = []
        for c in self.containers.values():
            state = self._state(c)
            if (
                (f.id and not c.id.startswith(f.id))
                or (f.pod_sandbox_id and not c.sandbox_id.startswith(f.pod_sandbox_id))
                or (f.HasField("state") and f.state.state != state)
                or any(c.config.labels.get(k) != v for k, v in f.label_selector.items())
            ):
                continue
            out.append(
                pb.Container(
                    id=c.id,
                    pod_sandbox_id=c.sandbox_id,
                    metadata=c.config.metadata,
                    image=c.config.image,
                    image_ref=c.image_ref,
                    image_id=c.image_ref,
                    state=state,
                    created_at=c.created_at,
                    labels=c.config.labels,
                    annotations=c.config.annotations,
                )
            )
        return out

    async def container_status(self, container_id: str, verbose: bool = False) -> pb.ContainerStatusResponse:
        await self._enter("container_status", container_id)
        c = self._container(container_id)
        st = pb.ContainerStatus(
            id=c.id,
            metadata=c.config.metadata,
            state=self._state(c),
            created_at=c.created_at,
            image=c.config.image,
            image_ref=c.image_ref,
            image_id=c.image_ref,
            labels=c.config.labels,
            annotations=c.config.annotations,
            log_path=self._log_path(c),
        )
        if c.started is not None:
            st.started_at = self._ns(c.started)
        if c.exit is not None:
            st.finished_at, st.exit_code, st.reason = self._ns(c.exit.at), c.exit.code, c.exit.reason
        return pb.ContainerStatusResponse(status=st)

    async def update_container_resources(
        self, container_id: str, resources: pb.LinuxContainerResources
    ) -> None:
        await self._enter("update_container_resources", container_id)
        self._container(container_id).config.linux.resources.CopyFrom(resources)

    async def exec_sync(self, container_id: str, cmd: list[str], timeout: int = 0) -> pb.ExecSyncResponse:
        c = self._container(container_id)
        await self._enter("exec_sync", self._subject(c))
        if self._state(c) != pb.CONTAINER_RUNNING:
            raise FailedPrecondition(f"container {container_id} is not running")
        if self.exec_hook is None:
            return pb.ExecSyncResponse(exit_code=0)
        return await self.exec_hook(container_id, list(cmd))

    def _log_path(self, c: _Container) -> str:
        """Relative to the sandbox's log directory in the request; absolute in the status."""
        directory = self._sandbox(c.sandbox_id).config.log_directory if c.sandbox_id in self.sandboxes else ""
        if not (directory and c.config.log_path):
            return c.config.log_path
        return f"{directory.rstrip('/')}/{c.config.log_path}"

    def _running(self, container_id: str) -> _Container:
        c = self._container(container_id)
        if self._state(c) != pb.CONTAINER_RUNNING:
            raise FailedPrecondition(f"container {container_id} is not running")
        return c

    async def exec(self, request: pb.ExecRequest) -> pb.ExecResponse:
        await self._enter("exec", self._subject(self._running(request.container_id)))
        return pb.ExecResponse(
            url=self.streaming.get_exec(request) if self.streaming else "http://127.0.0.1:1/"
        )

    async def attach(self, request: pb.AttachRequest) -> pb.AttachResponse:
        await self._enter("attach", self._subject(self._running(request.container_id)))
        return pb.AttachResponse(
            url=self.streaming.get_attach(request) if self.streaming else "http://127.0.0.1:1/"
        )

    async def port_forward(self, request: pb.PortForwardRequest) -> pb.PortForwardResponse:
        if not self._sandbox(request.pod_sandbox_id).ready:
            raise FailedPrecondition(f"pod sandbox {request.pod_sandbox_id} is not ready")
        await self._enter("port_forward", request.pod_sandbox_id)
        url = self.streaming.get_port_forward(request) if self.streaming else "http://127.0.0.1:1/"
        return pb.PortForwardResponse(url=url)

    async def list_container_stats(
        self, filter: pb.ContainerStatsFilter | None = None
    ) -> list[pb.ContainerStats]:
        await self._enter("list_container_stats", "")
        out = []
        now = self._ns(self.clock.now())
        for c in self.containers.values():
            if self._state(c) != pb.CONTAINER_RUNNING:
                continue
            stats = pb.ContainerStats(
                attributes=pb.ContainerAttributes(id=c.id, metadata=c.config.metadata, labels=c.config.labels)
            )
            stats.cpu.timestamp = stats.memory.timestamp = now
            stats.cpu.usage_core_nano_seconds.value = self.cpu_ns.get(c.id, 0)
            stats.memory.working_set_bytes.value = stats.memory.usage_bytes.value = self.memory_bytes.get(
                c.id, 0
            )
            out.append(stats)
        return out

    # ---- ImageManagerService ----------------------------------------------------------------

    def _find_image(self, ref: str) -> pb.Image | None:
        return self.images.get(ref) or next((i for i in self.images.values() if i.id == ref), None)

    async def list_images(self, filter: pb.ImageFilter | None = None) -> list[pb.Image]:
        await self._enter("list_images", "")
        wanted = filter.image.image if filter is not None else ""
        return [i for ref, i in self.images.items() if not wanted or wanted in (ref, i.id)]

    async def image_status(self, image: pb.ImageSpec, verbose: bool = False) -> pb.ImageStatusResponse:
        await self._enter("image_status", image.image)
        found = self._find_image(image.image)
        return pb.ImageStatusResponse(image=found) if found is not None else pb.ImageStatusResponse()

    async def pull_image(
        self,
        image: pb.ImageSpec,
        auth: pb.AuthConfig | None = None,
        sandbox_config: pb.PodSandboxConfig | None = None,
    ) -> str:
        await self._enter("pull_image", image.image)
        hook = self.pull_hooks.get(image.image)
        if hook is not None:
            await hook(image.image)
        return self.add_image(image.image)

    async def remove_image(self, image: pb.ImageSpec) -> None:
        await self._enter("remove_image", image.image)
        found = self._find_image(image.image)
        for ref in [r for r, i in self.images.items() if found is not None and i.id == found.id]:
            del self.images[ref]

    async def image_fs_info(self) -> pb.ImageFsInfoResponse:
        await self._enter("image_fs_info", "")
        return pb.ImageFsInfoResponse()
