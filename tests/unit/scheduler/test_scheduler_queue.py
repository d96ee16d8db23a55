"""The scheduling queue in virtual time: order, back-off, parking, cluster events, flushes."""

from __future__ import annotations

import asyncio

from kubelite.client.testing import FakeClock
from kubelite.scheduler.framework import events as ev
from kubelite.scheduler.framework.types import PodInfo
from kubelite.scheduler.plugins.noderesources import Fit
from kubelite.scheduler.plugins.queuesort import PrioritySort
from kubelite.scheduler.plugins.schedulinggates import SchedulingGates
from kubelite.scheduler.plugins.tainttoleration import TaintToleration
from kubelite.scheduler.queue import SchedulingQueue
from kubelite.scheduler.testing import make_node, make_pod, taint


def new_queue(clock: FakeClock) -> SchedulingQueue:
    plugins = [Fit(), TaintToleration()]
    return SchedulingQueue(
        PrioritySort().less,
        clock=clock,
        pre_enqueue=SchedulingGates().pre_enqueue,
        event_map={"default-scheduler": {p.NAME: p.events_to_register() for p in plugins}},
    )


async def pop_now(q: SchedulingQueue):
    return await asyncio.wait_for(q.pop(), 1)


async def test_higher_priority_pops_first_then_arrival_order():
    clock = FakeClock()
    q = new_queue(clock)
    q.add(PodInfo(make_pod("low", priority=1)))
    await clock.advance(1)
    q.add(PodInfo(make_pod("high-late", priority=10)))
    q.add(PodInfo(make_pod("low-later", priority=1)))
    order = [(await pop_now(q)).info.name for _ in range(3)]
    assert order == ["high-late", "low", "low-later"]


async def test_backoff_is_one_second_doubling_to_ten():
    q = new_queue(FakeClock())
    assert [q.backoff_duration(a) for a in range(1, 7)] == [1, 2, 4, 8, 10, 10]


async def test_a_failed_pod_waits_out_its_backoff_before_it_is_retried():
    clock = FakeClock()
    q = new_queue(clock)
    flusher = asyncio.ensure_future(q.run())
    q.add(PodInfo(make_pod("p")))
    for expected in (1, 2, 4):
        qpi = await pop_now(q)
        q.add_unschedulable_if_not_present(qpi, q.scheduling_cycle)  # no plugin named: an error
        assert q.where(qpi.uid) == "backoff"
        await clock.advance(expected - 0.5)
        assert q.where(qpi.uid) == "backoff"
        await clock.advance(1.0)  # the flush runs every second
        assert q.where(qpi.uid) == "active"
    flusher.cancel()


async def test_an_unschedulable_pod_moves_back_only_on_an_event_its_plugin_cares_about():
    clock = FakeClock()
    q = new_queue(clock)
    q.add(PodInfo(make_pod("p", cpu="8")))
    qpi = await pop_now(q)
    qpi.unschedulable_plugins = {"NodeResourcesFit"}
    q.add_unschedulable_if_not_present(qpi, q.scheduling_cycle)
    assert q.where(qpi.uid) == "unschedulable"
    assert (
        q.move_all_to_active_or_backoff(ev.NODE_ADD, None, make_node("small", cpu="1")) == 0
    )  # still too small
    assert q.move_all_to_active_or_backoff(ev.ASSIGNED_POD_ADD, None, make_pod("other")) == 0
    assert q.where(qpi.uid) == "unschedulable"
    assert q.move_all_to_active_or_backoff(ev.NODE_ADD, None, make_node("big", cpu="16")) == 1
    assert q.where(qpi.uid) == "backoff"  # its 1 s back-off has not run out yet
    await clock.advance(2)
    q.flush_backoff_completed()
    assert q.where(qpi.uid) == "active"


async def test_a_pod_deletion_moves_pods_rejected_for_resources():
    clock = FakeClock()
    q = new_queue(clock)
    q.add(PodInfo(make_pod("p", cpu="8")))
    qpi = await pop_now(q)
    qpi.unschedulable_plugins = {"NodeResourcesFit"}
    q.add_unschedulable_if_not_present(qpi, q.scheduling_cycle)
    await clock.advance(5)
    assert q.move_all_to_active_or_backoff(ev.ASSIGNED_POD_DELETE, make_pod("gone"), None) == 1
    assert q.where(qpi.uid) == "active"


async def test_a_taint_removal_moves_pods_rejected_for_that_taint():
    clock = FakeClock()
    q = new_queue(clock)
    q.add(PodInfo(make_pod("p")))
    qpi = await pop_now(q)
    qpi.unschedulable_plugins = {"TaintToleration"}
    q.add_unschedulable_if_not_present(qpi, q.scheduling_cycle)
    await clock.advance(5)
    old, new = make_node("n", taints=[taint("dedicated", "gpu")]), make_node("n")
    event = ev.ClusterEvent(ev.EventResource.NODE, ev.node_update_actions(old, new))
    assert q.move_all_to_active_or_backoff(event, old, new) == 1
    assert q.where(qpi.uid) == "active"


async def test_an_event_during_the_attempt_sends_the_failed_pod_to_backoff_not_parking():
    clock = FakeClock()
    q = new_queue(clock)
    q.add(PodInfo(make_pod("p", cpu="8")))
    qpi = await pop_now(q)
    cycle = q.scheduling_cycle
    q.move_all_to_active_or_backoff(ev.NODE_ADD, None, make_node("n"))  # while it is in flight
    qpi.unschedulable_plugins = {"NodeResourcesFit"}
    q.add_unschedulable_if_not_present(qpi, cycle)
    assert q.where(qpi.uid) == "backoff"


async def test_parked_pods_are_retried_after_five_minutes_without_any_event():
    clock = FakeClock()
    q = new_queue(clock)
    flusher = asyncio.ensure_future(q.run())
    q.add(PodInfo(make_pod("p", cpu="8")))
    qpi = await pop_now(q)
    qpi.unschedulable_plugins = {"NodeResourcesFit"}
    q.add_unschedulable_if_not_present(qpi, q.scheduling_cycle)
    await clock.advance(270)
    assert q.where(qpi.uid) == "unschedulable"
    await clock.advance(60)  # 5 min, and the next 30 s flush
    assert q.where(qpi.uid) == "active"
    flusher.cancel()


async def test_gated_pods_wait_until_their_gates_are_removed():
    clock = FakeClock()
    q = new_queue(clock)
    gated = make_pod("g", schedulingGates=[{"name": "example.com/hold"}])
    q.add(PodInfo(gated))
    assert q.where(PodInfo(gated).uid) == "gated" and q.counts()["gated"] == 1
    assert q.move_all_to_active_or_backoff(ev.NODE_ADD, None, make_node("n")) == 0
    released = {**gated, "spec": {k: v for k, v in gated["spec"].items() if k != "schedulingGates"}}
    q.update(PodInfo(released))
    assert q.where(PodInfo(gated).uid) == "active"


async def test_a_status_only_update_does_not_retry_a_parked_pod_but_a_spec_change_does():
    clock = FakeClock()
    q = new_queue(clock)
    pod = make_pod("p", cpu="8")
    q.add(PodInfo(pod))
    qpi = await pop_now(q)
    qpi.unschedulable_plugins = {"NodeResourcesFit"}
    q.add_unschedulable_if_not_present(qpi, q.scheduling_cycle)
    await clock.advance(5)
    status_only = {**pod, "status": {"conditions": [{"type": "PodScheduled", "status": "False"}]}}
    status_only["metadata"] = {**pod["metadata"], "resourceVersion": "9"}
    q.update(PodInfo(status_only))
    assert q.where(qpi.uid) == "unschedulable"
    relabelled = {**pod, "metadata": {**pod["metadata"], "labels": {"new": "label"}}}
    q.update(PodInfo(relabelled))
    assert q.where(qpi.uid) == "active"


async def test_pop_waits_for_a_pod_and_deleted_pods_never_pop():
    clock = FakeClock()
    q = new_queue(clock)
    gone = PodInfo(make_pod("gone"))
    q.add(gone)
    q.delete(gone.uid)
    waiter = asyncio.ensure_future(q.pop())
    await asyncio.sleep(0)
    assert not waiter.done()
    q.add(PodInfo(make_pod("here")))
    assert (await asyncio.wait_for(waiter, 1)).info.name == "here"
    assert q.counts() == {"active": 0, "backoff": 0, "unschedulable": 0, "gated": 0}
