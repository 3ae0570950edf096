"""Fixtures for the nearline worker: a real Redis, unique stream names per test, test documents wiped.

Redis: ``REDIS_URL`` when set; otherwise a throwaway ``redis-server`` (own directory, free port) for the
session, stopped at its end, so the tests never touch a developer's edit stream and leave nothing running.
"""

from __future__ import annotations

import socket
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kgservice.errors import KgServiceError
from kgservice.graph.cypher import Query
from kgservice.graph.driver import Graph
from kgservice.nearline.edit_stream import NearlineSettings, connect, ensure_group
from kgservice.settings import Settings

DOC_PREFIX = "test-nearline-"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def redis_base(settings: Settings) -> Iterator[NearlineSettings]:
    base = settings.nearline
    if base.external:
        yield base
        return
    from kgservice.nearline.redis_server import RedisServer

    with tempfile.TemporaryDirectory(prefix="kg-test-redis-") as home:
        cfg = base.model_copy(update={"port": free_port(), "password_file": Path(home) / "secrets" / "redis-password"})
        server = RedisServer(settings.model_copy(update={"home": Path(home)}), cfg)
        try:
            server.start()
        except KgServiceError as exc:
            pytest.fail(f"{exc}\nInstall it with `apt-get install redis-server`, or set REDIS_URL.", pytrace=False)
        try:
            yield cfg
        finally:
            server.stop()


@pytest.fixture()
def stream_cfg(redis_base: NearlineSettings) -> NearlineSettings:
    """A stream of the test's own, with short claim and block times so retries happen within the test."""
    return redis_base.model_copy(update={"stream": f"test:edits:{uuid.uuid4().hex[:8]}", "group": "test-workers",
                                         "claim_idle_ms": 300, "block_ms": 20, "max_deliveries": 2})


@pytest.fixture()
def redis_client(stream_cfg: NearlineSettings) -> Iterator[Any]:
    client = connect(stream_cfg)
    ensure_group(client, stream_cfg)
    yield client
    client.delete(stream_cfg.stream, stream_cfg.dead_letter, stream_cfg.errors, stream_cfg.committed)
    client.close()


def wipe_documents(graph: Graph) -> None:
    graph.write(Query.DELETE_DOCUMENTS_BY_ID_PREFIX, prefix=DOC_PREFIX)


@pytest.fixture()
def clean_documents(graph: Graph, trie_pipeline) -> Iterator[Graph]:
    wipe_documents(graph)
    yield graph
    wipe_documents(graph)
