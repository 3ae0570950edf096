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
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from kgservice.errors import KgServiceError
from kgservice.nearline.edit_stream import NearlineSettings
from kgservice.pid_file import live_pid, terminate
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

    def _pid(self) -> int | None:
        return live_pid(self.pid_file)

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
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1.0):
                return True
        except OSError:
            return False

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
        # Its own process group, so the server outlives the CLI that started it and a Ctrl-C there.
        with open(self.home / "redis.stderr", "wb") as err:
            proc = subprocess.Popen([exe, str(self.config_file)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=err, start_new_session=True)
        self.pid_file.write_text(str(proc.pid))
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                err = (self.home / "redis.stderr").read_text(errors="replace")
                self.pid_file.unlink(missing_ok=True)
                raise KgServiceError(f"redis-server exited with code {proc.returncode}:\n{err}{self._log_tail()}")
            if self._answers():
                status = self.status()
                return RedisStatus(status.running, status.pid, status.url, status.external, status.detail + note)
            time.sleep(0.05)
        raise KgServiceError(f"Redis did not answer within {self.start_timeout_s:.0f}s:\n{self._log_tail()}")

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
