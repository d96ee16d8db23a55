"""Streaming exec: a `runc exec` process whose stdio is a session (`remotecommand.Session`).

Without a terminal the process gets pipes: stdin (or /dev/null), stdout and stderr, each
relayed on its own channel. With a terminal, `runc exec --tty` allocates the terminal in
the container and copies between it and runc's own stdio, and sizes it from runc's own
terminal whenever that one changes (runc handles SIGWINCH). So runc runs in a session of
its own on a pty we allocate: a resize is a TIOCSWINSZ on our end, which the kernel turns
into a SIGWINCH for runc. With a terminal, stdout and stderr are one stream (stdout).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import signal
import struct
import subprocess
import termios

from kubelite.cri import remotecommand as rc

CHUNK = 32 * 1024


class PipeExec:
    """`runc exec` with pipes; output arrives on STDOUT and STDERR."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self._proc = proc
        self._queue: asyncio.Queue[tuple[int, bytes] | None] = asyncio.Queue(maxsize=16)
        self._pumps = [
            asyncio.create_task(self._pump(rc.STDOUT, proc.stdout)),
            asyncio.create_task(self._pump(rc.STDERR, proc.stderr)),
        ]
        self._open = 2

    @classmethod
    async def start(cls, argv: list[str], *, stdin: bool) -> PipeExec:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        return cls(proc)

    async def _pump(self, channel: int, stream: asyncio.StreamReader | None) -> None:
        assert stream is not None
        while data := await stream.read(CHUNK):
            await self._queue.put((channel, data))
        self._open -= 1
        if self._open == 0:
            await self._queue.put(None)

    async def write_stdin(self, data: bytes) -> None:
        stdin = self._proc.stdin
        if stdin is None or stdin.is_closing():
            return
        try:
            stdin.write(data)
            await stdin.drain()
        except (BrokenPipeError, ConnectionResetError):
            pass

    async def close_stdin(self) -> None:
        if self._proc.stdin is not None and not self._proc.stdin.is_closing():
            self._proc.stdin.close()

    async def resize(self, width: int, height: int) -> None:
        return None

    async def read(self) -> tuple[int, bytes] | None:
        return await self._queue.get()

    async def status(self) -> rc.Status:
        return rc.exit_status(await self._proc.wait())

    async def close(self) -> None:
        for t in self._pumps:
            t.cancel()
        await _end(self._proc)


def _set_size(fd: int, width: int, height: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))


class TtyExec:
    """`runc exec --tty` on a pty of ours; output arrives on STDOUT only."""

    def __init__(self, proc: asyncio.subprocess.Process, master: int) -> None:
        self._proc = proc
        self._master = master
        self._queue: asyncio.Queue[tuple[int, bytes] | None] = asyncio.Queue()
        self._eof = False
        loop = asyncio.get_running_loop()
        os.set_blocking(master, False)
        loop.add_reader(master, self._readable)

    @classmethod
    async def start(cls, argv: list[str], *, width: int = 80, height: int = 24) -> TtyExec:
        master, slave = os.openpty()
        _set_size(slave, width, height)

        def controlling_terminal() -> None:  # in the child: a new session whose terminal is ours
            os.setsid()
            fcntl.ioctl(slave, termios.TIOCSCTTY, 0)  # not fd 0: uvloop sets up stdio later

        try:
            proc = await asyncio.create_subprocess_exec(
                *argv, stdin=slave, stdout=slave, stderr=slave, preexec_fn=controlling_terminal
            )
        except BaseException:
            os.close(master)
            raise
        finally:
            os.close(slave)
        return cls(proc, master)

    def _readable(self) -> None:
        try:
            data = os.read(self._master, CHUNK)
        except BlockingIOError:
            return
        except OSError:  # EIO: every holder of the other end has closed it
            data = b""
        if data:
            self._queue.put_nowait((rc.STDOUT, data))
        else:
            self._finish()

    def _finish(self) -> None:
        if not self._eof:
            self._eof = True
            asyncio.get_running_loop().remove_reader(self._master)
            self._queue.put_nowait(None)

    async def write_stdin(self, data: bytes) -> None:
        view = memoryview(data)
        while view and not self._eof:
            try:
                n = os.write(self._master, view)
                view = view[n:]
            except BlockingIOError:
                await asyncio.sleep(0.01)
            except OSError:
                return

    async def close_stdin(self) -> None:
        await self.write_stdin(b"\x04")  # end-of-file on a terminal is ^D

    async def resize(self, width: int, height: int) -> None:
        if not self._eof:
            _set_size(self._master, width, height)

    async def read(self) -> tuple[int, bytes] | None:
        return await self._queue.get()

    async def status(self) -> rc.Status:
        code = await self._proc.wait()
        self._close_master()
        return rc.exit_status(code)

    def _close_master(self) -> None:
        if self._master >= 0:
            if not self._eof:
                self._finish()
            os.close(self._master)
            self._master = -1

    async def close(self) -> None:
        await _end(self._proc)
        self._close_master()


async def _end(proc: asyncio.subprocess.Process) -> None:
    """Stop an exec whose client left. runc passes SIGHUP on to the command (as a closed
    terminal would); SIGKILL would stop only runc and leave the command running."""
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGHUP)
        try:
            await asyncio.wait_for(proc.wait(), 2)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()
