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
4. when init exits, records `exit.json` (exit code, finish time, whether the memory
   cgroup OOM-killed it), runs `runc delete` and exits.

The runtime only reads these files, so it can stop and start again at any time in
between and see the same container.
"""

from __future__ import annotations

import ctypes
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, BinaryIO

PR_SET_CHILD_SUBREAPER = 36
CHUNK = 16 * 1024


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


def copy(pipe: int, stream: str, log: CRILog) -> None:
    with os.fdopen(pipe, "rb", buffering=0) as f:
        reader = f  # raw reads; split into lines ourselves
        pending = b""
        while chunk := reader.read(CHUNK):
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
    state = Path(state_dir)
    cfg = json.loads((state / "monitor.json").read_text())
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    log = CRILog(cfg["log_path"])
    signal.signal(signal.SIGUSR1, lambda *_: log.reopen())
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    runc = [cfg["runc"], "--root", cfg["runc_root"], "--log", str(state / "runc.log"), "--log-format", "json"]
    create = subprocess.run(
        [*runc, "create", "--bundle", cfg["bundle"], "--pid-file", str(state / "pid"), cfg["id"]],
        stdin=subprocess.DEVNULL,
        stdout=out_w,
        stderr=err_w,
    )
    os.close(out_w)
    os.close(err_w)
    if create.returncode != 0:
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
    (state / "created").touch()
    copiers = [
        threading.Thread(target=copy, args=(fd, name, log), daemon=True)
        for fd, name in ((out_r, "stdout"), (err_r, "stderr"))
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
    subprocess.run([*runc, "delete", "--force", cfg["id"]], capture_output=True)
    return 0


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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
