"""Running the machine's network tools (iptables-restore, nft, ip, conntrack), optionally
inside a network namespace (`ip netns exec NS ...`: the benchmark and tests' own netns).

A tool that fails raises CommandError with its stderr; a missing tool raises it too, naming
the package to install.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass

PACKAGES = {"conntrack": "conntrack", "nft": "nftables", "iptables-restore": "iptables", "ip": "iproute2"}


class CommandError(Exception):
    def __init__(self, argv: list[str], code: int, stderr: str) -> None:
        self.argv, self.code, self.stderr = argv, code, stderr
        super().__init__(f"{' '.join(argv[:3])} failed ({code}): {stderr.strip()}")


@dataclass(frozen=True, slots=True)
class Runner:
    netns: str = ""  # "": the proxy's own network namespace

    def argv(self, *args: str) -> list[str]:
        return ["ip", "netns", "exec", self.netns, *args] if self.netns else list(args)

    def run(
        self, *args: str, input: str | None = None, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        argv = self.argv(*args)
        try:
            r = subprocess.run(argv, input=input, capture_output=True, text=True)
        except FileNotFoundError:
            raise CommandError(
                argv, 127, f"{args[0]} not found (apt-get install {PACKAGES.get(args[0], args[0])})"
            ) from None
        if check and r.returncode != 0:
            raise CommandError(argv, r.returncode, r.stderr)
        return r
