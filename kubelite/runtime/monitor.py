"""The per-container monitor: one small process per container, outliving the runtime.

Started by the runtime as `python -m kubelite.runtime.monitor STATE_DIR` in a session of
its own, it:

1. becomes a child subreaper, so the container's init process (forked by runc, whose
   parent exits) is re-parented to it and it can wait for the exit status;
2. runs `runc create` with the write ends of two pipes as the container's stdout and
   stderr and writes `created` (or `exit.json` with the reason if runc failed);
3. copies both pipes to the container's log in the CRI format
   (`2024-01-02T03:04:05.123456789Z stdout F message`; `P` marks a partial line),
   reopening the file on SIGUSR1 (ReopenContainerLog);
4. serves attach sessions on `attach.sock` (protocol in `streaming/attach.py`): output
   is copied to every attached client as well, and a container created with `stdin`
   gets a pipe that attached clients write to; with `stdin_once` it is closed when the
   first client sends EOF or leaves;
   a container created with `tty` runs on a terminal whose master runc hands over on
   `console.sock`: its output is the container's stdout, stdin goes to it, and attached
   clients may resize it;
5. when init exits, records `exit.json` (exit code, finish time, whether the memory
   cgroup OOM-killed it), disconnects attached clients, runs `runc delete` and exits.

The runtime only reads these files, so it can stop and start again at any time in
between and see the same container.

Starting a Python interpreter per container costs ~100 ms of CPU, most of a pod's start
on a busy node, so the runtime starts monitors through one fork server
(`python monitor.py --fork-server`, this module already imported): it reads a state
directory per line on stdin and double-forks a monitor for it, in a session of its own
and re-parented away from the server, so it outlives the server and the runtime exactly
as a monitor started directly does. The server exits when its stdin closes.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from pathlib import Path
from typing import Any, BinaryIO

PR_SET_CHILD_SUBREAPER = 36
CHUNK = 16 * 1024
# the attach protocol; the monitor uses only the standard library, so these repeat
# kubelite.runtime.streaming.attach's
ATTACH_SOCKET = "attach.sock"
HEADER = struct.Struct(">BI")
STDIN, STDOUT, STDERR, RESIZE, CLOSE = 0, 1, 2, 4, 255
CONSOLE_SOCKET = "console.sock"


def timestamp(ns: int) -> str:
    secs, frac = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + f".{frac:09d}Z"


class CRILog:
    """The CRI log file, shared by the stdout and stderr copiers."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._file: BinaryIO | None = None
        self.reopen()

    def reopen(self) -> None:
        with self._lock:
            if self._file:
                self._file.close()
            self._file = None
            if self.path:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                self._file = open(self.path, "ab", buffering=0)

    def write(self, stream: str, line: bytes) -> None:
        tag = b"F" if line.endswith(b"\n") else b"P"
        body = line[:-1] if line.endswith(b"\n") else line
        record = (
            timestamp(time.time_ns()).encode() + b" " + stream.encode() + b" " + tag + b" " + body + b"\n"
        )
        with self._lock:
            if self._file:
                self._file.write(record)


class Attachments:
    """The attached clients: output fans out to all of them; their stdin goes to the
    container's stdin pipe (if it has one)."""

    def __init__(self, stdin: int | None, stdin_once: bool, terminal: int | None = None) -> None:
        self._lock = threading.Lock()
        self._clients: list[socket.socket] = []
        self._stdin = stdin
        self._stdin_once = stdin_once
        self.terminal = terminal  # the terminal's master, once runc handed it over

    def serve(self, listener: socket.socket) -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            conn.settimeout(5)  # a client that stops reading is dropped, not waited for
            with self._lock:
                self._clients.append(conn)
            threading.Thread(target=self._read, args=(conn,), daemon=True).start()

    def _read(self, conn: socket.socket) -> None:
        try:
            while header := _recv_exactly(conn, HEADER.size):
                channel, size = HEADER.unpack(header)
                payload = _recv_exactly(conn, size) if size else b""
                if payload is None:
                    break
                if channel == STDIN and payload:
                    self._write_stdin(payload)
                elif channel == RESIZE and len(payload) == 4 and self.terminal is not None:
                    width, height = struct.unpack(">HH", payload)
                    fcntl.ioctl(self.terminal, termios.TIOCSWINSZ, struct.pack("HHHH", height, width, 0, 0))
                elif channel == CLOSE and self._stdin_once:
                    self._close_stdin()
        except OSError:
            pass
        self._drop(conn)
        if self._stdin_once:
            self._close_stdin()

    def use_terminal(self, master: int, *, stdin: bool) -> None:
        with self._lock:
            self.terminal = master
            if stdin:
                self._stdin = master

    def _write_stdin(self, data: bytes) -> None:
        with self._lock:
            fd = self._stdin
        if fd is not None:
            try:
                os.write(fd, data)
            except OSError:
                pass

    def _close_stdin(self) -> None:
        with self._lock:
            fd, self._stdin = self._stdin, None
        if fd is not None and fd == self.terminal:
            os.write(fd, b"\x04")  # a terminal stays open: end-of-file is ^D
        elif fd is not None:
            os.close(fd)

    def _drop(self, conn: socket.socket) -> None:
        with self._lock:
            if conn in self._clients:
                self._clients.remove(conn)
        conn.close()

    def broadcast(self, channel: int, data: bytes) -> None:
        with self._lock:
            clients = list(self._clients)
        for conn in clients:
            try:
                conn.sendall(HEADER.pack(channel, len(data)) + data)
            except OSError:
                self._drop(conn)

    def close_all(self) -> None:
        with self._lock:
            clients, self._clients = self._clients, []
        for conn in clients:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            conn.close()


def _recv_exactly(conn: socket.socket, size: int) -> bytes | None:
    buf = bytearray()
    while len(buf) < size:
        chunk = conn.recv(size - len(buf))
        if not chunk:
            return None
        buf += chunk
    return bytes(buf)


def copy(pipe: int, stream: str, log: CRILog, attached: Attachments) -> None:
    channel = STDOUT if stream == "stdout" else STDERR
    with os.fdopen(pipe, "rb", buffering=0) as f:
        reader = f  # raw reads; split into lines ourselves
        pending = b""
        while True:
            try:
                chunk = reader.read(CHUNK)
            except OSError:  # EIO from a terminal whose other side is gone
                break
            if not chunk:
                break
            attached.broadcast(channel, chunk)
            pending += chunk
            while b"\n" in pending:
                line, pending = pending.split(b"\n", 1)
                log.write(stream, line + b"\n")
            if len(pending) >= CHUNK:
                log.write(stream, pending)
                pending = b""
        if pending:
            log.write(stream, pending)


def write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data))
    os.replace(tmp, path)


def oom_killed(cgroup: str) -> bool:
    try:
        text = Path(f"/sys/fs/cgroup/memory{cgroup}/memory.oom_control").read_text()
    except OSError:
        try:  # cgroup v2
            text = Path(f"/sys/fs/cgroup{cgroup}/memory.events").read_text()
        except OSError:
            return False
    fields = dict(line.split() for line in text.splitlines() if len(line.split()) == 2)
    return int(fields.get("oom_kill", "0")) > 0


def main(state_dir: str) -> int:
    state = Path(state_dir).resolve()
    os.chdir(state)  # so the attach socket's address is short (paths may pass 108 bytes)
    cfg = json.loads((state / "monitor.json").read_text())
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    log = CRILog(cfg["log_path"])
    signal.signal(signal.SIGUSR1, lambda *_: log.reopen())
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    tty = bool(cfg.get("tty"))
    in_r, in_w = os.pipe() if cfg.get("stdin") and not tty else (None, None)
    attached = Attachments(in_w, bool(cfg.get("stdin_once")))
    console, console_path = None, ""
    if tty:
        # runc needs an address it can dial from its own directory: a short absolute one
        console_path = os.path.join(tempfile.mkdtemp(prefix="kubelite-console-"), CONSOLE_SOCKET)
        console = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        console.bind(console_path)
        console.listen(1)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    if os.path.exists(ATTACH_SOCKET):
        os.unlink(ATTACH_SOCKET)
    listener.bind(ATTACH_SOCKET)
    os.chmod(ATTACH_SOCKET, 0o600)
    listener.listen(16)
    threading.Thread(target=attached.serve, args=(listener,), daemon=True).start()
    runc = [cfg["runc"], "--root", cfg["runc_root"], "--log", str(state / "runc.log"), "--log-format", "json"]
    console_args = ["--console-socket", console_path] if console is not None else []
    create = subprocess.run(
        [*runc, "create", *console_args, "--bundle", cfg["bundle"], "--pid-file", "pid", cfg["id"]],
        stdin=in_r if in_r is not None else subprocess.DEVNULL,
        stdout=out_w,
        stderr=err_w,
    )
    os.close(out_w)
    os.close(err_w)
    if in_r is not None:
        os.close(in_r)
    if create.returncode != 0:
        if console_path:
            shutil.rmtree(os.path.dirname(console_path), ignore_errors=True)
        write_json(
            state / "exit.json",
            {
                "exit_code": 128,
                "finished_at": time.time_ns(),
                "reason": "ContainerCannotRun",
                "message": runc_error(state),
            },
        )
        return 1
    pid = int((state / "pid").read_text())
    outputs = [(out_r, "stdout"), (err_r, "stderr")]
    if console is not None:
        master = receive_terminal(console, console_path)
        attached.use_terminal(master, stdin=bool(cfg.get("stdin")))
        outputs.append((master, "stdout"))
    (state / "created").touch()
    copiers = [
        threading.Thread(target=copy, args=(fd, name, log, attached), daemon=True) for fd, name in outputs
    ]
    for t in copiers:
        t.start()
    status = wait_for(pid)
    code = os.waitstatus_to_exitcode(status)
    exit_code = 128 - code if code < 0 else code
    finished = time.time_ns()
    oom = oom_killed(cfg["cgroup"])
    for t in copiers:
        t.join(timeout=2)
    write_json(
        state / "exit.json",
        {
            "exit_code": exit_code,
            "finished_at": finished,
            "reason": "OOMKilled" if oom else ("Completed" if exit_code == 0 else "Error"),
            "message": "",
        },
    )
    listener.close()
    attached.close_all()
    subprocess.run([*runc, "delete", "--force", cfg["id"]], capture_output=True)
    return 0


def receive_terminal(console: socket.socket, path: str) -> int:
    """The terminal master runc sent over the console socket during `runc create`."""
    conn, _ = console.accept()
    with conn:
        _, fds, _, _ = socket.recv_fds(conn, 1024, 1)
    console.close()
    shutil.rmtree(os.path.dirname(path), ignore_errors=True)
    return fds[0]


def wait_for(pid: int) -> int:
    """Reap children until `pid` exits; return its wait status."""
    while True:
        try:
            child, status = os.waitpid(-1, 0)
        except ChildProcessError:
            return 255 << 8  # init vanished without being our child: report failure
        except InterruptedError:
            continue
        if child == pid:
            return status


def runc_error(state: Path) -> str:
    try:
        lines = (state / "runc.log").read_text().splitlines()
    except OSError:
        return "runc create failed"
    msgs = [json.loads(line).get("msg", "") for line in lines if line.startswith("{")]
    return (msgs[-1] if msgs else "runc create failed")[:1024]


def fork_server() -> int:
    """Fork a monitor for each state directory read from stdin (see the module docstring)."""
    for line in sys.stdin.buffer:
        state_dir = line.decode().rstrip("\n")
        if not state_dir:
            continue
        child = os.fork()
        if child == 0:
            code = 1
            try:
                os.setsid()
                if os.fork() == 0:
                    code = _forked_monitor(state_dir)
                else:
                    code = 0
            finally:
                os._exit(code)
        os.waitpid(child, 0)
    return 0


def _forked_monitor(state_dir: str) -> int:
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    for fd in [int(n) for n in os.listdir("/proc/self/fd")]:  # the server's stdin pipe, ...
        if fd > 2:
            try:
                os.close(fd)
            except OSError:  # the directory listing's own descriptor
                pass
    try:
        return main(state_dir)
    except BaseException:  # never back into the server's loop
        return 1


if __name__ == "__main__":
    sys.exit(fork_server() if sys.argv[1] == "--fork-server" else main(sys.argv[1]))
