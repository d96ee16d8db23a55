"""Reading CRI log files back (kubelite.kubelet.logs): the shape of the output stream."""

from __future__ import annotations

from pathlib import Path

from kubelite.kubelet.logs import BLOCK, LogOptions, read_logs


async def _stopped() -> bool:
    return False


async def _read(path: Path, options: LogOptions) -> list[bytes]:
    return [chunk async for chunk in read_logs(path, options, running=_stopped)]


async def test_an_unfinished_last_line_is_shown_once_and_the_read_ends(tmp_path: Path):
    log = tmp_path / "0.log"
    log.write_bytes(b"2024-01-01T00:00:01Z stdout F one\n2024-01-01T00:00:02Z stdout F tw")
    assert b"".join(await _read(log, LogOptions())) == b"one\ntw\n"


async def test_many_lines_go_out_in_blocks_of_whole_lines(tmp_path: Path):
    line = b"x" * 99 + b"\n"
    log = tmp_path / "0.log"
    log.write_bytes(b"2024-01-01T00:00:01.5Z stdout F " + line + b"not a CRI line\n")
    with open(log, "ab") as f:
        f.writelines(b"2024-01-01T00:00:02Z stderr F " + line for _ in range(9999))
    chunks = await _read(log, LogOptions())
    assert b"".join(chunks) == line * 10000  # the line that is not one is skipped
    assert len(chunks) <= 10000 * len(line) // BLOCK + 1
    assert all(chunk.endswith(b"\n") for chunk in chunks)
    stamped = b"".join(await _read(log, LogOptions(timestamps=True, limit_bytes=40)))
    assert stamped == b"2024-01-01T00:00:01.500000000Z " + line[:9]
