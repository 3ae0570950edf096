"""The project-started Neo4j: a generated password that every client reads, auth-off stores moved over to it,
and LOAD CSV refused by the server itself (files and network)."""

from __future__ import annotations

import socket
import stat
from pathlib import Path

import pytest
from neo4j import GraphDatabase
from neo4j.exceptions import AuthError, ClientError

from kgservice.graph.driver import Graph
from kgservice.graph.server import APPLIED_MARKER, Neo4jServer
from kgservice.secret_files import ensure_secret
from kgservice.settings import Settings
from tests.nearline.conftest import free_port


def refuses(uri: str, auth: tuple[str, str] | None) -> bool:
    with GraphDatabase.driver(uri, auth=auth) as driver:
        try:
            driver.verify_connectivity()
        except AuthError:
            return True
    return False


def private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) == 0o600 and stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_project_neo4j_takes_only_its_generated_password(graph: Graph, settings: Settings):
    cfg = settings.neo4j
    if cfg.external:
        pytest.skip("NEO4J_URI points at an external server; its credentials are its own")
    assert cfg.password_file is not None and private(cfg.password_file)
    assert refuses(cfg.bolt_uri, None)
    assert refuses(cfg.bolt_uri, ("neo4j", "neo4j"))  # the default password of a new store
    assert refuses(cfg.bolt_uri, ("neo4j", "not-" + cfg.password_file.read_text().strip()))
    assert graph.read("RETURN 1 AS one") == [{"one": 1}]  # Settings' credentials


def test_load_csv_reads_no_file_and_opens_no_connection(graph: Graph, settings: Settings):
    if settings.neo4j.external:
        pytest.skip("the LOAD CSV settings are those of the project-started server")
    with pytest.raises(ClientError, match="allow_csv_import_from_file_urls"):
        graph.write("LOAD CSV FROM 'file:///etc/passwd' AS row RETURN row")
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.5)
        port = listener.getsockname()[1]
        with pytest.raises(ClientError, match="blocked"):
            graph.write(f"LOAD CSV FROM 'http://127.0.0.1:{port}/skills.csv' AS row RETURN row")
        with pytest.raises(TimeoutError):  # the server never connected
            listener.accept()


def test_store_made_with_auth_off_moves_to_the_generated_password(settings: Settings, tmp_path: Path):
    """A store and a running server from before auth: `start` restarts it with the password set; a new
    password file is applied at the next start. Three Neo4j starts, about a minute."""
    password_file = tmp_path / "secrets" / "neo4j-password"
    own = settings.model_copy(update={
        "home": tmp_path, "cache_dir": settings.cache,
        "neo4j": settings.neo4j.model_copy(update={"uri": None, "listen_address": f"127.0.0.1:{free_port()}",
                                                   "heap_mb": 512, "pagecache_mb": 64,
                                                   "password_file": password_file})})
    uri = own.neo4j.bolt_uri
    server = Neo4jServer(own)
    server._launch("none")  # as versions before auth started it
    try:
        with GraphDatabase.driver(uri, auth=None) as driver:
            driver.execute_query("CREATE (:AuthProbe {name: 'kept'})")
        assert not password_file.exists()

        status = server.start()
        assert status.running and "auth on" in status.detail
        assert private(password_file) and (tmp_path / "neo4j" / "data" / APPLIED_MARKER).exists()
        assert refuses(uri, None) and refuses(uri, ("neo4j", "neo4j"))
        with Graph.connect(own) as graph:
            assert graph.read("MATCH (n:AuthProbe) RETURN n.name AS name") == [{"name": "kept"}]
        assert server.start().detail == "ready"  # running with auth: left alone

        old = password_file.read_text().strip()
        server.stop()
        password_file.unlink()
        new = ensure_secret(password_file)
        server.start()
        assert refuses(uri, ("neo4j", old)) and not refuses(uri, ("neo4j", new))
    finally:
        server.stop()
