"""Services this project starts itself (Neo4j, Redis) are tracked by a pid file; one implementation."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


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
