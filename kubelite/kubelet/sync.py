"""SyncPod: one level-based step that drives a pod's containers toward its spec.

Each call compares the spec with what the runtime holds (`runtime_state.fetch`) and does
the next thing needed, then returns; the pod worker calls it again when something changes
(a PLEG event, a probe result, a back-off expiring, a new spec):

    1. no ready sandbox → stop the old one (if any), make the pod's cgroup with its
       limits (cgroups.py), run a new sandbox (attempt + 1)
    2. init containers, in order: the first not yet succeeded is started (or restarted,
       with back-off) and the step ends there: one at a time, each to completion
    3. containers: a running one whose liveness (or startup) probe failed is killed;
       an exited one is restarted if the restart policy says so, after its back-off
       (CrashLoopBackOff, 10 s doubling to 5 min from its exit, forgotten when it exits
       more than 10 min after its previous exit);
       one never started is started: image (pull policy), runAsNonRoot checked against
       the image's user (CreateContainerConfigError), create (with the kubelet's
       /etc/hosts and termination-message file, podfiles.py), start, postStart

A pod with no ready sandbox takes steps 1-3 in one go while holding a start slot (at
most `parallel_pod_starts` pods start at once, earliest first; `start_slots.py`). Its
images are pulled before it takes the slot, and any pull inside the step lets the slot
go meanwhile: a slow or failing pull delays only its own pod.

Waiting reasons the status must show (ErrImagePull, CrashLoopBackOff, ...) are returned
in `SyncResult.waiting`; `SyncResult.retry_in` says when a back-off ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kubelite.api.pods import full_name
from kubelite.api.types import Object
from kubelite.cri import api_pb2 as pb
from kubelite.cri.errors import CRIError
from kubelite.kubelet.backoff import Backoff, go_duration
from kubelite.kubelet.cgroups import ensure_pod_cgroup, pod_cgroup, pod_resources
from kubelite.kubelet.criconfig import DEFAULT_SECCOMP_ROOT, container_config, sandbox_config
from kubelite.kubelet.dns import DNSConfigurer
from kubelite.kubelet.envvars import EnvError, container_env
from kubelite.kubelet.hashing import content_hash
from kubelite.kubelet.images import ImagePuller, PullFailure
from kubelite.kubelet.lifecycle import HookError, run_handler
from kubelite.kubelet.podfiles import hosts_mount, termination_message_mount
from kubelite.kubelet.prober.manager import ProbeManager
from kubelite.kubelet.runtime_state import PodRuntimeState, fetch
from kubelite.kubelet.security import effective, image_user, verify_run_as_non_root
from kubelite.kubelet.start_slots import SlotClaim, StartSlots
from kubelite.kubelet.status import will_restart
from kubelite.kubelet.volumes.errors import VolumeError
from kubelite.kubelet.volumes.manager import MountFailed, VolumeManager
from kubelite.util.clock import Clock

log = logging.getLogger("kubelite.kubelet.sync")
Recorder = Callable[[Object, str, str, str], None]  # (pod, type, reason, message)
Pulled = dict[str, str | PullFailure]  # container name → image ref, or why not
VOLUME_RETRY = 2.0  # seconds between tries to set up a pod's volumes that failed
SHOW_ERR_IMAGE_PULL = 1.0  # seconds a failed pull's ErrImagePull shows before ImagePullBackOff


class ConfigError(Exception):
    """The container cannot be configured as its spec asks (CreateContainerConfigError)."""


@dataclass(slots=True)
class SyncResult:
    state: PodRuntimeState
    waiting: dict[str, tuple[str, str]] = field(default_factory=dict)
    retry_in: float | None = None

    def retry_after(self, seconds: float) -> None:
        self.retry_in = seconds if self.retry_in is None else min(self.retry_in, seconds)


class PodSyncer:
    def __init__(
        self,
        runtime: Any,
        *,
        clock: Clock,
        probes: ProbeManager,
        record: Recorder,
        crash_backoff: Backoff,
        pull_backoff: Backoff,
        log_root: Any,
        host_ip: str,
        parallel_pod_starts: int = 4,
        cgroup_root: str | None = None,
        volumes: VolumeManager | None = None,
        pod_pids_limit: int = -1,
        cluster_domain: str = "cluster.local",
        seccomp_root: Path = DEFAULT_SECCOMP_ROOT,
        memory_capacity: int = 0,
        dns: DNSConfigurer | None = None,
    ) -> None:
        self.runtime = runtime
        self.start_slots = StartSlots(parallel_pod_starts)
        self.clock = clock
        self.probes = probes
        self.record = record
        self.crash_backoff = crash_backoff
        self.images = ImagePuller(runtime, pull_backoff)
        self.log_root = log_root
        self.host_ip = host_ip
        self.cgroup_root = cgroup_root  # None: name no pod cgroup (the runtime picks)
        self.volumes = volumes  # None: no volumes are mounted (fake runtimes in unit tests)
        self.pod_pids_limit = pod_pids_limit
        self.cluster_domain = cluster_domain
        self.seccomp_root = seccomp_root
        self.memory_capacity = memory_capacity  # bytes: a Burstable container's oom_score_adj
        self.dns = dns  # None: the pod's own dnsConfig only (fake runtimes in unit tests)

    def pod_cgroup(self, pod: Object) -> str:
        return "" if self.cgroup_root is None else pod_cgroup(pod, self.cgroup_root)

    def _sandbox_config(self, pod: Object, attempt: int, *, new: bool = False) -> pb.PodSandboxConfig:
        """`new`: for a sandbox about to be made, so DNS problems are told in events (once)."""
        dns = self.dns.pod_dns(pod, events=new) if self.dns is not None else None
        return sandbox_config(
            pod,
            attempt,
            log_root=self.log_root,
            cgroup_parent=self.pod_cgroup(pod),
            seccomp_root=self.seccomp_root,
            dns=dns,
        )

    # ---- the step -------------------------------------------------------------------------

    async def sync(self, pod: Object) -> SyncResult:
        uid = pod["metadata"]["uid"]
        if not await self._volumes_set_up(pod):
            return SyncResult(await fetch(self.runtime, uid), retry_in=VOLUME_RETRY)
        state = await fetch(self.runtime, uid)
        if state.ready_sandbox is None:
            # A pod starting (sandbox, then its containers) holds one of a few start slots
            # for that step, so a burst of pods comes up one after another instead of every
            # pod sharing the node's CPU and all of them finishing last. Its images are
            # pulled first, outside the slot: a pull can take minutes, or hang.
            ticket = self.start_slots.ticket()
            pulled = await self._pull_first(pod, state)
            async with self.start_slots.claim(ticket) as slot:
                await self._new_sandbox(pod, state)
                return await self._sync_containers(pod, await fetch(self.runtime, uid), slot, pulled)
        return await self._sync_containers(pod, state)

    async def _volumes_set_up(self, pod: Object) -> bool:
        """Set up (or refresh) the pod's volumes; False while one was never set up, so its
        containers wait (a refresh failing later leaves the running pod alone)."""
        if self.volumes is None:
            return True
        try:
            await self.volumes.set_up(pod)
        except MountFailed as err:
            self.record(pod, "Warning", "FailedMount", str(err))
        return self.volumes.ready(pod)

    async def tear_down_volumes(self, pod: Object) -> None:
        if self.volumes is not None:
            await self.volumes.tear_down(pod)

    async def _pull_first(self, pod: Object, state: PodRuntimeState) -> Pulled:
        """The images of the containers a new pod's first step starts (its first init
        container, else all of them), pulled at once; nothing for a pod that ran before."""
        if state.containers or state.sandboxes:
            return {}
        spec = pod.get("spec") or {}
        first = (spec.get("initContainers") or [])[:1] or spec.get("containers") or []
        sb_config = self._sandbox_config(pod, 0)

        async def pull(c: Object) -> str | PullFailure:
            try:
                return await self.images.ensure(pod, c, sb_config, lambda t, r, m: self.record(pod, t, r, m))
            except PullFailure as err:
                return err

        refs = await asyncio.gather(*(pull(c) for c in first))
        return {c["name"]: ref for c, ref in zip(first, refs, strict=True)}

    async def _sync_containers(
        self, pod: Object, state: PodRuntimeState, slot: SlotClaim | None = None, pulled: Pulled | None = None
    ) -> SyncResult:
        result = SyncResult(state)
        sandbox = state.ready_sandbox
        if sandbox is None:
            return result
        sb_config = self._sandbox_config(pod, sandbox.metadata.attempt)
        spec = pod.get("spec") or {}
        for c in spec.get("initContainers") or []:
            latest = state.latest(c["name"])
            if latest is not None and latest.state == pb.CONTAINER_EXITED and latest.exit_code == 0:
                continue
            if latest is None or will_restart(pod, latest, init=True):
                await self._start(pod, c, latest, sandbox.id, sb_config, result, slot, pulled, init=True)
            return result  # one init container at a time, each to completion
        for c in spec.get("containers") or []:
            latest = state.latest(c["name"])
            if latest is not None and latest.state == pb.CONTAINER_RUNNING:
                why = self.probes.liveness_failed(latest.id) or self.probes.startup_failed(latest.id)
                if why is None:
                    continue
                kind = "liveness" if self.probes.liveness_failed(latest.id) else "startup"
                self.record(
                    pod, "Normal", "Killing", f"Container {c['name']} failed {kind} probe, will be restarted"
                )
                await self.stop_container(pod, c, latest, grace=_probe_grace(pod, c, kind))
                latest = (await self.runtime.container_status(latest.id)).status
                result.state.containers = [x for x in result.state.containers if x.id != latest.id] + [latest]
            if latest is None or will_restart(pod, latest):
                await self._start(pod, c, latest, sandbox.id, sb_config, result, slot, pulled, init=False)
        for c in spec.get("ephemeralContainers") or []:
            # Started once, never restarted; in its target container's PID namespace if it
            # names one (kubectl debug --target).
            if state.latest(c["name"]) is None:
                target = state.latest(c.get("targetContainerName") or "")
                target_id = target.id if target is not None and target.state == pb.CONTAINER_RUNNING else ""
                await self._start(
                    pod, c, None, sandbox.id, sb_config, result, slot, pulled, init=False, target_id=target_id
                )
        return result

    async def _new_sandbox(self, pod: Object, state: PodRuntimeState) -> None:
        attempt = 0
        if state.sandboxes:
            attempt = state.sandboxes[0].metadata.attempt + 1
            for s in state.sandboxes:
                if s.state == pb.SANDBOX_READY:
                    continue
                await self.runtime.stop_pod_sandbox(s.id)
        if attempt:
            self.record(
                pod, "Normal", "SandboxChanged", "Pod sandbox changed, it will be killed and re-created."
            )
        if cgroup := self.pod_cgroup(pod):
            await asyncio.to_thread(ensure_pod_cgroup, cgroup, pod_resources(pod, self.pod_pids_limit))
        try:
            await self.runtime.run_pod_sandbox(self._sandbox_config(pod, attempt, new=True))
        except CRIError as err:
            self.record(
                pod, "Warning", "FailedCreatePodSandBox", f"Failed to create pod sandbox: {err.message}"
            )
            raise

    async def _start(
        self,
        pod: Object,
        c: Object,
        latest: pb.ContainerStatus | None,
        sandbox_id: str,
        sb_config: pb.PodSandboxConfig,
        result: SyncResult,
        slot: SlotClaim | None,
        pulled: Pulled | None,
        *,
        init: bool,
        target_id: str = "",
    ) -> None:
        name = c["name"]
        attempt = 0 if latest is None else latest.metadata.attempt + 1
        if latest is not None:
            key = (pod["metadata"]["uid"], name)
            finished = latest.finished_at / 1e9 if latest.finished_at else self.clock.wall()
            finished_ago = max(0.0, self.clock.wall() - finished)
            exited = self.clock.now() - finished_ago  # on the back-off's clock
            # As Kubernetes' doBackOff: the delay runs from the exit, and it is forgotten when
            # this exit came more than reset_after after the previous one.
            delay = self.crash_backoff.backoff_since(key, exited)
            if delay:
                pod_ref = f"{full_name(pod)}({pod['metadata']['uid']})"
                result.waiting[name] = (
                    "CrashLoopBackOff",
                    f"back-off {go_duration(delay)} restarting failed container={name} pod={pod_ref}",
                )
                self.record(
                    pod, "Warning", "BackOff", f"Back-off restarting failed container {name} in pod {pod_ref}"
                )
                result.retry_after(delay - finished_ago)
                return
            self.crash_backoff.next(key, at=exited)
        image_ref = (pulled or {}).pop(name, None)
        if image_ref is None:
            image_ref = await self._ensure_image(pod, c, sb_config, slot)
        if isinstance(image_ref, PullFailure):
            err = image_ref
            result.waiting[name] = (err.reason, err.message)
            key = (pod["metadata"]["uid"], c.get("image", ""))
            retry = max(0.05, self.images.backoff.remaining(key))
            if err.reason == "ErrImagePull":
                # A failed pull shows ErrImagePull for a moment, then ImagePullBackOff until the
                # back-off ends and the next pull, as Kubernetes' status alternates between them.
                retry = min(retry, SHOW_ERR_IMAGE_PULL)
            result.retry_after(retry)
            return
        try:
            env, mounts = await self._env_and_mounts(pod, c, image_ref, result.state.pod_ip)
        except (EnvError, VolumeError, ConfigError) as err:
            result.waiting[name] = ("CreateContainerConfigError", str(err))
            self.record(pod, "Warning", "Failed", f"Error: {err}")
            result.retry_after(VOLUME_RETRY)
            return
        cfg = container_config(
            pod,
            c,
            attempt,
            image_ref=image_ref,
            pod_ip=result.state.pod_ip,
            host_ip=self.host_ip,
            init=init,
            spec_hash=content_hash(c),
            mounts=self._with_kubelet_files(pod, c, mounts, result.state.pod_ip),
            env=env,
            seccomp_root=self.seccomp_root,
            memory_capacity=self.memory_capacity,
        )
        if target_id:
            cfg.linux.security_context.namespace_options.pid = pb.TARGET
            cfg.linux.security_context.namespace_options.target_id = target_id
        try:
            cid = await self.runtime.create_container(sandbox_id, cfg, sb_config)
            self.record(pod, "Normal", "Created", f"Created container {name}")
            await self.runtime.start_container(cid)
        except CRIError as err:
            result.waiting[name] = ("CreateContainerError", err.message)
            self.record(pod, "Warning", "Failed", f"Error: {err.message}")
            result.retry_after(1.0)
            return
        self.record(pod, "Normal", "Started", f"Started container {name}")
        hook = (c.get("lifecycle") or {}).get("postStart")
        if hook:
            try:
                await run_handler(
                    hook,
                    runtime=self.runtime,
                    container_id=cid,
                    pod_ip=result.state.pod_ip,
                    clock=self.clock,
                    timeout=30,
                )
            except HookError as err:
                self.record(pod, "Warning", "FailedPostStartHook", str(err))
                await self.runtime.stop_container(cid, 0)
        await self._prune(pod, name, result.state)

    async def _env_and_mounts(
        self, pod: Object, c: Object, image_ref: str, pod_ip: str
    ) -> tuple[dict[str, str] | None, list[pb.Mount] | None]:
        """The container's environment and volume mounts (None, None without volumes);
        raises what makes a CreateContainerConfigError."""
        env, mounts = None, None
        if self.volumes is not None:
            env = await container_env(
                pod,
                c,
                self.volumes.sources,
                pod_ip=pod_ip,
                host_ip=self.host_ip,
                allocatable=self.volumes.allocatable,
            )
            mounts = self.volumes.mounts(pod, c, env)
        refused = await self._refused_as_root(pod, c, image_ref)
        if refused is not None:
            raise ConfigError(refused)
        return env, mounts

    async def _refused_as_root(self, pod: Object, c: Object, image_ref: str) -> str | None:
        """Why runAsNonRoot refuses the container (None: it may run); the image's user
        decides when the pod names none."""
        if not effective(pod, c).get("runAsNonRoot"):
            return None
        status = await self.runtime.image_status(pb.ImageSpec(image=image_ref))
        uid, username = image_user(status.image if status.HasField("image") else None)
        return verify_run_as_non_root(pod, c, uid, username)

    def _with_kubelet_files(
        self, pod: Object, c: Object, mounts: list[pb.Mount] | None, pod_ip: str
    ) -> list[pb.Mount] | None:
        """The volumes' mounts, then the kubelet's own files: /etc/hosts and the
        termination-message file (podfiles.py); None without volumes (fakes in tests)."""
        if self.volumes is None or mounts is None:
            return mounts
        pod_dir = self.volumes.pod_dir(pod["metadata"]["uid"])
        ip = self.host_ip if (pod.get("spec") or {}).get("hostNetwork") else pod_ip
        hosts = hosts_mount(pod, c, pod_dir, [ip] if ip else [], self.cluster_domain)
        message = termination_message_mount(c, pod_dir)
        return mounts + [m for m in (hosts, message) if m is not None]

    async def _ensure_image(
        self, pod: Object, c: Object, sb_config: pb.PodSandboxConfig, slot: SlotClaim | None
    ) -> str | PullFailure:
        async with slot.released() if slot is not None else contextlib.nullcontext():
            try:
                return await self.images.ensure(pod, c, sb_config, lambda t, r, m: self.record(pod, t, r, m))
            except PullFailure as err:
                return err

    async def _prune(self, pod: Object, name: str, state: PodRuntimeState) -> None:
        """Keep the current and the previous instance of a container; remove older ones."""
        for old in state.attempts(name)[1:]:
            if old.state == pb.CONTAINER_EXITED:
                try:
                    await self.runtime.remove_container(old.id)
                except CRIError:
                    pass

    # ---- stopping -------------------------------------------------------------------------

    async def stop_container(
        self, pod: Object, c: Object | None, st: pb.ContainerStatus, *, grace: int, run_pre_stop: bool = True
    ) -> None:
        """preStop (within the grace period), then stop with what is left of it."""
        started = self.clock.now()
        hook = ((c or {}).get("lifecycle") or {}).get("preStop") if run_pre_stop else None
        if hook and st.state == pb.CONTAINER_RUNNING:
            try:
                await asyncio.wait_for(
                    run_handler(
                        hook,
                        runtime=self.runtime,
                        container_id=st.id,
                        pod_ip="",
                        clock=self.clock,
                        timeout=grace,
                    ),
                    max(grace, 1),
                )
            except (HookError, TimeoutError) as err:
                self.record(pod, "Warning", "FailedPreStopHook", f"PreStopHook failed: {err}")
        left = max(0, int(round(grace - (self.clock.now() - started))))
        await self.runtime.stop_container(st.id, left)


def _probe_grace(pod: Object, c: Object, kind: str) -> int:
    probe = c.get(f"{kind}Probe") or {}
    if probe.get("terminationGracePeriodSeconds") is not None:
        return int(probe["terminationGracePeriodSeconds"])
    g = (pod.get("spec") or {}).get("terminationGracePeriodSeconds")
    return 30 if g is None else int(g)
