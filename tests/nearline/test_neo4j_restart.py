"""Neo4j restarts in the middle of a stream: the worker waits, keeps its messages, and loses nothing.

Runs against a throwaway Neo4j of its own (temporary home, free port) holding the small ESCO bundle
from tests/data, so the shared server is never stopped. About a minute: two Neo4j starts.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from kgservice.graph.driver import Graph
from kgservice.graph.server import Neo4jServer
from kgservice.nearline.edit_stream import enqueue, make_edit
from kgservice.nearline.extraction import InlineExtraction
from kgservice.nearline.worker import Worker
from kgservice.pipeline.build import TRIE_ONLY, build_pipeline, make_document
from kgservice.settings import Settings
from tests.conftest import DATA
from tests.nearline.conftest import free_port

pytestmark = pytest.mark.neo4j

# Each names a skill of the test bundle by its label: the test is about losing nothing across a restart.
TEXTS = [
    "We develop software and build iOS apps in Swift.",
    "Our agency needs someone to develop web applications and manage budgets.",
    "You will develop mobile applications and manage budgets.",
]


@pytest.fixture()
def own_neo4j(settings: Settings, tmp_path: Path) -> Iterator[tuple[Settings, Neo4jServer]]:
    own = settings.model_copy(update={
        "home": tmp_path, "cache_dir": settings.cache,
        "neo4j": settings.neo4j.model_copy(update={"uri": None, "listen_address": f"127.0.0.1:{free_port()}",
                                                   "heap_mb": 512, "pagecache_mb": 64})})
    server = Neo4jServer(own)
    server.start()
    reap_when_done(server)
    try:
        yield own, server
    finally:
        server.stop()


def reap_when_done(server: Neo4jServer) -> None:
    """Reap the launcher (our child) as soon as it exits: Neo4jServer.stop polls ``kill(pid, 0)``, which a
    zombie still answers, so without this every stop waits out its whole timeout."""
    pid = int(server.pid_file.read_text())
    threading.Thread(target=lambda: os.waitpid(pid, 0), daemon=True).start()


def wait_for(condition, deadline_s: float = 240.0) -> None:  # noqa: ANN001
    """Poll until ``condition()``; the deadline only guards against hanging, it is no latency check."""
    deadline = time.monotonic() + deadline_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met before the deadline"
        time.sleep(0.1)


def test_worker_survives_a_neo4j_restart_and_loses_nothing(own_neo4j, stream_cfg, redis_client):
    from kgservice.offline.index_builder import build_indexes
    from kgservice.loaders.esco_bundle import read_bundle
    from kgservice.loaders.taxonomy_writer import load

    own, server = own_neo4j
    quiet = Console(quiet=True)
    graph = Graph.connect(own)
    try:
        graph.apply_schema()
        load(graph, [read_bundle(DATA / "esco_bundle")], own.taxonomy.batch_size, quiet)
        build_indexes(own, graph, semantic=False, console=quiet)
        pipeline = build_pipeline(own, graph, TRIE_ONLY)
        worker = Worker(graph, redis_client, InlineExtraction(pipeline), stream_cfg, consumer="t-restart", record_commits=True)
        stop = threading.Event()
        thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
        thread.start()
        try:
            edits = [make_edit("profile", f"r{i}", TEXTS[i % 3], version=i + 1) for i in range(10)]
            ids = enqueue(redis_client, stream_cfg, edits)
            wait_for(lambda: redis_client.hlen(stream_cfg.committed) == 10)

            server.stop()  # edits keep coming while the graph is down
            later = [make_edit("job", f"r{i}", TEXTS[i % 3], version=i + 1) for i in range(10, 25)]
            ids += enqueue(redis_client, stream_cfg, later[:10])
            wait_for(lambda: worker.stats.retries > 0 or redis_client.hlen(stream_cfg.committed) > 10, 120)
            server.start()
            reap_when_done(server)
            ids += enqueue(redis_client, stream_cfg, later[10:])
            wait_for(lambda: redis_client.hlen(stream_cfg.committed) == len(ids))
        finally:
            stop.set()
            thread.join(timeout=120)
        assert not thread.is_alive()
        rows = graph.read("""
            MATCH (d:Document) OPTIONAL MATCH (d)-[h:HAS_SKILL]->(s:Skill)
            RETURN d.key AS key, d.version AS version, count(h) AS skills""")
        assert {r["key"]: r["version"] for r in rows} == {f"{e.kind.value}:{e.id}": e.version for e in edits + later}
        # Every document holds exactly the edges its text gives when extracted directly: none lost, none doubled.
        expected = {f"{e.kind.value}:{e.id}": len(pipeline(make_document(e.text, e.kind.value)).skills)
                    for e in edits + later}
        assert {r["key"]: r["skills"] for r in rows} == expected
        assert sum(expected.values()) > 0
        assert sorted(k.decode() for k in redis_client.hkeys(stream_cfg.committed)) == sorted(ids)
        assert redis_client.xpending(stream_cfg.stream, stream_cfg.group)["pending"] == 0
        assert redis_client.xlen(stream_cfg.dead_letter) == 0 and redis_client.xlen(stream_cfg.stream) == 0
    finally:
        graph.close()
