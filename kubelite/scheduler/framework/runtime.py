"""The framework of one profile: its plugins per extension point, and running them.

Built from a profile (`config.types.Profile`) and the registry: every plugin named anywhere
in the profile is made once, with its `pluginConfig` args, then placed at each extension
point as Kubernetes places it:

  1. plugins enabled for that point explicitly and also enabled by `multiPoint` (the user
     re-configured a default plugin: e.g. a new weight), in the point's order;
  2. the other `multiPoint` plugins that implement the point, in multiPoint order, unless
     the point disables them (or disables "*");
  3. the remaining plugins enabled for the point explicitly.

Score weights come from the point's entry, else from multiPoint, else 1.

Filter plugins stop at the first that rejects a node (its status is the node's reason), as
in Kubernetes. PreFilter/PreScore plugins returning Skip take their plugin's Filter/Score
out of this cycle. On nodes with nominated pods of at least the pod's priority, Filter runs
twice: with those pods placed (the room preemption promised them) and without.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Any

from kubelite.scheduler.config.types import EXTENSION_POINT_FIELDS, PluginRef, Profile
from kubelite.scheduler.framework.cycle_state import CycleState
from kubelite.scheduler.framework.diagnosis import NodeToStatus
from kubelite.scheduler.framework.events import ClusterEventWithHint
from kubelite.scheduler.framework.handle import Handle
from kubelite.scheduler.framework.interface import (
    EXTENSION_POINTS,
    MAX_NODE_SCORE,
    MIN_NODE_SCORE,
    EnqueueExtensions,
    NormalizeScorePlugin,
    PostFilterResult,
    PreFilterResult,
    ScoreNodesPlugin,
    WaitingPod,
)
from kubelite.scheduler.framework.status import Code, Status, is_skip, is_success
from kubelite.scheduler.framework.types import NodeInfo, PodInfo
from kubelite.scheduler.plugins.registry import Registry

log = logging.getLogger("kubelite.scheduler.framework")

ObserveFn = Callable[[str, str, float], None]  # (extension point, status, seconds)


class FrameworkError(ValueError):
    """The profile cannot be built; the message says which plugin or setting is wrong."""


def _status_label(status: Status | None) -> str:
    code = Code.SUCCESS if status is None else status.code
    return {
        Code.SUCCESS: "Success",
        Code.ERROR: "Error",
        Code.UNSCHEDULABLE: "Unschedulable",
        Code.UNSCHEDULABLE_AND_UNRESOLVABLE: "UnschedulableAndUnresolvable",
        Code.WAIT: "Wait",
        Code.SKIP: "Skip",
        Code.PENDING: "Pending",
    }[code]


class Framework:
    def __init__(
        self,
        profile: Profile,
        registry: Registry,
        handle: Handle,
        *,
        observe: ObserveFn | None = None,
    ) -> None:
        self.profile = profile
        self.profile_name = profile.scheduler_name
        self.handle = handle
        handle.framework = self
        self.percentage_of_nodes_to_score = profile.percentage_of_nodes_to_score
        self._observe = observe
        self.plugins: dict[str, Any] = {}
        self.points: dict[str, list[Any]] = {}
        self.score_weights: dict[str, int] = {}
        self._build(registry)
        self.waiting: dict[str, WaitingPod] = {}

    # ---- construction ----

    def _build(self, registry: Registry) -> None:
        plugins = self.profile.plugins
        names: list[str] = [r.name for r in plugins.multi_point.enabled]
        for point in EXTENSION_POINT_FIELDS:
            names += [r.name for r in plugins.points[point].enabled]
        for name in dict.fromkeys(names):
            factory = registry.get(name)
            if factory is None:
                raise FrameworkError(f'plugin "{name}" does not exist')
            args = self.profile.plugin_config.get(name) or {}
            try:
                self.plugins[name] = factory(args, self.handle)
            except FrameworkError:
                raise
            except (ValueError, TypeError, KeyError) as err:
                raise FrameworkError(f'initializing plugin "{name}": {err}') from err
        for point in EXTENSION_POINT_FIELDS:
            self.points[point] = self._expand(point)
        # Which optional methods each score plugin has, worked out once (isinstance on a
        # Protocol is too slow for every cycle).
        self._score_plan = [
            (
                pl,
                pl.score_nodes if isinstance(pl, ScoreNodesPlugin) else None,
                pl.normalize_score if isinstance(pl, NormalizeScorePlugin) else None,
            )
            for pl in self.points["score"]
        ]
        if len(self.points["queueSort"]) != 1:
            raise FrameworkError(
                f"only one queue sort plugin can be enabled, got {len(self.points['queueSort'])}"
            )
        if not self.points["bind"]:
            raise FrameworkError("at least one bind plugin is needed")

    def _implements(self, name: str, point: str) -> bool:
        return isinstance(self.plugins[name], EXTENSION_POINTS[point])

    def _expand(self, point: str) -> list[Any]:
        pset = self.profile.plugins.points[point]
        explicit = {r.name: r for r in pset.enabled}
        disabled = {r.name for r in pset.disabled}
        weights: dict[str, int] = {}
        override: list[str] = []
        multi: list[str] = []
        if "*" not in disabled:
            for ref in self.profile.plugins.multi_point.enabled:
                if not self._implements(ref.name, point) or ref.name in disabled:
                    continue
                if ref.name in explicit:
                    override.append(ref.name)
                    continue
                if ref.name in multi:
                    raise FrameworkError(f'plugin "{ref.name}" already registered as "{point}"')
                multi.append(ref.name)
                weights[ref.name] = ref.weight
        ordered = [r.name for r in pset.enabled if r.name in override]
        ordered += multi
        ordered += [r.name for r in pset.enabled if r.name not in override]
        for name in ordered:
            if not self._implements(name, point):
                raise FrameworkError(f'plugin "{name}" does not extend {point} plugin')
        if point == "score":
            for name in ordered:
                own: PluginRef | None = explicit.get(name)
                weight = own.weight if own is not None and own.weight else weights.get(name, 0)
                self.score_weights[name] = weight or 1
        return [self.plugins[n] for n in ordered]

    # ---- queue ----

    @property
    def queue_sort_less(self) -> Callable[[Any, Any], bool]:
        less: Callable[[Any, Any], bool] = self.points["queueSort"][0].less
        return less

    def run_pre_enqueue_plugins(self, pod: PodInfo) -> Status | None:
        for pl in self.points["preEnqueue"]:
            status: Status | None = pl.pre_enqueue(pod)
            if not is_success(status):
                assert status is not None
                return status.with_plugin(pl.NAME)
        return None

    def events_to_register(self) -> dict[str, list[ClusterEventWithHint]]:
        """plugin name -> the cluster events after which a pod it rejected may fit."""
        out: dict[str, list[ClusterEventWithHint]] = {}
        for name, pl in self.plugins.items():
            if isinstance(pl, EnqueueExtensions):
                out[name] = pl.events_to_register()
        return out

    # ---- scheduling cycle ----

    def has_filter_plugins(self) -> bool:
        return bool(self.points["filter"])

    def has_score_plugins(self) -> bool:
        return bool(self.points["score"])

    def has_post_filter_plugins(self) -> bool:
        return bool(self.points["postFilter"])

    def timed(self, point: str, started: float, status: Status | None) -> None:
        """Report an extension point's latency since `started` (time.perf_counter())."""
        self._timed(point, started, status)

    def _timed(self, point: str, started: float, status: Status | None) -> None:
        if self._observe is not None:
            self._observe(point, _status_label(status), time.perf_counter() - started)

    def run_pre_filter_plugins(
        self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]
    ) -> tuple[PreFilterResult | None, Status | None, set[str]]:
        """(candidate nodes or None for all, the first rejection, the plugins that rejected)."""
        started = time.perf_counter()
        result: PreFilterResult | None = None
        rejected: set[str] = set()
        returned: Status | None = None
        for pl in self.points["preFilter"]:
            try:
                r, status = pl.pre_filter(state, pod, nodes)
            except Exception as err:  # a plugin bug must not take the scheduler down
                log.exception("PreFilter plugin failed", extra={"plugin": pl.NAME, "pod": pod.key})
                returned = Status.as_error(err, pl.NAME)
                break
            if is_skip(status):
                state.skip_filter.add(pl.NAME)
                continue
            if not is_success(status):
                assert status is not None
                status.with_plugin(pl.NAME)
                if status.is_rejected():
                    rejected.add(pl.NAME)
                returned = status
                break
            if r is not None and r.node_names is not None:
                result = r if result is None else result.merge(r)
                if not result.node_names:
                    returned = Status.unresolvable(f"node(s) didn't satisfy plugin {pl.NAME}").with_plugin(
                        pl.NAME
                    )
                    rejected.add(pl.NAME)
                    break
        self._timed("PreFilter", started, returned)
        return result, returned, rejected

    def filter_functions(self, state: CycleState) -> list[tuple[str, Callable[..., Status | None]]]:
        """The Filter methods this cycle runs, in order (skipped plugins left out)."""
        skip = state.skip_filter
        return [(pl.NAME, pl.filter) for pl in self.points["filter"] if pl.NAME not in skip]

    def run_filter_plugins(
        self,
        state: CycleState,
        pod: PodInfo,
        node: NodeInfo,
        fns: list[tuple[str, Callable[..., Status | None]]] | None = None,
    ) -> Status | None:
        """The first rejection among the Filter plugins, or None; `fns` saves working out the
        cycle's filter list again for every node."""
        for name, fn in fns if fns is not None else self.filter_functions(state):
            status = fn(state, pod, node)
            if status is not None and status.code is not Code.SUCCESS:
                if not status.is_rejected():
                    status = Status(Code.ERROR, status.reasons, name, status.error)
                status.plugin = name
                return status
        return None

    def run_filter_plugins_with_nominated_pods(
        self,
        state: CycleState,
        pod: PodInfo,
        node: NodeInfo,
        fns: list[tuple[str, Callable[..., Status | None]]] | None = None,
    ) -> Status | None:
        """Filter, first as if the pods nominated to `node` (priority >= the pod's) were there."""
        nominated = self._nominated_for(pod, node.name)
        if not nominated:
            return self.run_filter_plugins(state, pod, node, fns)
        state_with, node_with = state.clone(), node.clone()
        for other in nominated:
            node_with.add_pod(other)
            status = self.run_pre_filter_extension_add_pod(state_with, pod, other, node_with)
            if not is_success(status):
                return status
        status = self.run_filter_plugins(state_with, pod, node_with, fns)
        if not is_success(status):
            return status
        return self.run_filter_plugins(state, pod, node, fns)

    def _nominated_for(self, pod: PodInfo, node_name: str) -> list[PodInfo]:
        nominator = self.handle.nominator
        if not nominator:
            return []
        return [
            p for p in nominator.pods_for_node(node_name) if p.priority >= pod.priority and p.uid != pod.uid
        ]

    def run_pre_filter_extension_add_pod(
        self, state: CycleState, pod: PodInfo, added: PodInfo, node: NodeInfo
    ) -> Status | None:
        for pl in self.points["preFilter"]:
            if pl.NAME in state.skip_filter:
                continue
            ext = pl.pre_filter_extensions()
            if ext is not None:
                status: Status | None = ext.add_pod(state, pod, added, node)
                if not is_success(status):
                    return status
        return None

    def run_pre_filter_extension_remove_pod(
        self, state: CycleState, pod: PodInfo, removed: PodInfo, node: NodeInfo
    ) -> Status | None:
        for pl in self.points["preFilter"]:
            if pl.NAME in state.skip_filter:
                continue
            ext = pl.pre_filter_extensions()
            if ext is not None:
                status: Status | None = ext.remove_pod(state, pod, removed, node)
                if not is_success(status):
                    return status
        return None

    async def run_post_filter_plugins(
        self, state: CycleState, pod: PodInfo, statuses: NodeToStatus
    ) -> tuple[PostFilterResult | None, Status | None]:
        """The first PostFilter that succeeds wins; otherwise the rejections' messages."""
        started = time.perf_counter()
        messages: list[str] = []
        result: PostFilterResult | None = None
        final: Status | None = Status(Code.UNSCHEDULABLE)
        for pl in self.points["postFilter"]:
            try:
                r, status = await pl.post_filter(state, pod, statuses)
            except Exception as err:
                log.exception("PostFilter plugin failed", extra={"plugin": pl.NAME, "pod": pod.key})
                final = Status.as_error(err, pl.NAME)
                break
            if is_success(status):
                result, final = r, None
                break
            assert status is not None
            if not status.is_rejected():
                result, final = r, status.with_plugin(pl.NAME)
                break
            if r is not None:
                result = r
            messages.append(status.message())
        if final is not None and final.code is Code.UNSCHEDULABLE and messages:
            final = Status(Code.UNSCHEDULABLE, tuple(messages))
        self._timed("PostFilter", started, final)
        return result, final

    def run_pre_score_plugins(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> Status | None:
        started = time.perf_counter()
        returned: Status | None = None
        for pl in self.points["preScore"]:
            status = pl.pre_score(state, pod, nodes)
            if is_skip(status):
                state.skip_score.add(pl.NAME)
                continue
            if not is_success(status):
                assert status is not None
                returned = Status(Code.ERROR, status.reasons, pl.NAME)
                break
        self._timed("PreScore", started, returned)
        return returned

    def run_score_plugins(self, state: CycleState, pod: PodInfo, nodes: list[NodeInfo]) -> list[int]:
        """Each node's weighted total over the score plugins (raises on a plugin error)."""
        started = time.perf_counter()
        totals = [0] * len(nodes)
        for pl, score_nodes, normalize in self._score_plan:
            if pl.NAME in state.skip_score:
                continue
            if score_nodes is not None:
                scores = score_nodes(state, pod, nodes)
            else:
                score = pl.score
                scores = [score(state, pod, n) for n in nodes]
            if normalize is not None:
                normalize(state, pod, scores)
            if scores and (max(scores) > MAX_NODE_SCORE or min(scores) < MIN_NODE_SCORE):
                bad = next(s for s in scores if s > MAX_NODE_SCORE or s < MIN_NODE_SCORE)
                raise ValueError(
                    f"plugin {pl.NAME!r} returns an invalid score {bad}, it should in the range of "
                    f"[{MIN_NODE_SCORE}, {MAX_NODE_SCORE}] after normalizing"
                )
            weight = self.score_weights[pl.NAME]
            totals = [t + s * weight for t, s in zip(totals, scores, strict=True)]
        self._timed("Score", started, None)
        return totals

    def run_reserve_plugins_reserve(self, state: CycleState, pod: PodInfo, node: str) -> Status | None:
        started = time.perf_counter()
        returned: Status | None = None
        for pl in self.points["reserve"]:
            status = pl.reserve(state, pod, node)
            if not is_success(status):
                assert status is not None
                returned = status.with_plugin(pl.NAME)
                if not status.is_rejected():
                    returned = Status(Code.ERROR, status.reasons, pl.NAME)
                break
        self._timed("Reserve", started, returned)
        return returned

    def run_reserve_plugins_unreserve(self, state: CycleState, pod: PodInfo, node: str) -> None:
        for pl in reversed(self.points["reserve"]):
            try:
                pl.unreserve(state, pod, node)
            except Exception:
                log.exception("Unreserve failed", extra={"plugin": pl.NAME, "pod": pod.key})

    def run_permit_plugins(self, state: CycleState, pod: PodInfo, node: str) -> Status | None:
        started = time.perf_counter()
        waits: dict[str, float] = {}
        returned: Status | None = None
        for pl in self.points["permit"]:
            status, timeout = pl.permit(state, pod, node)
            if status is not None and status.code is Code.WAIT:
                waits[pl.NAME] = min(timeout, 15 * 60.0)  # as Kubernetes' maxTimeout
                continue
            if not is_success(status):
                assert status is not None
                returned = status.with_plugin(pl.NAME)
                break
        if returned is None and waits:
            loop = asyncio.get_running_loop()
            waiting = WaitingPod(pod, set(waits), decided=loop.create_future())
            self.waiting[pod.uid] = waiting
            for name, timeout in waits.items():
                loop.call_later(timeout, self._permit_timeout, pod.uid, name)
            returned = Status(Code.WAIT)
        self._timed("Permit", started, returned)
        return returned

    def _permit_timeout(self, uid: str, plugin: str) -> None:
        self.reject_waiting_pod(uid, plugin, f"rejected due to timeout after waiting at permit by {plugin}")

    def allow_waiting_pod(self, uid: str, plugin: str) -> None:
        w = self.waiting.get(uid)
        if w is None:
            return
        w.pending.discard(plugin)
        if not w.pending and not w.decided.done():
            w.decided.set_result(None)

    def reject_waiting_pod(self, uid: str, plugin: str, message: str) -> None:
        w = self.waiting.get(uid)
        if w is not None and not w.decided.done():
            w.decided.set_result(Status.unschedulable(message, plugin=plugin))

    async def wait_on_permit(self, pod: PodInfo) -> Status | None:
        w = self.waiting.get(pod.uid)
        if w is None:
            return None
        try:
            status: Status | None = await w.decided
            return status
        finally:
            self.waiting.pop(pod.uid, None)

    # ---- binding cycle ----

    async def run_pre_bind_plugins(self, state: CycleState, pod: PodInfo, node: str) -> Status | None:
        started = time.perf_counter()
        returned: Status | None = None
        for pl in self.points["preBind"]:
            status = await pl.pre_bind(state, pod, node)
            if not is_success(status):
                assert status is not None
                returned = Status(Code.ERROR, status.reasons, pl.NAME, status.error)
                break
        self._timed("PreBind", started, returned)
        return returned

    async def run_bind_plugins(self, state: CycleState, pod: PodInfo, node: str) -> Status | None:
        started = time.perf_counter()
        returned: Status | None = Status(Code.SKIP)
        for pl in self.points["bind"]:
            status = await pl.bind(state, pod, node)
            if is_skip(status):
                continue
            returned = None if is_success(status) else status
            if returned is not None:
                returned.plugin = pl.NAME
            break
        if returned is not None and returned.code is Code.SKIP:
            returned = Status(Code.ERROR, ("no bind plugin bound the pod",))
        self._timed("Bind", started, returned)
        return returned

    def run_post_bind_plugins(self, state: CycleState, pod: PodInfo, node: str) -> None:
        for pl in self.points["postBind"]:
            try:
                pl.post_bind(state, pod, node)
            except Exception:
                log.exception("PostBind failed", extra={"plugin": pl.NAME, "pod": pod.key})
