"""Shared fixtures. Tests under tests/neo4j/ run against the real Neo4j that `kgservice neo4j start`
(or NEO4J_URI) provides; they fail, never skip, when it does not answer."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console

from kgservice.errors import GraphUnavailable
from kgservice.graph.cypher import Query
from kgservice.graph.driver import Graph
from kgservice.settings import Settings

TESTS = Path(__file__).resolve().parent
DATA = TESTS / "data"
# A short job posting with clear sections, shared by the pipeline and API tests.
POSTING = """Senior Backend Engineer

About us
We build payment software for banks.

Requirements
- 5+ years of experience with Python and Go
- Strong SQL and PostgreSQL skills

Responsibilities
- Design and build REST APIs
- Mentor junior developers

Benefits
- Gym membership
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/neo4j/" in item.path.as_posix():
            item.add_marker(pytest.mark.neo4j)


@pytest.fixture(scope="session")
def settings() -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def graph(settings: Settings) -> Iterator[Graph]:
    try:
        g = Graph.connect(settings)
    except GraphUnavailable as exc:
        pytest.fail(f"{exc}\nStart it with `kgservice neo4j start` (or `make test`, which does).", pytrace=False)
    g.apply_schema()
    yield g
    g.close()


@pytest.fixture(scope="session")
def quiet() -> Console:
    return Console(quiet=True)


@pytest.fixture(scope="session")
def full_taxonomy(graph: Graph, settings: Settings, quiet: Console):
    """The default ESCO + Lightcast taxonomy, loaded once per session through the real loader, with the
    structure it derives (group placement, skill hierarchy), as `kgservice load taxonomy` loads it."""
    from kgservice.loaders.default_sources import read_default_sources
    from kgservice.loaders.skill_graph import SkillGraphDerivation
    from kgservice.loaders.taxonomy_writer import load

    return load(graph, read_default_sources(settings.cache), settings.taxonomy.batch_size, quiet,
                derive=SkillGraphDerivation.from_settings(settings, quiet))


@pytest.fixture()
def scratch_taxonomy(graph: Graph) -> Iterator[str]:
    """A taxonomy id for a test's own nodes, removed before and after the test."""
    name = "test-scratch"
    graph.write(Query.DELETE_TAXONOMY, taxonomy=name)
    yield name
    graph.write(Query.DELETE_TAXONOMY, taxonomy=name)


@pytest.fixture(scope="session")
def built_indexes(graph: Graph, settings: Settings, full_taxonomy, quiet: Console):
    """What `make run` builds after the load: trie, catalog and vector index from the loaded graph (the
    encoder exported if missing), then the corpus RELATED_TO edges (from the shipped corpus skill sets)
    and the neighbour snapshot over them, as `kgservice graph related` does. Expansion and matching tests
    need the weighted edges, and a fresh machine has no earlier `make run` to have left them."""
    from kgservice.offline.index_builder import build_indexes, build_neighbours
    from kgservice.offline.onnx_export import ensure_encoder
    from kgservice.related.build import build_related

    ensure_encoder(settings)
    built = build_indexes(settings, graph, semantic=True, console=quiet)
    build_related(settings, graph, quiet, sources=["corpus"])
    built["neighbours"] = build_neighbours(settings, graph, quiet)
    return built


@pytest.fixture(scope="session")
def trie_pipeline(graph: Graph, settings: Settings, built_indexes):
    from kgservice.pipeline.build import TRIE_ONLY, build_pipeline

    return build_pipeline(settings, graph, TRIE_ONLY)


@pytest.fixture(scope="session")
def full_pipeline(graph: Graph, settings: Settings, built_indexes):
    from kgservice.pipeline.build import FULL, build_pipeline

    return build_pipeline(settings, graph, FULL)
