"""The gRPC face of the runtime: `runtime.v1` RuntimeService and ImageService servicers.

Each servicer method unpacks the request, calls the matching method of a backend that
implements the `kubelite.cri.protocols` Protocols, and packs the result. A `CRIError`
raised by the backend becomes its gRPC status code; anything else is logged once here
and answered INTERNAL.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import grpc

from kubelite.cri import api_pb2 as pb
from kubelite.cri import api_pb2_grpc as pb_grpc
from kubelite.cri.errors import CRIError
from kubelite.cri.protocols import ImageManagerService, RuntimeService

log = logging.getLogger("kubelite.runtime.grpc")


def _rpc(fn: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
    @functools.wraps(fn)
    async def wrapper(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            return await fn(self, request)
        except CRIError as err:
            await context.abort(err.code, err.message)
        except Exception as err:  # the outermost handler: log once, answer INTERNAL
            log.exception("CRI call failed", extra={"method": fn.__name__})
            await context.abort(grpc.StatusCode.INTERNAL, f"{type(err).__name__}: {err}")

    return wrapper


class RuntimeServicer(pb_grpc.RuntimeServiceServicer):
    def __init__(self, backend: RuntimeService) -> None:
        self.b = backend

    @_rpc
    async def Version(self, r: pb.VersionRequest) -> pb.VersionResponse:
        return await self.b.version(r.version)

    @_rpc
    async def Status(self, r: pb.StatusRequest) -> pb.StatusResponse:
        return await self.b.status(r.verbose)

    @_rpc
    async def UpdateRuntimeConfig(self, r: pb.UpdateRuntimeConfigRequest) -> pb.UpdateRuntimeConfigResponse:
        await self.b.update_runtime_config(r.runtime_config)
        return pb.UpdateRuntimeConfigResponse()

    @_rpc
    async def RuntimeConfig(self, r: pb.RuntimeConfigRequest) -> pb.RuntimeConfigResponse:
        return pb.RuntimeConfigResponse(linux=pb.LinuxRuntimeConfiguration(cgroup_driver=pb.CGROUPFS))

    @_rpc
    async def RunPodSandbox(self, r: pb.RunPodSandboxRequest) -> pb.RunPodSandboxResponse:
        return pb.RunPodSandboxResponse(
            pod_sandbox_id=await self.b.run_pod_sandbox(r.config, r.runtime_handler)
        )

    @_rpc
    async def StopPodSandbox(self, r: pb.StopPodSandboxRequest) -> pb.StopPodSandboxResponse:
        await self.b.stop_pod_sandbox(r.pod_sandbox_id)
        return pb.StopPodSandboxResponse()

    @_rpc
    async def RemovePodSandbox(self, r: pb.RemovePodSandboxRequest) -> pb.RemovePodSandboxResponse:
        await self.b.remove_pod_sandbox(r.pod_sandbox_id)
        return pb.RemovePodSandboxResponse()

    @_rpc
    async def PodSandboxStatus(self, r: pb.PodSandboxStatusRequest) -> pb.PodSandboxStatusResponse:
        return await self.b.pod_sandbox_status(r.pod_sandbox_id, r.verbose)

    @_rpc
    async def ListPodSandbox(self, r: pb.ListPodSandboxRequest) -> pb.ListPodSandboxResponse:
        f = r.filter if r.HasField("filter") else None
        return pb.ListPodSandboxResponse(items=await self.b.list_pod_sandbox(f))

    @_rpc
    async def CreateContainer(self, r: pb.CreateContainerRequest) -> pb.CreateContainerResponse:
        cid = await self.b.create_container(r.pod_sandbox_id, r.config, r.sandbox_config)
        return pb.CreateContainerResponse(container_id=cid)

    @_rpc
    async def StartContainer(self, r: pb.StartContainerRequest) -> pb.StartContainerResponse:
        await self.b.start_container(r.container_id)
        return pb.StartContainerResponse()

    @_rpc
    async def StopContainer(self, r: pb.StopContainerRequest) -> pb.StopContainerResponse:
        await self.b.stop_container(r.container_id, r.timeout)
        return pb.StopContainerResponse()

    @_rpc
    async def RemoveContainer(self, r: pb.RemoveContainerRequest) -> pb.RemoveContainerResponse:
        await self.b.remove_container(r.container_id)
        return pb.RemoveContainerResponse()

    @_rpc
    async def ListContainers(self, r: pb.ListContainersRequest) -> pb.ListContainersResponse:
        f = r.filter if r.HasField("filter") else None
        return pb.ListContainersResponse(containers=await self.b.list_containers(f))

    @_rpc
    async def ContainerStatus(self, r: pb.ContainerStatusRequest) -> pb.ContainerStatusResponse:
        return await self.b.container_status(r.container_id, r.verbose)

    @_rpc
    async def UpdateContainerResources(
        self, r: pb.UpdateContainerResourcesRequest
    ) -> pb.UpdateContainerResourcesResponse:
        await self.b.update_container_resources(r.container_id, r.linux)
        return pb.UpdateContainerResourcesResponse()

    @_rpc
    async def ReopenContainerLog(self, r: pb.ReopenContainerLogRequest) -> pb.ReopenContainerLogResponse:
        await self.b.reopen_container_log(r.container_id)
        return pb.ReopenContainerLogResponse()

    @_rpc
    async def ExecSync(self, r: pb.ExecSyncRequest) -> pb.ExecSyncResponse:
        return await self.b.exec_sync(r.container_id, list(r.cmd), r.timeout)

    @_rpc
    async def Exec(self, r: pb.ExecRequest) -> pb.ExecResponse:
        return await self.b.exec(r)

    @_rpc
    async def Attach(self, r: pb.AttachRequest) -> pb.AttachResponse:
        return await self.b.attach(r)

    @_rpc
    async def PortForward(self, r: pb.PortForwardRequest) -> pb.PortForwardResponse:
        return await self.b.port_forward(r)

    @_rpc
    async def ContainerStats(self, r: pb.ContainerStatsRequest) -> pb.ContainerStatsResponse:
        return pb.ContainerStatsResponse(stats=await self.b.container_stats(r.container_id))

    @_rpc
    async def ListContainerStats(self, r: pb.ListContainerStatsRequest) -> pb.ListContainerStatsResponse:
        f = r.filter if r.HasField("filter") else None
        return pb.ListContainerStatsResponse(stats=await self.b.list_container_stats(f))

    @_rpc
    async def PodSandboxStats(self, r: pb.PodSandboxStatsRequest) -> pb.PodSandboxStatsResponse:
        return pb.PodSandboxStatsResponse(stats=await self.b.pod_sandbox_stats(r.pod_sandbox_id))

    @_rpc
    async def ListPodSandboxStats(self, r: pb.ListPodSandboxStatsRequest) -> pb.ListPodSandboxStatsResponse:
        f = r.filter if r.HasField("filter") else None
        return pb.ListPodSandboxStatsResponse(stats=await self.b.list_pod_sandbox_stats(f))


class ImageServicer(pb_grpc.ImageServiceServicer):
    def __init__(self, backend: ImageManagerService) -> None:
        self.b = backend

    @_rpc
    async def ListImages(self, r: pb.ListImagesRequest) -> pb.ListImagesResponse:
        f = r.filter if r.HasField("filter") else None
        return pb.ListImagesResponse(images=await self.b.list_images(f))

    @_rpc
    async def ImageStatus(self, r: pb.ImageStatusRequest) -> pb.ImageStatusResponse:
        return await self.b.image_status(r.image, r.verbose)

    @_rpc
    async def PullImage(self, r: pb.PullImageRequest) -> pb.PullImageResponse:
        auth = r.auth if r.HasField("auth") else None
        return pb.PullImageResponse(image_ref=await self.b.pull_image(r.image, auth, r.sandbox_config))

    @_rpc
    async def RemoveImage(self, r: pb.RemoveImageRequest) -> pb.RemoveImageResponse:
        await self.b.remove_image(r.image)
        return pb.RemoveImageResponse()

    @_rpc
    async def ImageFsInfo(self, r: pb.ImageFsInfoRequest) -> pb.ImageFsInfoResponse:
        return await self.b.image_fs_info()


def add_to_server(server: grpc.aio.Server, runtime: RuntimeService, images: ImageManagerService) -> None:
    # The generated registration functions carry no annotations.
    pb_grpc.add_RuntimeServiceServicer_to_server(RuntimeServicer(runtime), server)  # type: ignore[no-untyped-call]
    pb_grpc.add_ImageServiceServicer_to_server(ImageServicer(images), server)  # type: ignore[no-untyped-call]
