"""The component skeleton: flags, the health and metrics server, running only while leading."""

from __future__ import annotations

import argparse
import asyncio
import ssl

import aiohttp
import pytest
from prometheus_client import CollectorRegistry, Counter

from kubelite.client.testing import FakeClock, InMemoryLeaseLock
from kubelite.componentbase import (
    ComponentDefaults,
    ComponentOptions,
    HealthServer,
    LeaderElectionOptions,
    LeaderStatus,
    add_flags,
    options_from_args,
    parse_duration,
    run_component,
    run_while_leader,
)

DEFAULTS = ComponentDefaults(name="kube-widget", secure_port=10299, lease_name="kube-widget")


def parse(*argv: str) -> ComponentOptions:
    parser = argparse.ArgumentParser()
    add_flags(parser, DEFAULTS)
    return options_from_args(parser.parse_args(list(argv)), "kube-widget")


def test_flags_default_to_component_base_values():
    o = parse()
    le = o.leader_election
    assert (le.leader_elect, le.lease_duration, le.renew_deadline, le.retry_period) == (True, 15.0, 10.0, 2.0)
    assert (le.resource_name, le.resource_namespace) == ("kube-widget", "kube-system")
    assert (o.kube_api_qps, o.kube_api_burst, o.secure_port) == (50.0, 100, 10299)


def test_boolean_flags_take_gos_spelling():
    assert not parse("--leader-elect=false").leader_election.leader_elect
    assert parse("--leader-elect").leader_election.leader_elect
    with pytest.raises(SystemExit):
        parse("--leader-elect=maybe")


def test_flags_take_go_durations_and_switch_leader_election_off():
    o = parse(
        "--no-leader-elect", "--leader-elect-lease-duration", "1m30s", "--leader-elect-retry-period", "500ms"
    )
    assert not o.leader_election.leader_elect
    assert o.leader_election.lease_duration == 90.0 and o.leader_election.retry_period == 0.5


@pytest.mark.parametrize(
    ("text", "seconds"), [("15s", 15.0), ("1m30s", 90.0), ("250ms", 0.25), ("1h", 3600.0), ("2.5", 2.5)]
)
def test_durations_read_as_go_writes_them(text, seconds):
    assert parse_duration(text) == seconds


def test_a_bad_duration_says_what_is_wrong():
    with pytest.raises(ValueError, match='invalid duration "15q"'):
        parse_duration("15q")


def _insecure() -> ssl.SSLContext:
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


async def _get(port: int, path: str) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as s, s.get(f"https://127.0.0.1:{port}{path}", ssl=_insecure()) as r:
        return r.status, await r.text(), r.headers.get("Content-Type", "")


async def test_health_endpoints_answer_ok_over_https_and_list_failed_checks():
    registry = CollectorRegistry()
    server = HealthServer(registry)
    synced: list[str] = []
    server.add_readyz_check("informer-sync", lambda: None if synced else "caches not synced")
    async with server:
        assert await _get(server.port, "/healthz") == (200, "ok", "text/plain; charset=utf-8")
        assert (await _get(server.port, "/livez"))[:2] == (200, "ok")
        status, body, _ = await _get(server.port, "/readyz")
        assert status == 500
        assert body == "[+]ping ok\n[-]informer-sync failed: reason withheld\nreadyz check failed\n"
        assert (await _get(server.port, "/readyz?exclude=informer-sync"))[:2] == (200, "ok")
        assert (await _get(server.port, "/readyz/informer-sync"))[0] == 500
        synced.append("yes")
        assert (await _get(server.port, "/readyz?verbose"))[1] == (
            "[+]ping ok\n[+]informer-sync ok\nreadyz check passed\n"
        )
        assert (await _get(server.port, "/healthz/nothing"))[0] == 404


async def test_metrics_are_the_components_registry_in_prometheus_text_format():
    registry = CollectorRegistry()
    Counter("widget_spins", "Spins of the widget.", registry=registry).inc(3)
    async with HealthServer(registry) as server:
        status, body, ctype = await _get(server.port, "/metrics")
    assert status == 200 and ctype.startswith("text/plain; version=")
    assert "# TYPE widget_spins_total counter\nwidget_spins_total 3.0\n" in body


def _election(**kw: object) -> LeaderElectionOptions:
    return LeaderElectionOptions(resource_name="kube-widget", **kw)  # type: ignore[arg-type]


async def test_work_runs_only_on_the_leader_and_a_standby_takes_over_when_it_dies():
    clock, lock = FakeClock(), InMemoryLeaseLock()
    running: list[str] = []

    def lead_as(name: str):
        async def lead() -> None:
            running.append(name)
            try:
                await asyncio.Event().wait()
            finally:
                running.remove(name)

        return lead

    a_status, b_status = LeaderStatus("a"), LeaderStatus("b")
    a = asyncio.ensure_future(
        run_while_leader(
            lead_as("a"), client=None, options=_election(), status=a_status, lock=lock, clock=clock
        )
    )
    await clock.advance(0.1)
    b = asyncio.ensure_future(
        run_while_leader(
            lead_as("b"), client=None, options=_election(), status=b_status, lock=lock, clock=clock
        )
    )
    await clock.advance(20)
    assert running == ["a"] and a_status.leading and not b_status.leading and b_status.leader == "a"

    a.cancel()  # a clean stop releases the Lease: b need not wait for it to expire
    await asyncio.gather(a, return_exceptions=True)
    await clock.advance(5)
    assert running == ["b"] and b_status.leading and b_status.terms == 1
    b.cancel()
    await asyncio.gather(b, return_exceptions=True)
    assert running == []


async def test_losing_the_lease_cancels_the_work_and_a_new_term_starts_it_afresh():
    clock, lock = FakeClock(), InMemoryLeaseLock()
    starts: list[float] = []
    cancelled: list[float] = []

    async def lead() -> None:
        starts.append(clock.now())
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(clock.now())
            raise

    status = LeaderStatus("a")
    task = asyncio.ensure_future(
        run_while_leader(lead, client=None, options=_election(), status=status, lock=lock, clock=clock)
    )
    await clock.advance(1)
    assert len(starts) == 1
    lock.unreachable = True
    await clock.advance(12)  # past the 10 s renew deadline
    assert len(cancelled) == 1 and not status.leading
    lock.unreachable = False
    await clock.advance(30)
    assert len(starts) == 2 and status.leading and status.terms == 2
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_work_that_crashes_ends_the_election_with_its_error():
    clock, lock = FakeClock(), InMemoryLeaseLock()

    async def lead() -> None:
        raise RuntimeError("broken")

    with pytest.raises(RuntimeError, match="broken"):
        await run_while_leader(lead, client=None, options=_election(), lock=lock, clock=clock)
    assert lock.record is not None and lock.record.holder_identity == ""  # released


async def test_run_component_warms_up_before_ready_and_reports_leadership_as_a_gauge():
    registry, clock, lock = CollectorRegistry(), FakeClock(), InMemoryLeaseLock()
    order: list[str] = []
    ready = asyncio.Event()
    options = ComponentOptions(name="kube-widget", leader_election=_election())

    async def warm_up() -> None:
        order.append("warm")

    async def lead() -> None:
        order.append("lead")
        await asyncio.Event().wait()

    task = asyncio.ensure_future(
        run_component(
            options,
            client=None,
            registry=registry,
            lead=lead,
            warm_up=warm_up,
            lock=lock,
            ready=ready,
            clock=clock,
        )
    )
    await clock.advance(1)
    assert ready.is_set() and order == ["warm", "lead"]
    assert registry.get_sample_value("leader_election_master_status", {"name": "kube-widget"}) == 1
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_without_leader_election_the_work_starts_at_once():
    registry = CollectorRegistry()
    done = asyncio.Event()

    async def lead() -> None:
        done.set()

    options = ComponentOptions(name="kube-widget", leader_election=_election(leader_elect=False))
    await run_component(options, client=None, registry=registry, lead=lead)  # type: ignore[arg-type]
    assert done.is_set()
    assert registry.get_sample_value("leader_election_master_status", {"name": "kube-widget"}) == 1
