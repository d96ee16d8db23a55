"""The async CRI v1 client: what kubelite's kubelet (and the runtime's tests) speak.

`RemoteRuntime(socket)` implements `protocols.RuntimeService` and
`protocols.ImageManagerService` over gRPC on the runtime's unix socket, against any CRI
runtime (kubelite's, CRI-O, containerd). Failed calls raise `errors.CRIError` subclasses
chosen by the gRPC status code. Every call has a deadline (`timeout`, default 2 minutes
like the kubelet's runtime request timeout); pulls get a longer one.
"""

from __future__ import annotations

from typing import Any

import grpc

from kubelite.cri import api_pb2 as pb
from kubelite.cri import api_pb2_grpc as pb_grpc
from kubelite.cri.errors import from_rpc_error


class RemoteRuntime:
    def __init__(self, socket: str, *, timeout: float = 120.0, pull_timeout: float = 600.0) -> None:
        target = socket if socket.startswith("unix:") else f"unix://{socket}"
        self._channel = grpc.aio.insecure_channel(
            target, options=[("grpc.max_receive_message_length", 16 * 1024 * 1024)]
        )
        self._runtime = pb_grpc.RuntimeServiceStub(self._channel)  # type: ignore[no-untyped-call]
        self._images = pb_grpc.ImageServiceStub(self._channel)  # type: ignore[no-untyped-call]
        self._timeout = timeout
        self._pull_timeout = pull_timeout

    async def close(self) -> None:
        await self._channel.close()

    async def __aenter__(self) -> RemoteRuntime:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _call(self, method: Any, request: Any, timeout: float | None = None) -> Any:
        """`method` of a generated stub (untyped); callers name the reply's type."""
        try:
            return await method(request, timeout=timeout or self._timeout)
        except grpc.aio.AioRpcError as err:
            raise from_rpc_error(err) from None

    # ---- RuntimeVersioner / RuntimeHealth
    async def version(self, api_version: str = "v1") -> pb.VersionResponse:
        reply: pb.VersionResponse = await self._call(
            self._runtime.Version, pb.VersionRequest(version=api_version)
        )
        return reply

    async def status(self, verbose: bool = False) -> pb.StatusResponse:
        reply: pb.StatusResponse = await self._call(self._runtime.Status, pb.StatusRequest(verbose=verbose))
        return reply

    async def update_runtime_config(self, config: pb.RuntimeConfig) -> None:
        await self._call(
            self._runtime.UpdateRuntimeConfig, pb.UpdateRuntimeConfigRequest(runtime_config=config)
        )

    # ---- PodSandboxManager
    async def run_pod_sandbox(self, config: pb.PodSandboxConfig, runtime_handler: str = "") -> str:
        resp: pb.RunPodSandboxResponse = await self._call(
            self._runtime.RunPodSandbox,
            pb.RunPodSandboxRequest(config=config, runtime_handler=runtime_handler),
        )
        return resp.pod_sandbox_id

    async def stop_pod_sandbox(self, pod_sandbox_id: str) -> None:
        await self._call(
            self._runtime.StopPodSandbox, pb.StopPodSandboxRequest(pod_sandbox_id=pod_sandbox_id)
        )

    async def remove_pod_sandbox(self, pod_sandbox_id: str) -> None:
        await self._call(
            self._runtime.RemovePodSandbox, pb.RemovePodSandboxRequest(pod_sandbox_id=pod_sandbox_id)
        )

    async def pod_sandbox_status(
        self, pod_sandbox_id: str, verbose: bool = False
    ) -> pb.PodSandboxStatusResponse:
        reply: pb.PodSandboxStatusResponse = await self._call(
            self._runtime.PodSandboxStatus,
            pb.PodSandboxStatusRequest(pod_sandbox_id=pod_sandbox_id, verbose=verbose),
        )
        return reply

    async def list_pod_sandbox(self, filter: pb.PodSandboxFilter | None = None) -> list[pb.PodSandbox]:
        resp: pb.ListPodSandboxResponse = await self._call(
            self._runtime.ListPodSandbox, pb.ListPodSandboxRequest(filter=filter)
        )
        return list(resp.items)

    # ---- ContainerManager
    async def create_container(
        self, pod_sandbox_id: str, config: pb.ContainerConfig, sandbox_config: pb.PodSandboxConfig
    ) -> str:
        resp: pb.CreateContainerResponse = await self._call(
            self._runtime.CreateContainer,
            pb.CreateContainerRequest(
                pod_sandbox_id=pod_sandbox_id, config=config, sandbox_config=sandbox_config
            ),
        )
        return resp.container_id

    async def start_container(self, container_id: str) -> None:
        await self._call(self._runtime.StartContainer, pb.StartContainerRequest(container_id=container_id))

    async def stop_container(self, container_id: str, timeout: int) -> None:
        await self._call(
            self._runtime.StopContainer,
            pb.StopContainerRequest(container_id=container_id, timeout=timeout),
            timeout=self._timeout + timeout,
        )

    async def remove_container(self, container_id: str) -> None:
        await self._call(self._runtime.RemoveContainer, pb.RemoveContainerRequest(container_id=container_id))

    async def list_containers(self, filter: pb.ContainerFilter | None = None) -> list[pb.Container]:
        resp: pb.ListContainersResponse = await self._call(
            self._runtime.ListContainers, pb.ListContainersRequest(filter=filter)
        )
        return list(resp.containers)

    async def container_status(self, container_id: str, verbose: bool = False) -> pb.ContainerStatusResponse:
        reply: pb.ContainerStatusResponse = await self._call(
            self._runtime.ContainerStatus,
            pb.ContainerStatusRequest(container_id=container_id, verbose=verbose),
        )
        return reply

    async def update_container_resources(
        self, container_id: str, resources: pb.LinuxContainerResources
    ) -> None:
        await self._call(
            self._runtime.UpdateContainerResources,
            pb.UpdateContainerResourcesRequest(container_id=container_id, linux=resources),
        )

    async def reopen_container_log(self, container_id: str) -> None:
        await self._call(
            self._runtime.ReopenContainerLog, pb.ReopenContainerLogRequest(container_id=container_id)
        )

    async def exec_sync(self, container_id: str, cmd: list[str], timeout: int = 0) -> pb.ExecSyncResponse:
        reply: pb.ExecSyncResponse = await self._call(
            self._runtime.ExecSync,
            pb.ExecSyncRequest(container_id=container_id, cmd=cmd, timeout=timeout),
            timeout=(self._timeout + timeout) if timeout else None,
        )
        return reply

    async def exec(self, request: pb.ExecRequest) -> pb.ExecResponse:
        reply: pb.ExecResponse = await self._call(self._runtime.Exec, request)
        return reply

    async def attach(self, request: pb.AttachRequest) -> pb.AttachResponse:
        reply: pb.AttachResponse = await self._call(self._runtime.Attach, request)
        return reply

    async def port_forward(self, request: pb.PortForwardRequest) -> pb.PortForwardResponse:
        reply: pb.PortForwardResponse = await self._call(self._runtime.PortForward, request)
        return reply

    # ---- ContainerStatsManager
    async def container_stats(self, container_id: str) -> pb.ContainerStats:
        resp: pb.ContainerStatsResponse = await self._call(
            self._runtime.ContainerStats, pb.ContainerStatsRequest(container_id=container_id)
        )
        return resp.stats

    async def list_container_stats(
        self, filter: pb.ContainerStatsFilter | None = None
    ) -> list[pb.ContainerStats]:
        resp: pb.ListContainerStatsResponse = await self._call(
            self._runtime.ListContainerStats, pb.ListContainerStatsRequest(filter=filter)
        )
        return list(resp.stats)

    async def pod_sandbox_stats(self, pod_sandbox_id: str) -> pb.PodSandboxStats:
        resp: pb.PodSandboxStatsResponse = await self._call(
            self._runtime.PodSandboxStats, pb.PodSandboxStatsRequest(pod_sandbox_id=pod_sandbox_id)
        )
        return resp.stats

    async def list_pod_sandbox_stats(
        self, filter: pb.PodSandboxStatsFilter | None = None
    ) -> list[pb.PodSandboxStats]:
        request = pb.ListPodSandboxStatsRequest(filter=filter)
        resp: pb.ListPodSandboxStatsResponse = await self._call(self._runtime.ListPodSandboxStats, request)
        return list(resp.stats)

    # ---- ImageManagerService
    async def list_images(self, filter: pb.ImageFilter | None = None) -> list[pb.Image]:
        resp: pb.ListImagesResponse = await self._call(
            self._images.ListImages, pb.ListImagesRequest(filter=filter)
        )
        return list(resp.images)

    async def image_status(self, image: pb.ImageSpec, verbose: bool = False) -> pb.ImageStatusResponse:
        reply: pb.ImageStatusResponse = await self._call(
            self._images.ImageStatus, pb.ImageStatusRequest(image=image, verbose=verbose)
        )
        return reply

    async def pull_image(
        self,
        image: pb.ImageSpec,
        auth: pb.AuthConfig | None = None,
        sandbox_config: pb.PodSandboxConfig | None = None,
    ) -> str:
        resp: pb.PullImageResponse = await self._call(
            self._images.PullImage,
            pb.PullImageRequest(image=image, auth=auth, sandbox_config=sandbox_config),
            timeout=self._pull_timeout,
        )
        return resp.image_ref

    async def remove_image(self, image: pb.ImageSpec) -> None:
        await self._call(self._images.RemoveImage, pb.RemoveImageRequest(image=image))

    async def image_fs_info(self) -> pb.ImageFsInfoResponse:
        reply: pb.ImageFsInfoResponse = await self._call(self._images.ImageFsInfo, pb.ImageFsInfoRequest())
        return reply
