"""The Services' range is unreachable unless a proxy rule catches the packet.

A packet to a ClusterIP that no rule translates (a port the Service does not have, an
address no Service holds) must fail on the node rather than leave by the default route.
A plain `unreachable 10.96.0.0/12` route would do that for forwarded (pod) traffic, but it
would also fail the node's own connects before the nat OUTPUT chain could translate them
(the route is looked up at connect()). So the route lives in its own table, consulted only
for packets that did not originate on this machine:

    ip rule  32000: to 10.96.0.0/12 iif lo lookup main     (the node itself: as before)
    ip rule  32001: to 10.96.0.0/12 lookup 7109            (everything forwarded)
    table 7109:     unreachable 10.96.0.0/12               → ICMP host unreachable

Pod traffic translated by the nat PREROUTING rules has a pod as destination by the time
it is routed, so only untranslated service traffic meets the route.
"""

from __future__ import annotations

import contextlib

from kubelite.proxy.netcmd import CommandError, Runner

TABLE = "7109"
LOCAL_PREF, FORWARD_PREF = "32000", "32001"


def install(cidr: str, runner: Runner) -> None:
    """Make `cidr` unreachable for forwarded traffic (idempotent)."""
    remove(cidr, runner)
    runner.run("ip", "route", "replace", "unreachable", cidr, "table", TABLE)
    runner.run("ip", "rule", "add", "pref", LOCAL_PREF, "to", cidr, "iif", "lo", "lookup", "main")
    runner.run("ip", "rule", "add", "pref", FORWARD_PREF, "to", cidr, "lookup", TABLE)


def remove(cidr: str, runner: Runner) -> None:
    """Remove what install() made, if anything."""
    for pref in (LOCAL_PREF, FORWARD_PREF):
        for _ in range(8):  # a rule added twice is deleted twice
            if runner.run("ip", "rule", "del", "pref", pref, "to", cidr, check=False).returncode != 0:
                break
    with contextlib.suppress(CommandError):
        runner.run("ip", "route", "flush", "table", TABLE)


def installed(cidr: str, runner: Runner) -> bool:
    routes = runner.run("ip", "route", "show", "table", TABLE, check=False).stdout
    rules = runner.run("ip", "rule", "show", check=False).stdout
    return f"unreachable {cidr}" in routes and f"to {cidr} lookup {TABLE}" in rules
