"""GET /containerLogs/{namespace}/{pod}/{container}: a container's log, as `kubectl logs` reads it.

Query: `follow`, `previous`, `timestamps` (true/false), `tailLines` (or the older `tail`,
where "all" means every line), `sinceSeconds`, `sinceTime` (RFC 3339), `limitBytes`. Which
instance of the container is read comes from the pod's status, as on the Kubernetes
kubelet: the running one, else the terminated one, else the one before (`lastState`);
`previous` asks for `lastState`'s. The runtime then names the instance's log file. The body
streams as the file is read (chunked, flushed per chunk), and with `follow` until the
container stops.

Errors are plain text, as the kubelet writes them: 404 for a pod or container the kubelet
does not have, 400 for a container without logs yet ("... is waiting to start: ...").
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from aiohttp import web

from kubelite.api.types import Object
from kubelite.cri import api_pb2 as pb
from kubelite.cri.errors import CRIError
from kubelite.kubelet.logs import LogOptions, parse_timestamp, read_logs
from kubelite.kubelet.server.host import KubeletHost, container_spec
from kubelite.util.clock import Clock

_RUNTIME_PREFIXES = ("containerd://", "kubelite://", "cri-o://", "docker://")


def _bool(request: web.Request, name: str) -> bool:
    return request.query.get(name, "false").lower() in ("true", "1", "t")


def _int(request: web.Request, name: str, minimum: int) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = int(raw)
    except ValueError:
        raise web.HTTPBadRequest(text='{"message": "Unable to decode query."}') from None
    if value < minimum:
        raise web.HTTPUnprocessableEntity(text='{"message": "Invalid request."}')
    return value


def log_options(request: web.Request, now: dt.datetime) -> tuple[LogOptions, bool]:
    """The options of a /containerLogs request, and whether it asks for the previous instance."""
    query = dict(request.query)
    if "tail" in query:  # the older name of tailLines
        if query["tail"] == "all":
            query.pop("tailLines", None)
        else:
            query["tailLines"] = query["tail"]
    raw_tail = query.get("tailLines")
    tail = None
    if raw_tail:
        try:
            tail = int(raw_tail)
        except ValueError:
            raise web.HTTPBadRequest(text='{"message": "Unable to decode query."}') from None
    since_seconds = _int(request, "sinceSeconds", 1)
    since: dt.datetime | None = None
    if since_seconds is not None:
        since = now - dt.timedelta(seconds=since_seconds)
    if raw := request.query.get("sinceTime"):
        when = parse_timestamp(raw.encode())
        if when is None:
            raise web.HTTPBadRequest(text='{"message": "Unable to decode query."}')
        since = max(since, when) if since is not None else when
    options = LogOptions(
        tail_lines=tail if tail is None or tail >= 0 else None,
        since=since,
        timestamps=_bool(request, "timestamps"),
        limit_bytes=_int(request, "limitBytes", 1),
        follow=_bool(request, "follow"),
    )
    return options, _bool(request, "previous")


def _status_of(pod: Object, name: str) -> Object | None:
    status = pod.get("status") or {}
    for key in ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"):
        for cs in status.get(key) or []:
            if cs.get("name") == name:
                return dict(cs)
    return None


def container_to_read(pod: Object, name: str, previous: bool) -> str:
    """The runtime's id of the instance whose log is asked for; raises the kubelet's errors."""
    pod_name = pod["metadata"]["name"]
    cs = _status_of(pod, name)
    if cs is None:
        raise web.HTTPBadRequest(text=f'container "{name}" in pod "{pod_name}" is not available')
    state, last = cs.get("state") or {}, (cs.get("lastState") or {}).get("terminated") or {}
    if previous:
        if not last.get("containerID"):
            raise web.HTTPBadRequest(
                text=f'previous terminated container "{name}" in pod "{pod_name}" not found'
            )
        return str(last["containerID"])
    if "running" in state:
        return str(cs.get("containerID", ""))
    if "terminated" in state:
        cid = state["terminated"].get("containerID") or last.get("containerID")
        if not cid:
            raise web.HTTPBadRequest(text=f'container "{name}" in pod "{pod_name}" is terminated')
        return str(cid)
    if last.get("containerID"):
        return str(last["containerID"])
    reason = (state.get("waiting") or {}).get("reason", "")
    if reason == "ErrImagePull":
        reason = "image can't be pulled"
    elif reason == "ImagePullBackOff":
        reason = "trying and failing to pull image"
    if reason:
        raise web.HTTPBadRequest(text=f'container "{name}" in pod "{pod_name}" is waiting to start: {reason}')
    raise web.HTTPBadRequest(text=f'container "{name}" in pod "{pod_name}" is waiting to start - no logs yet')


def _runtime_id(container_id: str) -> str:
    for prefix in _RUNTIME_PREFIXES:
        if container_id.startswith(prefix):
            return container_id[len(prefix) :]
    return container_id.split("://", 1)[-1]


class ContainerLogsHandler:
    def __init__(self, host: KubeletHost, clock: Clock) -> None:
        self.host = host
        self.clock = clock

    def routes(self, app: web.Application) -> None:
        app.router.add_get("/containerLogs/{namespace}/{pod}/{container}", self.get)

    async def get(self, request: web.Request) -> web.StreamResponse:
        m = request.match_info
        options, previous = log_options(request, dt.datetime.fromtimestamp(self.clock.wall(), dt.UTC))
        pod = self.host.pod_by_name(m["namespace"], m["pod"])
        if pod is None:
            raise web.HTTPNotFound(text=f'pod "{m["pod"]}" does not exist')
        if container_spec(pod, m["container"]) is None:
            raise web.HTTPNotFound(text=f'container "{m["container"]}" not found in pod "{m["pod"]}"')
        cid = _runtime_id(container_to_read(pod, m["container"], previous))
        try:
            status = (await self.host.runtime.container_status(cid)).status
        except CRIError as err:
            raise web.HTTPBadRequest(text=f'failed to get container status "{cid}": {err.message}') from None
        path = Path(status.log_path)
        if not path.is_file():
            raise web.HTTPBadRequest(text=f'failed to open log file "{path}": no such file or directory')

        async def running() -> bool:
            try:
                return bool(
                    (await self.host.runtime.container_status(cid)).status.state == pb.CONTAINER_RUNNING
                )
            except CRIError:
                return False

        response = web.StreamResponse(headers={"Content-Type": "text/plain"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        try:
            async for chunk in read_logs(path, options, running=running, clock=self.clock):
                await response.write(chunk)
        except ConnectionError:
            return response  # the client left
        await response.write_eof()
        return response
