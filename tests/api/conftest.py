"""Fixtures for the GraphQL API: the real app served by uvicorn on a free port, against the real Neo4j."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import uvicorn

from kgservice.api.app import create_app
from kgservice.graph.cypher import Query
from kgservice.graph.driver import Graph
from kgservice.settings import Settings

TEST_PREFIX = "test-api-"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    app: Any
    client: httpx.Client

    def gql(self, query: str, variables: dict[str, Any] | None = None, status: int = 200) -> dict[str, Any]:
        response = self.client.post("/graphql", json={"query": query, "variables": variables or {}})
        assert response.status_code == status, response.text
        return response.json()


def serve(settings: Settings, host: str = "127.0.0.1") -> Iterator[Server]:
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    with httpx.Client(base_url=url, timeout=60) as client:
        yield Server(url, app, client)
    server.should_exit = True
    thread.join(timeout=20)


def wipe_test_documents(graph: Graph) -> None:
    graph.write(Query.DELETE_DOCUMENTS_BY_ID_PREFIX, prefix=TEST_PREFIX)


def settings_without_keys() -> Settings:
    """The environment's settings less any KG_API__KEYS: the suite calls as the loopback developer
    (tests/api/test_api_access.py serves with keys of its own)."""
    base = Settings()
    return base.model_copy(update={"api": base.api.model_copy(update={"keys": None})})


@pytest.fixture(scope="session")
def api(graph: Graph, built_indexes) -> Iterator[Server]:
    """The service as `kgservice serve` runs it, with the environment's settings."""
    wipe_test_documents(graph)
    yield from serve(settings_without_keys())
    wipe_test_documents(graph)


@pytest.fixture(scope="session")
def api_down() -> Iterator[Server]:
    """A second instance pointed at a port where no Neo4j listens."""
    base = settings_without_keys()
    yield from serve(base.model_copy(update={"neo4j": base.neo4j.model_copy(update={"uri": "bolt://127.0.0.1:1"})}))
