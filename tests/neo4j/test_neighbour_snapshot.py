"""The expander's neighbour snapshot against the live expansion query on the full taxonomy."""

from __future__ import annotations

import random

import pytest

from kgservice.graph.cypher import Query
from kgservice.graph.skill_queries import NEIGHBOUR_POOL, expansion_neighbours
from kgservice.inference import artifacts
from kgservice.pipeline.build import skill_vectors_or_none
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
    vectors = skill_vectors_or_none(settings, version)
    assert vectors is not None
    built = NeighbourSnapshot.build(graph, sample, per_relation, vectors)
    loaded = NeighbourSnapshot.load(built.save(tmp_path / "neighbours.npz"))
    assert loaded.seeds == list(dict.fromkeys(sample)) and loaded.per_relation == per_relation
    live = GraphExpander(graph, per_relation=per_relation, vectors=vectors)
    from_snapshot = GraphExpander(graph, per_relation=per_relation, snapshot=loaded, catalog=catalog, vectors=vectors)
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


def test_snapshot_keeps_the_group_members_nearest_the_seed_not_the_first_by_name(graph, settings, built_indexes):
    """Swift's group holds every programming language; the expander used to get ABAP, AJAX, APL..."""
    version = artifacts.taxonomy_version(graph)
    vectors = skill_vectors_or_none(settings, version)
    swift = graph.read("MATCH (s:Skill {name: 'Swift (computer programming)', taxonomy: 'esco'}) RETURN s.id AS id")[0]["id"]
    per_relation = settings.pipeline.expansion_per_relation
    [pool] = graph.read(Query.EXPAND_NEIGHBOURS, ids=[swift], limit=per_relation, pool=NEIGHBOUR_POOL)
    members = [(i, name) for i, name, rel in zip(pool["ids"], pool["names"], pool["relations"], strict=True)
               if rel == "same_group"]
    assert len(members) > 100
    kept = [n for n in expansion_neighbours(graph, [swift], per_relation, vectors)[swift] if n[3] == "same_group"]
    assert len(kept) == per_relation
    first_by_name = sorted(name for _, name in members)[:per_relation]
    assert not {n[1] for n in kept} & set(first_by_name), (kept, first_by_name)
    cos = vectors.cosines([i for i, _ in members], vectors.vector(swift))
    assert [n[0] for n in kept] == sorted(cos, key=lambda i: -cos[i])[:per_relation]


def test_pipeline_ranks_expanded_skills_by_fit_not_by_name(full_pipeline):
    from kgservice.pipeline.build import make_document
    from kgservice.settings import PROJECT_ROOT

    text = (PROJECT_ROOT / "examples" / "job_posting.txt").read_text()
    doc = full_pipeline(make_document(text, "job"))
    scores = [s.score for s in doc.expanded]
    assert len(scores) >= 10 and scores == sorted(scores, reverse=True)
    names = {s.name for s in doc.expanded}
    assert not names & {"ABAP", "AJAX", "APL", "ABBYY FineReader", "Albanian", "Arabic"}, names
    assert any(s.via.startswith("related:") for s in doc.expanded)
    # Every link the scorer saw was weighed by its fit to this posting (0-1).
    assert doc.links and all(0.0 <= link.weight <= 1.0 for link in doc.links)
    assert len({link.weight for link in doc.links if link.relation == "same_group"}) > 1
