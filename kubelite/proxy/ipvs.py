"""`--proxy-mode ipvs` needs the kernel's IP Virtual Server (the ip_vs module); kubelite
has no IPVS mode to ship untested on a kernel without it, so it refuses with a message
saying what is missing and which mode offers the same schedulers.

A kernel with IPVS shows /proc/net/ip_vs (the module loaded or built in).
"""

from __future__ import annotations

from pathlib import Path

IPVS_PROC = Path("/proc/net/ip_vs")


def ipvs_unavailable_message(proc: Path = IPVS_PROC) -> str | None:
    """The one-line refusal, or None where the kernel has IPVS."""
    if proc.exists():
        return (
            "kubelite proxy: --proxy-mode ipvs is not implemented by kubelite; use --proxy-mode userspace, "
            "whose relays offer the same schedulers (--ipvs-scheduler rr|lc|dh|sh|sed|nq)"
        )
    return (
        "kubelite proxy: --proxy-mode ipvs needs the kernel's IPVS support (the ip_vs module; "
        f"{proc} is missing), which this kernel lacks; use --proxy-mode userspace, whose relays offer "
        "the same schedulers (--ipvs-scheduler rr|lc|dh|sh|sed|nq)"
    )
