"""Start, stop and inspect the Redis this project runs itself for local use and CI.

Debian's ``redis-server`` runs as a child daemon (its own process group, like the project's Neo4j)
on 127.0.0.1, with its directory, pid file and log under ``settings.home / "redis"``. The append-only
file is on, so edits on the stream survive a restart of Redis; there are no RDB snapshots. When
``REDIS_URL`` is set none of this runs.

Clients must authenticate: the first start generates a password into ``cfg.password_file`` (mode
0600) and Redis gets it as ``requirepass`` from a config file of mode 0600, never on its command line,
where any local user could read it. A Redis of this project found running without that password
(started before passwords existed, or the file was replaced) is restarted with it; its append-only
file keeps the stream.
"""

from __future__ import annotations

import os
import shutil
import socket
from dataclasses import dataclass

from kgservice.errors import KgServiceError
from kgservice.managed_process import ManagedProcess, file_tail, port_open
from kgservice.nearline.edit_stream import NearlineSettings
from kgservice.secret_files import ensure_secret, read_secret
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
        self.config_file = self.home / "redis.conf"
        self.start_timeout_s = start_timeout_s
        # What redis-server prints before its log file is open (a bad config line, a port in use).
        self.process = ManagedProcess("redis-server", self.pid_file, self.home / "redis.stderr")

    def _pid(self) -> int | None:
        return self.process.pid()

    def _reply(self, commands: bytes, replies: int) -> list[bytes]:
        """The first line of each of ``replies`` replies to ``commands``; [] when nothing answers."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1.0) as sock:
                sock.sendall(commands)
                data = b""
                while data.count(b"\r\n") < replies:
                    chunk = sock.recv(256)
                    if not chunk:
                        break
                    data += chunk
                return data.split(b"\r\n")[:replies]
        except OSError:
            return []

    def _answers(self) -> bool:
        """Redis answers PING once authenticated with the generated password."""
        assert self._cfg.password_file is not None, "Settings sets password_file"
        try:
            password = read_secret(self._cfg.password_file)
        except KgServiceError:
            return False
        # The inline AUTH command ends at the line; the generated token has no spaces or line breaks.
        return self._reply(f"AUTH {password}\r\nPING\r\n".encode(), 2) == [b"+OK", b"+PONG"]

    def _listening(self) -> bool:
        return port_open("127.0.0.1", self.port)

    def start(self) -> RedisStatus:
        """Start Redis unless it runs already; return once it answers PING with the generated password."""
        if self._cfg.external:
            return self.status()
        assert self._cfg.password_file is not None, "Settings sets password_file"
        password = ensure_secret(self._cfg.password_file)
        note = ""
        if self._pid() is not None:
            if self._answers():
                return self.status()
            # Ours, without this password: started by a version without passwords, or the file was replaced.
            self.stop()
            note = "; restarted with the generated password"
        if self._listening():
            raise KgServiceError(f"127.0.0.1:{self.port} is taken by a Redis this project did not start; stop it, "
                                 "set KG_NEARLINE__PORT, or point REDIS_URL at it")
        exe = shutil.which("redis-server")
        if exe is None:
            raise KgServiceError("redis-server is needed for the nearline stream: apt-get install redis-server")
        self.home.mkdir(parents=True, exist_ok=True)
        self._write_config(password)
        self.process.launch([exe, str(self.config_file)], self._answers, self.start_timeout_s, poll_s=0.05,
                            log=self._start_log)
        status = self.status()
        return RedisStatus(status.running, status.pid, status.url, status.external, status.detail + note)

    def _write_config(self, password: str) -> None:
        lines = [f"port {self.port}", "bind 127.0.0.1", "protected-mode yes", f'dir "{self.home}"',
                 "daemonize no", "appendonly yes", "appendfsync everysec", 'save ""',
                 f'logfile "{self.log_file}"', f"requirepass {password}"]
        fd = os.open(self.config_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("\n".join(lines) + "\n")
        os.chmod(self.config_file, 0o600)  # an older file of another mode keeps its mode on O_TRUNC

    def stop(self, timeout_s: float = 20.0) -> RedisStatus:
        """SIGTERM: Redis flushes the append-only file and exits."""
        pid = self._pid()
        if self._cfg.external or pid is None:
            return self.status()
        self.process.stop(timeout_s, poll_s=0.05)
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

    def _start_log(self) -> str:
        return file_tail(self.process.output, 2000) + file_tail(self.log_file, 2000)
