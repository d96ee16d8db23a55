"""The Services' range is unreachable unless a proxy rule catches the packet.

A packet to a service-range address that no Service holds must fail on the node rather
than leave by the default route. A plain `unreachable 10.96.0.0/12` route would do that for
forwarded (pod) traffic, but it would also fail the node's own connects before the nat
OUTPUT chain could translate them (the route is looked up at connect()), and it would
answer "no route" where kube-proxy's filter rules answer "connection refused" (a Service
without endpoints). So the route lives in its own table, consulted only for packets that
did not originate on this machine, and every Service's own address is thrown back to the
main table, where the filter rules (REJECT) get to see it:

    ip rule  32000: to 10.96.0.0/12 iif lo lookup main     (the node itself: as before)
    ip rule  32001: to 10.96.0.0/12 lookup 7109            (everything forwarded)
    table 7109:     unreachable 10.96.0.0/12               → ICMP host unreachable
                    throw 10.96.0.10 (each Service's ClusterIP, kept in step by sync())

Pod traffic translated by the nat PREROUTING rules has a pod as destination by the time
it is routed, so only untranslated service traffic meets the table at all.
"""

from __future__ import annotations

import contextlib

from kubelite.proxy.netcmd import CommandError, Runner

TABLE = "7109"
LOCAL_PREF, FORWARD_PREF = "32000", "32001"


class ServiceRange:
    def __init__(self, cidr: str, runner: Runner) -> None:
        self.cidr = cidr
        self.runner = runner
        self._thrown: set[str] = set()

    def install(self) -> None:
        """Make the range unreachable for forwarded traffic (idempotent)."""
        remove(self.cidr, self.runner)
        self.runner.run("ip", "route", "replace", "unreachable", self.cidr, "table", TABLE)
        self.runner.run(
            "ip", "rule", "add", "pref", LOCAL_PREF, "to", self.cidr, "iif", "lo", "lookup", "main"
        )
        self.runner.run("ip", "rule", "add", "pref", FORWARD_PREF, "to", self.cidr, "lookup", TABLE)
        self._thrown = set()

    def sync(self, cluster_ips: set[str]) -> None:
        """Throw exactly the Services' addresses back to the main table (one `ip -batch`)."""
        lines = [f"route replace throw {ip} table {TABLE}" for ip in sorted(cluster_ips - self._thrown)]
        lines += [f"route del throw {ip} table {TABLE}" for ip in sorted(self._thrown - cluster_ips)]
        if lines:
            self.runner.run("ip", "-force", "-batch", "-", input="\n".join(lines) + "\n", check=False)
        self._thrown = set(cluster_ips)


def remove(cidr: str, runner: Runner) -> None:
    """Remove what ServiceRange made, if anything."""
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
