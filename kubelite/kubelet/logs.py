"""Reading a container's log file, as `kubectl logs` asks for it (the kubelet's ReadLogs).

The runtime writes each container's output to the file its status names (`log_path`), one
line per write in the CRI log format:

    2016-10-06T00:17:09.669794202Z stdout F the line's text
    <RFC 3339 nano timestamp> <stdout|stderr> <P partial | F full> <text>

`read_logs` turns that back into the container's own output:

- `tail_lines`: only the last N lines (found by reading the file backwards in blocks);
- `since`: only lines stamped at or after that moment;
- `timestamps`: each line prefixed with its timestamp (RFC 3339, 9 fixed digits);
- `limit_bytes`: stop after that many bytes (a line may be cut);
- `follow`: at the end of the file, wait for more while the container runs; once it has
  stopped, the rest of the file is read and the stream ends (checked every second).

Partial lines (P) are joined with what follows without a second prefix; an unparsable line
is skipped, as the kubelet skips it.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from kubelite.util.clock import Clock, RealClock

FOLLOW_POLL = 0.1  # how often a followed file is checked for growth
RUNNING_CHECK = 1.0  # how often a followed container is checked for having stopped (logForceCheckPeriod)
BLOCK = 64 * 1024
_STAMP = re.compile(rb"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?(Z|[+-]\d\d:\d\d)$")


@dataclass(slots=True, frozen=True)
class LogOptions:
    tail_lines: int | None = None
    since: dt.datetime | None = None  # aware, UTC
    timestamps: bool = False
    limit_bytes: int | None = None
    follow: bool = False


@dataclass(slots=True)
class LogLine:
    timestamp: dt.datetime
    stream: str
    partial: bool
    text: bytes  # with its newline when full


def parse_timestamp(raw: bytes) -> dt.datetime | None:
    m = _STAMP.match(raw)
    if m is None:
        return None
    whole, frac, zone = m.groups()
    micros = int(((frac or b".0")[1:] + b"000000")[:6])
    base = dt.datetime.fromisoformat(whole.decode()).replace(microsecond=micros)
    offset = dt.timedelta() if zone == b"Z" else _offset(zone)
    return (base - offset).replace(tzinfo=dt.UTC)


def _offset(zone: bytes) -> dt.timedelta:
    sign = -1 if zone[:1] == b"-" else 1
    return sign * dt.timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6]))


def _fields(line: bytes) -> tuple[bytes, bytes, bool, bytes] | None:
    """(timestamp, stream, partial, text) of one CRI log line, the timestamp checked but not
    parsed; None if it is not one."""
    parts = line.split(b" ", 3)
    if len(parts) < 4 or parts[1] not in (b"stdout", b"stderr") or _STAMP.match(parts[0]) is None:
        return None
    partial = parts[2].split(b":")[0] == b"P"
    text = parts[3]
    if partial and text.endswith(b"\n"):
        text = text[:-1]
    return parts[0], parts[1], partial, text


def parse_line(line: bytes) -> LogLine | None:
    """One CRI log line; None if it is not one."""
    fields = _fields(line)
    if fields is None:
        return None
    stamp, stream, partial, text = fields
    when = parse_timestamp(stamp)
    return None if when is None else LogLine(when, stream.decode(), partial, text)


def format_timestamp(when: dt.datetime) -> str:
    """RFC 3339 with nine fixed fraction digits, as the kubelet prints them."""
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond:06d}000Z"


def tail_offset(path: Path, lines: int) -> int:
    """Where the last `lines` lines of the file begin (0 for the whole file)."""
    with open(path, "rb") as f:
        end = f.seek(0, os.SEEK_END)
        if lines <= 0:
            return end
        pos, seen = end, 0
        while pos > 0:
            start = max(0, pos - BLOCK)
            f.seek(start)
            block = f.read(pos - start)
            if start + len(block) == end and block.endswith(b"\n"):
                block = block[:-1]  # the last line's own newline does not start a line
            for i in range(len(block) - 1, -1, -1):
                if block[i] == 0x0A:
                    seen += 1
                    if seen == lines:
                        return start + i + 1
            pos = start
        return 0


class _Render:
    """What one CRI line becomes in the output, per the options; `done` once `limit_bytes`
    is spent."""

    def __init__(self, options: LogOptions) -> None:
        self.options = options
        self.remaining = options.limit_bytes if options.limit_bytes is not None else -1
        self.at_line_start = True
        # the timestamp is parsed only when an option needs it
        self.stamped = options.since is not None or options.timestamps

    @property
    def done(self) -> bool:
        return self.remaining == 0

    def __call__(self, raw: bytes) -> bytes:
        fields = _fields(raw)
        if fields is None:
            return b""
        stamp, _, partial, out = fields
        if self.stamped:
            when = parse_timestamp(stamp)
            if when is None or (self.options.since is not None and when < self.options.since):
                return b""
            if self.options.timestamps and self.at_line_start:
                out = format_timestamp(when).encode() + b" " + out
        self.at_line_start = not partial
        if self.remaining >= 0:
            out = out[: self.remaining]
            self.remaining -= len(out)
        return out


async def read_logs(
    path: Path,
    options: LogOptions,
    *,
    running: Callable[[], Awaitable[bool]],
    clock: Clock | None = None,
) -> AsyncIterator[bytes]:
    """The container's output as chunks of bytes, per `options`; `running` tells whether the
    container still runs (asked while following). Lines are gathered into chunks of up to
    `BLOCK` bytes; whatever is gathered goes out before waiting for more."""
    follower = _Follower(running, clock or RealClock()) if options.follow else None
    render = _Render(options)
    pending = bytearray()
    with open(path, "rb") as f:
        if options.tail_lines is not None:
            f.seek(tail_offset(path, options.tail_lines))
        while not render.done:
            raw = f.readline()
            if not raw.endswith(b"\n"):  # the end of the file, or a line still being written
                f.seek(-len(raw), os.SEEK_CUR)
                if pending:
                    yield bytes(pending)
                    pending.clear()
                if follower is not None:
                    if not await follower.wait():
                        follower = None  # the container stopped: read what is left, then end
                    continue
                if not raw:
                    return
                raw += b"\n"  # an unfinished last line is shown as it is
                f.seek(0, os.SEEK_END)
            pending += render(raw)
            if len(pending) >= BLOCK:
                yield bytes(pending)
                pending.clear()
    if pending:
        yield bytes(pending)


class _Follower:
    """Waiting at the end of a followed file: poll for growth, and every second ask whether
    the container still runs."""

    def __init__(self, running: Callable[[], Awaitable[bool]], clock: Clock) -> None:
        self._running = running
        self._clock = clock
        self._idle = 0.0

    async def wait(self) -> bool:
        """False once the container has stopped (no more output can come)."""
        if self._idle >= RUNNING_CHECK:
            self._idle = 0.0
            if not await self._running():
                return False
        await self._clock.sleep(FOLLOW_POLL)
        self._idle += FOLLOW_POLL
        return True
