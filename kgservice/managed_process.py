"""The servers this project starts itself (Neo4j, Redis): one way to launch, wait for, track and stop them.

Each runs as a detached child in its own process group (so it outlives the CLI that started it and a
Ctrl-C there), tracked by a pid file under ``settings.home``; a start returns once the caller's
readiness check passes, and fails with the server's own log when it exits or stays silent.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from kgservice.errors import KgServiceError


def live_pid(pid_file: Path) -> int | None:
    """The pid in ``pid_file`` if that process still runs, else None."""
    try:
        pid = int(pid_file.read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        # A server this process started and that has exited is a zombie until reaped, and
        # os.kill(pid, 0) still succeeds on a zombie.
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return None
    except ChildProcessError:
        pass  # not our child: started by another `kgservice ... start`
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    return pid


def terminate(pid_file: Path, timeout_s: float, poll_s: float) -> None:
    """SIGTERM (the service shuts down cleanly), SIGKILL after ``timeout_s``, then drop the pid file."""
    pid = live_pid(pid_file)
    if pid is None:
        pid_file.unlink(missing_ok=True)
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and live_pid(pid_file) is not None:
        time.sleep(poll_s)
    if live_pid(pid_file) is not None:
        os.kill(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)


def port_open(host: str, port: int, timeout_s: float = 1.0) -> bool:
    """Something accepts TCP connections on ``host:port``."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return True
    except OSError:
        return False


def file_tail(path: Path, chars: int) -> str:
    """The last ``chars`` characters of a log file ('' when there is none)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            fh.seek(max(0, fh.tell() - chars))
            return fh.read().decode("utf-8", "replace")
    except OSError:
        return ""


@dataclass(frozen=True, slots=True)
class ManagedProcess:
    """One project-started server: its name (for errors), its pid file and the file its output goes to."""

    name: str
    pid_file: Path
    output: Path

    def pid(self) -> int | None:
        return live_pid(self.pid_file)

    def launch(self, cmd: Sequence[str], ready: Callable[[], bool], timeout_s: float, poll_s: float,
               log: Callable[[], str]) -> None:
        """Start ``cmd`` detached, record its pid, and wait until ``ready()``.

        Raises:
            KgServiceError: the process exited first (its pid file is dropped), or ``timeout_s`` passed;
                the message carries ``log()``, the server's own account.
        """
        with open(self.output, "wb") as out:
            proc = subprocess.Popen(list(cmd), stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        self.pid_file.write_text(str(proc.pid))
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                self.pid_file.unlink(missing_ok=True)
                raise KgServiceError(f"{self.name} exited with code {proc.returncode} during start:\n{log()}")
            if ready():
                return
            time.sleep(poll_s)
        raise KgServiceError(f"{self.name} did not answer within {timeout_s:.0f}s:\n{log()}")

    def stop(self, timeout_s: float, poll_s: float) -> None:
        """SIGTERM, then SIGKILL after ``timeout_s``; the pid file goes either way."""
        terminate(self.pid_file, timeout_s, poll_s)
