"""Fetch, start, stop and inspect the Neo4j 5.26 Community server this project runs itself.

Maven Central carries no Neo4j server tarball, only the engine; ``pom.xml`` in the package data
folder ``kgservice/neo4j_launcher/`` resolves it and ``Launcher.java`` beside it (run from source, no
build step) starts an embedded DatabaseManagementService with Bolt on a loopback address. The data
directory lives under ``settings.home`` so the graph survives restarts. When ``NEO4J_URI`` is set none of this runs.

Auth is on: the first start generates the password of the user neo4j into
``settings.neo4j.password_file`` (mode 0600) and the launcher sets it on the system database with
Bolt still closed, which also moves a store made with auth off (before this existed) over to it.
A server of this project found running with auth off is restarted with auth on.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from kgservice.errors import GraphUnavailable, KgServiceError
from kgservice.managed_process import ManagedProcess, file_tail, port_open
from kgservice.secret_files import ensure_secret
from kgservice.package_data import data_path
from kgservice.settings import Settings

RUNTIME_DIR = data_path("neo4j_launcher")
# Launcher.APPLIED_MARKER: the SHA-256 of the password last set on the store's system database.
APPLIED_MARKER = "kgservice-password.sha256"
# From Neo4j 5's own neo4j.conf; without the java.nio opens, index population was reported to stall.
JVM_FLAGS = (
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "-XX:+UseG1GC",
    "-XX:+ExitOnOutOfMemoryError",
)


@dataclass(frozen=True, slots=True)
class ServerStatus:
    running: bool
    pid: int | None
    uri: str
    external: bool
    detail: str


class Neo4jServer:
    """The project-started Neo4j process, tracked by a pid file under ``settings.home``."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._cfg = settings.neo4j
        self.home = settings.home / "neo4j"
        self.lib_dir = settings.cache / f"neo4j-{self._cfg.version}" / "lib"
        self.pid_file = self.home / "launcher.pid"
        self.log_file = self.home / "launcher.log"
        self.process = ManagedProcess("Neo4j", self.pid_file, self.log_file)

    # -- fetch -----------------------------------------------------------------------------------
    def fetch(self) -> Path:
        """Resolve the engine's jars from Maven Central into the cache (once)."""
        marker = self.lib_dir / ".complete"
        if marker.exists():
            return self.lib_dir
        mvn = shutil.which("mvn")
        if mvn is None:
            raise KgServiceError("Maven (`mvn`) is needed to fetch Neo4j from Maven Central: apt-get install maven")
        tmp = self.lib_dir.with_name("lib.partial")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        cmd = [
            mvn, "-q", "-B", "-f", str(RUNTIME_DIR / "pom.xml"),
            "dependency:copy-dependencies", f"-DoutputDirectory={tmp}", "-DincludeScope=runtime",
            f"-Dneo4j.version={self._cfg.version}",
        ]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise KgServiceError(f"fetching Neo4j {self._cfg.version} from Maven failed:\n{done.stdout}\n{done.stderr}")
        shutil.rmtree(self.lib_dir, ignore_errors=True)
        tmp.rename(self.lib_dir)
        marker.write_text(self._cfg.version)
        return self.lib_dir

    # -- lifecycle -------------------------------------------------------------------------------
    def _pid(self) -> int | None:
        return self.process.pid()

    def _bolt_open(self) -> bool:
        host, port = self._cfg.listen_address.rsplit(":", 1)
        return port_open(host, int(port))

    def start(self) -> ServerStatus:
        """Start the server unless it runs already; return once it answers queries with its password."""
        if self._cfg.external:
            return self.status()
        assert self._cfg.password_file is not None, "Settings sets password_file"
        ensure_secret(self._cfg.password_file)
        note = ""
        if self._pid() is not None and self._ready():
            from kgservice.graph.driver import accepts_any_credentials

            if not accepts_any_credentials(self._cfg.bolt_uri):
                return self.status()
            self.stop()  # started by a version without auth
            note = "restarted with auth on (it ran with auth off)"
        if self._bolt_open():
            raise KgServiceError(
                f"{self._cfg.listen_address} is taken by a process this project did not start; "
                "stop it or set NEO4J_LISTEN_ADDRESS / NEO4J_URI"
            )
        from kgservice.graph.driver import CredentialsRefused

        self._launch()
        try:
            self._check_password()
        except CredentialsRefused:
            # The marker says the password was set, but the store's differs: its system database was
            # replaced (a restored backup, a copied data folder). Set it again.
            (self.home / "data" / APPLIED_MARKER).unlink(missing_ok=True)
            self.stop()
            self._launch()
            self._check_password()
            note = "password set again (the store had another one)"
        status = self.status()
        return dataclasses.replace(status, detail=f"{status.detail}; {note}") if note else status

    def _launch(self, password_arg: str | None = None) -> None:
        """Start the launcher and wait until it is ready; ``password_arg="none"`` starts it with auth off, as
        versions before auth did (the tests make such stores)."""
        lib = self.fetch()
        self.home.mkdir(parents=True, exist_ok=True)
        java = shutil.which("java")
        if java is None:
            raise KgServiceError("Java 17 is needed to run Neo4j 5.26: apt-get install openjdk-17-jre-headless")
        cmd = [
            # Initial heap = maximum, as Neo4j's memory guide recommends: G1 otherwise kept this heap
            # at ~0.5 GB, just above its concurrent-marking threshold, and started a marking cycle
            # every ~4 s under nearline load, whose pauses and marking thread held up commits
            # (jstat; README, Nearline).
            java, *JVM_FLAGS, f"-Xms{self._cfg.heap_mb}m", f"-Xmx{self._cfg.heap_mb}m", "-cp", f"{lib}/*",
            str(RUNTIME_DIR / "Launcher.java"), str(self.home / "data"), self._cfg.listen_address,
            str(self._cfg.pagecache_mb), password_arg or str(self._cfg.password_file),
        ]
        if self.log_file.exists():
            self.log_file.replace(self.log_file.with_suffix(".log.1"))
        self.process.launch(cmd, self._ready, self._cfg.start_timeout_s, poll_s=0.5, log=self._log_tail)

    def _check_password(self) -> None:
        from kgservice.graph.driver import Graph

        with Graph.connect(self._settings):
            pass

    def _ready(self) -> bool:
        if not self._bolt_open():
            return False
        return "ready on" in self._log_tail(4000)

    def stop(self, timeout_s: float = 90.0) -> ServerStatus:
        """Stop with SIGTERM (the launcher's shutdown hook closes the store cleanly)."""
        pid = self._pid()
        if self._cfg.external or pid is None:
            return self.status()
        self.process.stop(timeout_s, poll_s=0.3)
        return self.status()

    def status(self) -> ServerStatus:
        uri = self._cfg.bolt_uri
        if self._cfg.external:
            from kgservice.graph.driver import Graph

            try:
                with Graph.connect(self._settings):
                    return ServerStatus(True, None, uri, True, "external server answers")
            except GraphUnavailable as exc:
                return ServerStatus(False, None, uri, True, str(exc))
        pid = self._pid()
        if pid is None:
            return ServerStatus(False, None, uri, False, "not running")
        ready = self._ready()
        return ServerStatus(ready, pid, uri, False, "ready" if ready else "starting or not answering")

    def _log_tail(self, chars: int = 3000) -> str:
        return file_tail(self.log_file, chars)
