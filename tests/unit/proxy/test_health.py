"""kube-proxy's /healthz and /livez bodies, the ipvs refusal, and the flags' defaults."""

from __future__ import annotations

import json

from kubelite.cli import build_parser
from kubelite.proxy.healthz import ProxyHealth, go_time
from kubelite.proxy.ipvs import ipvs_unavailable_message
from kubelite.proxy.options import options_from
from kubelite.util.clock import FakeClock


async def test_healthz_turns_503_when_a_change_waits_longer_than_the_timeout():
    clock = FakeClock()
    health = ProxyHealth(clock, timeout=60.0)
    code, body = health.body(with_node=True)
    assert code == 200 and set(json.loads(body)) == {"lastUpdated", "currentTime", "nodeEligible"}
    health.queued()
    await clock.advance(59.0)
    assert health.body(with_node=True)[0] == 200
    await clock.advance(2.0)
    assert health.body(with_node=True)[0] == 503
    health.updated()
    assert health.body(with_node=True)[0] == 200


def test_a_node_being_deleted_fails_healthz_but_not_livez():
    health = ProxyHealth(FakeClock(), timeout=60.0)
    health.sync_node({"metadata": {"name": "n", "deletionTimestamp": "2024-01-01T00:00:00Z"}})
    assert health.body(with_node=True)[0] == 503
    code, body = health.body(with_node=False)
    assert code == 200 and json.loads(body)["nodeEligible"] is False


def test_times_print_as_go_prints_them():
    assert go_time(0.5) == "1970-01-01 00:00:00.500000000 +0000 UTC"


def test_ipvs_is_refused_naming_the_kernel_module_and_the_userspace_mode(tmp_path):
    message = ipvs_unavailable_message(tmp_path / "ip_vs")
    assert message is not None and "ip_vs" in message and "--proxy-mode userspace" in message
    assert "\n" not in message


def test_flags_default_as_kube_proxys():
    options = options_from(build_parser().parse_args(["proxy"]))
    assert (options.mode, options.min_sync_period, options.sync_period) == ("iptables", 1.0, 30.0)
    assert (options.healthz_bind_address, options.metrics_bind_address) == (
        "0.0.0.0:10256",
        "127.0.0.1:10249",
    )
    assert options.masquerade_mark == "0x4000"
