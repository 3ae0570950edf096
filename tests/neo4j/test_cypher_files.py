"""Every named query exists, is used, and plans against the real Neo4j."""

from __future__ import annotations

import re

import pytest

from kgservice.errors import GraphUnavailable
from kgservice.graph.cypher import Query, params_of, service_queries, taxonomist_queries
from kgservice.graph.driver import Graph
from kgservice.settings import PROJECT_ROOT, Settings


def _dummy(name: str):
    if name in ("limit", "first", "depth", "offset", "pool"):
        return 5
    if name in ("minRelated",):
        return 0.5
    if name in ("credits", "relationWeights"):
        return {"exact": 1.0, "mentioned": 0.5}
    if name in ("rows", "ids", "taxonomies", "keep", "derived", "sources"):
        return []
    if name in ("twins",):
        return {}
    return "x"


ALL = [(q.value, t) for q, t in service_queries().items()] + [
    (f"taxonomist/{n}", t) for n, t in taxonomist_queries().items()]


@pytest.mark.parametrize(("name", "text"), ALL, ids=[n for n, _ in ALL])
def test_cypher_files_plan(graph, name, text):
    graph.write("EXPLAIN " + text, **{p: _dummy(p) for p in params_of(text)})


def test_cypher_files_every_service_query_is_used():
    sources = "\n".join(p.read_text() for root in ("kgservice", "tests")
                        for p in (PROJECT_ROOT / root).rglob("*.py") if p.name != "cypher.py")
    unused = [q.name for q in Query if not re.search(rf"Query\.{q.name}\b", sources)]
    assert unused == []


def test_graph_unavailable_names_the_fix(monkeypatch):
    monkeypatch.setenv("NEO4J_LISTEN_ADDRESS", "127.0.0.1:1")
    monkeypatch.delenv("NEO4J_URI", raising=False)
    with pytest.raises(GraphUnavailable, match="kgservice neo4j start"):
        Graph.connect(Settings())
