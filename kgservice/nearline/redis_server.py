"""Start, stop and inspect the Redis this project runs itself for local use and CI.

Debian's ``redis-server`` runs as a child daemon (its own session, like the project's Neo4j) on
127.0.0.1, with its directory, pid file and log under ``settings.home / "redis"``. The append-only
file is on, so edits on the stream survive a restart of Redis; there are no RDB snapshots. When
``REDIS_URL`` is set none of this runs.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from kgservice.errors import KgServiceError
from kgservice.nearline.edit_stream import NearlineSettings
from kgservice.pid_file import live_pid, terminate
from kgservice.settings import Settings


@dataclass(frozen=True, slots=True)
class RedisStatus:
    running: bool
    pid: int | None
    url: str
    external: bool
    detail: str


class RedisServer:
    """The project-started ``redis-server``, tracked by a pid file under ``<home>/redis``."""

    def __init__(self, settings: Settings, cfg: NearlineSettings, start_timeout_s: float = 20.0) -> None:
        self._cfg = cfg
        self.home = settings.home / "redis"
        self.port = cfg.port
        self.pid_file = self.home / "redis.pid"
        self.log_file = self.home / "redis.log"
        self.start_timeout_s = start_timeout_s

    def _pid(self) -> int | None:
        return live_pid(self.pid_file)
        return pid

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1.0) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> RedisStatus:
        """Start Redis unless it runs already; return once it answers PING."""
        if self._cfg.external:
            return self.status()
        if self._pid() is not None and self._answers():
            return self.status()
        if self._answers():
            raise KgServiceError(f"127.0.0.1:{self.port} is taken by a Redis this project did not start; stop it, "
                                 "set KG_NEARLINE__PORT, or point REDIS_URL at it")
        exe = shutil.which("redis-server")
        if exe is None:
            raise KgServiceError("redis-server is needed for the nearline stream: apt-get install redis-server")
        self.home.mkdir(parents=True, exist_ok=True)
        cmd = [exe, "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.home),
               "--daemonize", "no", "--appendonly", "yes", "--appendfsync", "everysec", "--save", "",
               "--logfile", str(self.log_file), "--protected-mode", "yes"]
        # A new session so the server outlives the CLI that started it and a Ctrl-C there.
        with open(self.home / "redis.stderr", "wb") as err:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                                    start_new_session=True)
        self.pid_file.write_text(str(proc.pid))
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                err = (self.home / "redis.stderr").read_text(errors="replace")
                self.pid_file.unlink(missing_ok=True)
                raise KgServiceError(f"redis-server exited with code {proc.returncode}:\n{err}{self._log_tail()}")
            if self._answers():
                return self.status()
            time.sleep(0.05)
        raise KgServiceError(f"Redis did not answer within {self.start_timeout_s:.0f}s:\n{self._log_tail()}")

    def stop(self, timeout_s: float = 20.0) -> RedisStatus:
        """SIGTERM: Redis flushes the append-only file and exits."""
        pid = self._pid()
        if self._cfg.external or pid is None:
            return self.status()
        terminate(self.pid_file, timeout_s, poll_s=0.05)
        return self.status()

    def status(self) -> RedisStatus:
        url = self._cfg.url
        if self._cfg.external:
            from kgservice.nearline.edit_stream import connect

            try:
                connect(self._cfg).close()
                return RedisStatus(True, None, url, True, "external server answers")
            except KgServiceError as exc:
                return RedisStatus(False, None, url, True, str(exc))
        pid = self._pid()
        if pid is None:
            return RedisStatus(False, None, url, False, "not running")
        ready = self._answers()
        return RedisStatus(ready, pid, url, False, "ready" if ready else "starting or not answering")

    def _log_tail(self, chars: int = 2000) -> str:
        try:
            return Path(self.log_file).read_text(errors="replace")[-chars:]
        except OSError:
            return ""
