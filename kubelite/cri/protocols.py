"""The CRI's role-split interfaces, as both sides of the socket see them.

A kubelet talks to a runtime through these Protocols and nothing else: the gRPC client
(`client.RemoteRuntime`) implements them over the socket, and kubelite's runtime
(`kubelite.runtime`) implements them in-process behind its gRPC server. So one contract
suite can run against any implementation. Requests and results are the `runtime.v1`
protobuf messages themselves (`api_pb2`), as in Kubernetes' own CRI interfaces.

Idempotency is part of the contract, because a kubelet retries after timeouts:
stopping or removing something already stopped or gone succeeds; creating something
never does so twice silently (names are unique: AlreadyExists).
"""

from __future__ import annotations

from typing import Protocol

from kubelite.cri import api_pb2 as pb


class RuntimeVersioner(Protocol):
    async def version(self, api_version: str = "v1") -> pb.VersionResponse:
        """The runtime's name and version and the CRI version it speaks. Cheap; no side effects."""
        ...


class PodSandboxManager(Protocol):
    async def run_pod_sandbox(self, config: pb.PodSandboxConfig, runtime_handler: str = "") -> str:
        """Create and start a sandbox (namespaces, network, cgroup parent); return its id.
        Raises AlreadyExists if a sandbox with the same metadata (name, namespace, uid,
        attempt) exists. On failure nothing is left behind."""
        ...

    async def stop_pod_sandbox(self, pod_sandbox_id: str) -> None:
        """Stop the sandbox's containers and tear down its network (releasing the IP).
        Idempotent; a missing sandbox is not an error."""
        ...

    async def remove_pod_sandbox(self, pod_sandbox_id: str) -> None:
        """Remove the sandbox and its containers, stopping them first. Idempotent."""
        ...

    async def pod_sandbox_status(
        self, pod_sandbox_id: str, verbose: bool = False
    ) -> pb.PodSandboxStatusResponse:
        """State, pod IP, namespaces. NotFound for an unknown id."""
        ...

    async def list_pod_sandbox(self, filter: pb.PodSandboxFilter | None = None) -> list[pb.PodSandbox]:
        """Sandboxes matching every field set in the filter."""
        ...


class ContainerManager(Protocol):
    async def create_container(
        self, pod_sandbox_id: str, config: pb.ContainerConfig, sandbox_config: pb.PodSandboxConfig
    ) -> str:
        """Create (not start) a container in a ready sandbox; return its id."""
        ...

    async def start_container(self, container_id: str) -> None:
        """Start a created container. FailedPrecondition if it is not in CREATED."""
        ...

    async def stop_container(self, container_id: str, timeout: int) -> None:
        """Send the stop signal, wait `timeout` seconds, then SIGKILL; return once exited.
        Idempotent on an exited container."""
        ...

    async def remove_container(self, container_id: str) -> None:
        """Remove a container, killing it if still running. Idempotent."""
        ...

    async def list_containers(self, filter: pb.ContainerFilter | None = None) -> list[pb.Container]: ...

    async def container_status(self, container_id: str, verbose: bool = False) -> pb.ContainerStatusResponse:
        """State, times, exit code and reason (Completed, Error, OOMKilled). NotFound if unknown."""
        ...

    async def update_container_resources(
        self, container_id: str, resources: pb.LinuxContainerResources
    ) -> None: ...

    async def reopen_container_log(self, container_id: str) -> None:
        """Make the container's monitor reopen its log file (after the kubelet rotated it)."""
        ...

    async def exec_sync(self, container_id: str, cmd: list[str], timeout: int = 0) -> pb.ExecSyncResponse:
        """Run `cmd` in the running container and collect its output. A command that runs
        past `timeout` seconds (0: no limit) is killed: DeadlineExceeded."""
        ...

    async def exec(self, request: pb.ExecRequest) -> pb.ExecResponse:
        """A URL on the streaming server where the exec session is served."""
        ...

    async def attach(self, request: pb.AttachRequest) -> pb.AttachResponse: ...

    async def port_forward(self, request: pb.PortForwardRequest) -> pb.PortForwardResponse: ...


class ContainerStatsManager(Protocol):
    async def container_stats(self, container_id: str) -> pb.ContainerStats:
        """CPU and memory of one container from its cgroup. NotFound if unknown."""
        ...

    async def list_container_stats(
        self, filter: pb.ContainerStatsFilter | None = None
    ) -> list[pb.ContainerStats]: ...

    async def pod_sandbox_stats(self, pod_sandbox_id: str) -> pb.PodSandboxStats: ...

    async def list_pod_sandbox_stats(
        self, filter: pb.PodSandboxStatsFilter | None = None
    ) -> list[pb.PodSandboxStats]:
        """Every sandbox's stats (by id prefix and labels); a sandbox or container removed
        while they are read is left out, never an error."""
        ...


class RuntimeHealth(Protocol):
    async def status(self, verbose: bool = False) -> pb.StatusResponse:
        """RuntimeReady and NetworkReady conditions."""
        ...

    async def update_runtime_config(self, config: pb.RuntimeConfig) -> None: ...


class RuntimeService(
    RuntimeVersioner, PodSandboxManager, ContainerManager, ContainerStatsManager, RuntimeHealth, Protocol
):
    """Everything the kubelet asks of the runtime's RuntimeService."""


class ImageManagerService(Protocol):
    async def list_images(self, filter: pb.ImageFilter | None = None) -> list[pb.Image]: ...

    async def image_status(self, image: pb.ImageSpec, verbose: bool = False) -> pb.ImageStatusResponse:
        """The image, or a response with no image set when it is not present (not an error)."""
        ...

    async def pull_image(
        self,
        image: pb.ImageSpec,
        auth: pb.AuthConfig | None = None,
        sandbox_config: pb.PodSandboxConfig | None = None,
    ) -> str:
        """Pull (or find present) and return the image's id. Concurrent pulls of one image
        share the content store safely."""
        ...

    async def remove_image(self, image: pb.ImageSpec) -> None:
        """Remove the image by tag, digest or id. Idempotent."""
        ...

    async def image_fs_info(self) -> pb.ImageFsInfoResponse: ...
