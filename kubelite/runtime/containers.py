"""Containers: the OCI bundle, the monitor process, and the CRI container state machine.

```
CreateContainer ──► CREATED ──StartContainer──► RUNNING ──(process exits)──► EXITED
   overlay rootfs,     │                          │  StopContainer: stop signal,       │
   config.json,        │                          │  wait timeout, SIGKILL             │
   monitor + runc      └────────(killed)──────────┴────────────────────────────────────┤
   create                                                                  RemoveContainer
                                                                           (kills first if needed)
```

The state is never stored as such: it is read from the files the monitor leaves
(`monitor.py`): `exit.json` present → EXITED (exit code, finish time and reason:
Completed, Error, OOMKilled or ContainerCannotRun); else a start time in the record →
RUNNING; else CREATED. That is why a restarted runtime sees exactly what happened while
it was away.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from kubelite.cri import api_pb2 as pb
from kubelite.cri.errors import CRIError, DeadlineExceeded, FailedPrecondition, InvalidArgument, NotFound
from kubelite.image.manager import ImageManager
from kubelite.runtime import ocispec
from kubelite.runtime.records import ContainerRecord, SandboxRecord, save

MONITOR = Path(__file__).with_name("monitor.py")


def _exit_info(d: Path) -> dict[str, Any] | None:
    try:
        info: dict[str, Any] = json.loads((d / "exit.json").read_text())
        return info
    except (OSError, ValueError):
        return None


def _mount_rootfs(lower: Path, d: Path) -> Path:
    """The container's root: an overlay over the image snapshot, else a private copy."""
    rootfs = d / "bundle" / "rootfs"
    for sub in ("upper", "work"):
        (d / sub).mkdir(exist_ok=True)
    rootfs.mkdir(parents=True, exist_ok=True)
    opts = f"lowerdir={lower},upperdir={d / 'upper'},workdir={d / 'work'}"
    if (
        subprocess.run(
            ["mount", "-t", "overlay", "overlay", "-o", opts, str(rootfs)], capture_output=True
        ).returncode
        != 0
    ):
        rootfs.rmdir()
        shutil.copytree(lower, rootfs, symlinks=True)
    return rootfs


class MonitorLauncher:
    """Starts container monitors through the monitor's fork server (see `monitor.py`),
    starting the server on first use and again if it died."""

    def __init__(self) -> None:
        self._server: subprocess.Popen[bytes] | None = None

    def start(self) -> subprocess.Popen[bytes]:
        """The running server, started if there is none (the runtime starts it at once, so
        that the first container does not wait for an interpreter)."""
        if self._server is None or self._server.poll() is not None:
            # -I -S: the monitor needs only the standard library (no site, no .pth files)
            self._server = subprocess.Popen(
                [sys.executable, "-I", "-S", str(MONITOR), "--fork-server"],
                start_new_session=True,
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                close_fds=True,
            )
        return self._server

    def launch(self, state_dir: Path) -> None:
        for _ in range(2):
            stdin = self.start().stdin
            assert stdin is not None
            try:
                stdin.write(f"{state_dir}\n".encode())
                stdin.flush()
                return
            except OSError:  # it died since we looked: start another
                self._server = None
        raise CRIError("could not start the container monitor")

    def close(self) -> None:
        if self._server is not None and self._server.stdin is not None:
            self._server.stdin.close()  # the server exits at end of input
            self._server.wait()
            self._server = None


class ContainerOps:
    """The ContainerManager half of `runtime_service.Runtime` (state lives on the Runtime)."""

    root: Path
    runc: str
    images: ImageManager
    sandboxes: dict[str, SandboxRecord]
    containers: dict[str, ContainerRecord]
    container_configs: dict[str, pb.ContainerConfig]
    monitors: MonitorLauncher

    def container_dir(self, cid: str) -> Path:
        return self.root / "containers" / cid

    def runc_cmd(self, *args: str) -> list[str]:
        return [self.runc, "--root", str(self.root / "runc"), *args]

    def find_container(self, cid: str) -> ContainerRecord:
        if cid in self.containers:
            return self.containers[cid]
        matches = [c for k, c in self.containers.items() if cid and k.startswith(cid)]
        if len(matches) == 1:
            return matches[0]
        raise NotFound(f"container {cid!r} not found")

    def container_config(self, cid: str) -> pb.ContainerConfig:
        """The container's CRI config, read from disk once (only UpdateContainerResources
        changes it, and it writes both)."""
        cfg = self.container_configs.get(cid)
        if cfg is None:
            cfg = pb.ContainerConfig.FromString((self.container_dir(cid) / "config.pb").read_bytes())
            self.container_configs[cid] = cfg
        return cfg

    def exit_code(self, rec: ContainerRecord) -> int | None:
        info = _exit_info(self.container_dir(rec.id))
        return None if info is None else int(info["exit_code"])

    def state(self, rec: ContainerRecord) -> pb.ContainerState:
        d = self.container_dir(rec.id)
        if _exit_info(d) is not None:
            return pb.CONTAINER_EXITED
        if rec.started_at:
            return pb.CONTAINER_RUNNING
        return pb.CONTAINER_CREATED if (d / "created").exists() else pb.CONTAINER_UNKNOWN

    async def create_container(
        self, pod_sandbox_id: str, config: pb.ContainerConfig, sandbox_config: pb.PodSandboxConfig
    ) -> str:
        sandbox = self.sandboxes.get(pod_sandbox_id) or self.find_sandbox(pod_sandbox_id)  # type: ignore[attr-defined]
        if not sandbox.ready:
            raise FailedPrecondition(f"pod sandbox {sandbox.id} is not ready")
        name, attempt = config.metadata.name, config.metadata.attempt
        for c in self.containers.values():
            if c.sandbox_id == sandbox.id and (c.name, c.attempt) == (name, attempt):
                raise CRIError(f"container {name} attempt {attempt} already exists as {c.id}")
        image = self.images.require(config.image.image)
        cid = secrets.token_hex(32)
        d = self.container_dir(cid)
        d.mkdir(parents=True)
        log_dir = self.sandbox_config(sandbox.id).log_directory  # type: ignore[attr-defined]
        # log_path is relative to the sandbox's log directory; without one there is no log
        log_path = os.path.join(log_dir, config.log_path) if config.log_path and log_dir else ""
        sig = (
            signal.Signals[pb.Signal.Name(config.stop_signal).removeprefix("SIGNAL_")]
            if config.stop_signal
            else _image_stop_signal(image.config)
        )
        rec = ContainerRecord(
            id=cid,
            sandbox_id=sandbox.id,
            name=name,
            attempt=attempt,
            image=config.image.image,
            image_id=image.id,
            # As containerd and CRI-O: the ref is the digest the image was pulled by.
            image_ref=image.repo_digests[0] if image.repo_digests else image.id,
            created_at=time.time_ns(),
            log_path=log_path,
            cgroup=f"{sandbox.cgroup_parent}/kubelite-{cid[:12]}",
            stop_signal=int(sig),
        )
        try:
            await asyncio.to_thread(self._write_bundle, d, rec, config, image.config, sandbox)
            save(d, rec)
            await self._start_monitor(d, rec)
        except BaseException:
            await asyncio.shield(self._destroy(rec))
            raise
        self.container_configs[cid] = pb.ContainerConfig()
        self.container_configs[cid].CopyFrom(config)
        self.containers[cid] = rec
        return cid

    def _write_bundle(
        self,
        d: Path,
        rec: ContainerRecord,
        config: pb.ContainerConfig,
        image_config: dict[str, Any],
        sandbox: SandboxRecord,
    ) -> None:
        (d / "config.pb").write_bytes(config.SerializeToString())
        rootfs = _mount_rootfs(self.images.store.rootfs(rec.image_id), d)
        hostname = (self.sandbox_dir(sandbox.id) / "hostname").read_text().strip()  # type: ignore[attr-defined]
        try:
            spec = ocispec.build(
                config=config,
                image_config=image_config,
                rootfs=rootfs,
                sandbox_files=self.sandbox_files(sandbox.id),  # type: ignore[attr-defined]
                namespaces=self.sandbox_namespaces(sandbox),  # type: ignore[attr-defined]
                hostname=hostname,
                cgroups_path=rec.cgroup,
                sysctls=dict(self.sandbox_config(sandbox.id).linux.sysctls),  # type: ignore[attr-defined]
            )
        except ValueError as err:
            raise InvalidArgument(str(err)) from None
        (d / "bundle" / "config.json").write_text(json.dumps(spec))
        (d / "monitor.json").write_text(
            json.dumps(
                {
                    "id": rec.id,
                    "bundle": str(d / "bundle"),
                    "runc": shutil.which(self.runc) or self.runc,
                    "runc_root": str(self.root / "runc"),
                    "log_path": rec.log_path,
                    "cgroup": rec.cgroup,
                    "stdin": config.stdin,
                    "stdin_once": config.stdin_once,
                    "tty": config.tty,
                }
            )
        )

    async def _start_monitor(self, d: Path, rec: ContainerRecord) -> None:
        self.monitors.launch(d)
        delay = 0.002
        for _ in range(2000):
            if (d / "created").exists():
                return
            if (info := _exit_info(d)) is not None:
                raise CRIError(f"creating container: {info.get('message') or info.get('reason')}")
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 0.05)
        raise DeadlineExceeded("the container monitor did not report the container created")

    async def start_container(self, container_id: str) -> None:
        rec = self.find_container(container_id)
        if self.state(rec) != pb.CONTAINER_CREATED:
            raise FailedPrecondition(f"container {rec.id} is not in state CREATED")
        # stamped before `runc start`: a quick process may exit (and its monitor record the
        # finish time) before runc returns, and a container never finishes before it starts
        started = time.time_ns()
        out = await _run(self.runc_cmd("start", rec.id))
        if out[0] != 0 and not self._ran(rec):
            raise CRIError(f"starting container: {out[2].strip()}")
        rec.started_at = started
        save(self.container_dir(rec.id), rec)

    def _ran(self, rec: ContainerRecord) -> bool:
        """The process ran and exited already: a command that exits at once may be reaped,
        and its state deleted by the monitor, while `runc start` is still returning (it then
        fails to remove its exec.fifo)."""
        info = _exit_info(self.container_dir(rec.id))
        return info is not None and info.get("reason") != "ContainerCannotRun"

    async def _wait_exit(self, rec: ContainerRecord, timeout: float) -> bool:
        d = self.container_dir(rec.id)
        deadline = time.monotonic() + timeout
        while _exit_info(d) is None:
            if time.monotonic() >= deadline:
                return False
            await asyncio.sleep(0.02)
        return True

    async def stop_container(self, container_id: str, timeout: int) -> None:
        rec = self.find_container(container_id)
        if self.state(rec) == pb.CONTAINER_EXITED:
            return
        if timeout > 0:
            await _run(self.runc_cmd("kill", rec.id, str(rec.stop_signal)))
            if await self._wait_exit(rec, timeout):
                return
        await _run(self.runc_cmd("kill", "--all", rec.id, "KILL"))
        if not await self._wait_exit(rec, 10):
            raise DeadlineExceeded(f"container {rec.id} did not exit after SIGKILL")

    async def remove_container(self, container_id: str) -> None:
        try:
            rec = self.find_container(container_id)
        except NotFound:
            return
        if self.state(rec) in (pb.CONTAINER_RUNNING, pb.CONTAINER_CREATED):
            await self.stop_container(rec.id, 0)
        await self._destroy(rec)

    async def _destroy(self, rec: ContainerRecord) -> None:
        d = self.container_dir(rec.id)
        await _run(self.runc_cmd("delete", "--force", rec.id))
        rootfs = d / "bundle" / "rootfs"
        if os.path.ismount(rootfs):
            await _run(["umount", "-l", str(rootfs)])
        # out of the index before its files go: while they are deleted (in a thread) the
        # container would read as running (no exit record) and its config as missing
        self.containers.pop(rec.id, None)
        self.container_configs.pop(rec.id, None)
        await asyncio.to_thread(shutil.rmtree, d, True)

    def _status(self, rec: ContainerRecord) -> pb.ContainerStatus:
        cfg = self.container_config(rec.id)
        state = self.state(rec)
        st = pb.ContainerStatus(
            id=rec.id,
            metadata=cfg.metadata,
            state=state,
            created_at=rec.created_at,
            started_at=rec.started_at,
            image=pb.ImageSpec(image=rec.image),
            image_ref=rec.image_ref or rec.image_id,
            image_id=rec.image_id,
            labels=cfg.labels,
            annotations=cfg.annotations,
            mounts=cfg.mounts,
            log_path=rec.log_path,
        )
        st.resources.linux.CopyFrom(cfg.linux.resources)
        if (info := _exit_info(self.container_dir(rec.id))) is not None:
            st.exit_code, st.finished_at = info["exit_code"], info["finished_at"]
            st.reason, st.message = info.get("reason", ""), info.get("message", "")
        return st

    async def container_status(self, container_id: str, verbose: bool = False) -> pb.ContainerStatusResponse:
        rec = self.find_container(container_id)
        info: dict[str, str] = {}
        if verbose:
            pid = self.container_dir(rec.id) / "pid"
            info["info"] = json.dumps(
                {"pid": int(pid.read_text()) if pid.exists() else 0, "cgroup": rec.cgroup}
            )
        return pb.ContainerStatusResponse(status=self._status(rec), info=info)

    async def list_containers(self, filter: pb.ContainerFilter | None = None) -> list[pb.Container]:
        out = []
        for rec in list(self.containers.values()):
            # filter on what is in memory before reading any state file: the kubelet lists
            # one pod's containers by label on every sync
            try:
                cfg = self.container_config(rec.id)
            except FileNotFoundError:  # removed while we were listing: it is no longer there
                continue
            if filter is not None:
                if filter.id and not rec.id.startswith(filter.id):
                    continue
                if filter.pod_sandbox_id and not rec.sandbox_id.startswith(filter.pod_sandbox_id):
                    continue
                if any(cfg.labels.get(k) != v for k, v in filter.label_selector.items()):
                    continue
            state = self.state(rec)
            if filter is not None and filter.HasField("state") and filter.state.state != state:
                continue
            out.append(
                pb.Container(
                    id=rec.id,
                    pod_sandbox_id=rec.sandbox_id,
                    metadata=cfg.metadata,
                    image=pb.ImageSpec(image=rec.image),
                    image_ref=rec.image_ref or rec.image_id,
                    image_id=rec.image_id,
                    state=state,
                    created_at=rec.created_at,
                    labels=cfg.labels,
                    annotations=cfg.annotations,
                )
            )
        return out

    async def reopen_container_log(self, container_id: str) -> None:
        rec = self.find_container(container_id)
        if self.state(rec) != pb.CONTAINER_RUNNING:
            raise FailedPrecondition(f"container {rec.id} is not running")
        monitor = self._monitor_pid(rec)
        if monitor:
            os.kill(monitor, signal.SIGUSR1)

    def _monitor_pid(self, rec: ContainerRecord) -> int:
        """The monitor is the parent of the container's init process."""
        try:
            pid = int((self.container_dir(rec.id) / "pid").read_text())
            return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            return 0

    async def exec_sync(self, container_id: str, cmd: list[str], timeout: int = 0) -> pb.ExecSyncResponse:
        rec = self.find_container(container_id)
        if self.state(rec) != pb.CONTAINER_RUNNING:
            raise FailedPrecondition(f"container {rec.id} is not running")
        if not cmd:
            raise InvalidArgument("exec needs a command")
        proc = await asyncio.create_subprocess_exec(
            *self.runc_cmd("exec", rec.id, *cmd),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(proc.communicate(), timeout or None)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            raise DeadlineExceeded(f"command {cmd!r} timed out after {timeout}s") from None
        return pb.ExecSyncResponse(stdout=out, stderr=err, exit_code=proc.returncode or 0)

    async def update_container_resources(
        self, container_id: str, resources: pb.LinuxContainerResources
    ) -> None:
        rec = self.find_container(container_id)
        args = []
        for flag, value in (
            ("--memory", resources.memory_limit_in_bytes),
            ("--cpu-shares", resources.cpu_shares),
            ("--cpu-quota", resources.cpu_quota),
            ("--cpu-period", resources.cpu_period),
        ):
            if value:
                args += [flag, str(value)]
        if resources.memory_limit_in_bytes:
            args += ["--memory-swap", str(resources.memory_limit_in_bytes)]
        if args:
            code, _, err = await _run(self.runc_cmd("update", *args, rec.id))
            if code != 0:
                raise CRIError(f"updating resources: {err.strip()}")
        # ContainerStatus reports the resources from the stored config: keep it current
        cfg = self.container_config(rec.id)
        cfg.linux.resources.MergeFrom(resources)
        (self.container_dir(rec.id) / "config.pb").write_bytes(cfg.SerializeToString())


def _image_stop_signal(config: dict[str, Any]) -> signal.Signals:
    name = str(config.get("StopSignal") or "SIGTERM").upper()
    try:
        return (
            signal.Signals(int(name))
            if name.isdigit()
            else signal.Signals[name if name.startswith("SIG") else f"SIG{name}"]
        )
    except (KeyError, ValueError):
        return signal.SIGTERM


async def _run(cmd: list[str]) -> tuple[int, str, str]:
    proc = await asyncio.create_subprocess_exec(
        *cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    out, err = await proc.communicate()
    return proc.returncode or 0, out.decode(errors="replace"), err.decode(errors="replace")
