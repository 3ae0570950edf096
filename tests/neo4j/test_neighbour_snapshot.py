"""The expander's neighbour snapshot against the live expansion query on the full taxonomy."""

from __future__ import annotations

import random

import pytest

from kgservice.graph.cypher import Query
from kgservice.inference import artifacts
from kgservice.pipeline.graph_expander import GraphExpander
from kgservice.pipeline.neighbour_snapshot import NeighbourSnapshot
from kgservice.pipeline.skill_catalog import SkillCatalog

pytestmark = pytest.mark.neo4j


def test_snapshot_answers_what_the_graph_answers(graph, settings, built_indexes, tmp_path):
    version = artifacts.taxonomy_version(graph)
    catalog = SkillCatalog.load(artifacts.catalog_path(settings, version))
    ids = [r["id"] for r in graph.read(Query.GET_SKILLS_FOR_INDEX, taxonomies=None)]
    sample = random.Random(5).sample(ids, 400)
    # Cross-taxonomy twins too (the loaded taxonomies have no skill-to-skill BROADER: their hierarchy
    # is the groups').
    sample += [r["id"] for r in graph.read("MATCH (s:Skill)-[:SAME_AS]-() RETURN DISTINCT s.id AS id ORDER BY id LIMIT 30")]
    per_relation = settings.pipeline.expansion_per_relation
    built = NeighbourSnapshot.build(graph, sample, per_relation)
    loaded = NeighbourSnapshot.load(built.save(tmp_path / "neighbours.npz"))
    assert loaded.seeds == list(dict.fromkeys(sample)) and loaded.per_relation == per_relation
    live = GraphExpander(graph, per_relation=per_relation)
    from_snapshot = GraphExpander(graph, per_relation=per_relation, snapshot=loaded, catalog=catalog)
    expected = live._fetch(sample)
    assert sum(len(v) for v in expected.values()) > 1000
    assert {link.relation for links in expected.values() for link in links} >= {"same_group", "same_as"}
    assert from_snapshot._fetch(sample) == expected  # same links, names and order

    # A seed the snapshot lacks still goes to the graph.
    missing = next(i for i in ids if i not in loaded)
    assert from_snapshot._fetch([missing, sample[0]]) == live._fetch([missing, sample[0]])


def test_index_build_writes_the_snapshot_the_pipeline_uses(graph, settings, built_indexes, full_pipeline):
    version = artifacts.taxonomy_version(graph)
    assert built_indexes["neighbours"] == artifacts.neighbours_path(settings, version)
    snapshot = NeighbourSnapshot.load(built_indexes["neighbours"])
    assert len(snapshot) == len(SkillCatalog.load(artifacts.catalog_path(settings, version)))
    expander = next(s for s in full_pipeline.stages if s.name == "graph_expander")
    assert expander._snapshot is not None and len(expander._snapshot) == len(snapshot)
