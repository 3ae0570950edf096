"""Related skills from co-occurrence: the corpus extraction resumes, and the documents' edge set is written,
rewritten without change and replaced (against the real Neo4j and pipeline)."""

from __future__ import annotations

import json

import pytest

from kgservice.document import Domain
from kgservice.graph.document_writer import DocumentWrite, SkillWrite, write_documents
from kgservice.related.build import build_related, edges_of, graph_document_counts
from kgservice.related.corpus import corpus_documents, corpus_skill_sets
from kgservice.loaders.esco_bundle import read_bundle
from kgservice.loaders.taxonomy_writer import load
from tests.conftest import DATA

pytestmark = pytest.mark.neo4j

PREFIX = "test-related-"


def test_related_corpus_extraction_resumes_after_the_documents_already_cached(graph, settings, built_indexes,
                                                                              quiet, tmp_path):
    cache = tmp_path / "corpus.jsonl"
    first = list(corpus_skill_sets(settings, graph, quiet, limit=12, cache=cache))
    docs = corpus_documents(settings)[:12]
    lines = cache.read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [d.id for d in docs]
    assert all(first) and all(set(s.values()) <= {1.0, settings.related.candidate_weight} for s in first)
    assert any(settings.related.candidate_weight in s.values() for s in first)
    # A run killed while writing its last line: that document is extracted again, the others are read back.
    cache.write_text("\n".join(lines[:-1]) + "\n" + lines[-1][:20])
    again = list(corpus_skill_sets(settings, graph, quiet, limit=12, cache=cache))
    assert again[:11] == first[:11]
    # Extracted alone instead of in a batch: the int8 mention tower's scales move with batch-mates
    # (PipelineSettings.quantized), so a borderline candidate may come or go.
    overlap = len(again[11].keys() & first[11].keys()) / len(again[11].keys() | first[11].keys())
    assert overlap > 0.8, overlap
    assert len([line for line in cache.read_text().splitlines() if line.startswith('{"id"') and line.endswith("}}")]) == 12


def test_related_documents_edges_are_idempotent_and_replaced(graph, settings, scratch_taxonomy, quiet):
    load(graph, [read_bundle(DATA / "esco_bundle", taxonomy=scratch_taxonomy)], 100, quiet, same_as=())
    software, mobile, web, swift, budgets = (f"{scratch_taxonomy}:f0000001-0000-4000-8000-00000000000{i}"
                                             for i in range(1, 6))
    sets = [[software, swift, mobile], [software, swift], [software, web], [budgets, web], [budgets]]

    def documents(skill_sets):
        return [DocumentWrite(Domain.JOB, f"{PREFIX}{i}", 1, "test", tuple(SkillWrite(s, 0.9, "required", "trie")
                                                                             for s in skills))
                for i, skills in enumerate(skill_sets)]

    graph.write("MATCH (d:Document) WHERE d.id STARTS WITH $p DETACH DELETE d", p=PREFIX)
    try:
        write_documents(graph, documents(sets))
        [report] = build_related(settings, graph, quiet, sources=["documents"])
        edges = {(r["a"], r["b"]): r for r in graph.read(
            "MATCH (a:Skill {taxonomy: $t})-[r:RELATED_TO {source: 'documents'}]->(b:Skill) "
            "RETURN a.id AS a, b.id AS b, r.weight AS weight, r.count AS count, r.documents AS documents",
            t=scratch_taxonomy)}
        # Only software + swift share two documents; every other pair of these skills has one.
        assert set(edges) == {(software, swift), (swift, software)}
        assert edges[(software, swift)]["documents"] == 2 and edges[(software, swift)]["count"] == 2.0
        expected = {(e.skill_id, e.related_id): e.weight for e in edges_of(graph_document_counts(graph), settings)}
        assert edges[(software, swift)]["weight"] == expected[(software, swift)] > 0
        assert report.documents >= len(sets) and report.edges >= 2

        count = "MATCH ()-[r:RELATED_TO {source: 'documents'}]->() RETURN count(r) AS n, sum(r.weight) AS w"
        before = graph.read(count)[0]
        [again] = build_related(settings, graph, quiet, sources=["documents"])
        assert graph.read(count)[0] == before and again.deleted == 0

        # The documents change: the pair loses its second document, so its edges go.
        graph.write("MATCH (d:Document {key: $k}) DETACH DELETE d", k=f"job:{PREFIX}1")
        [replaced] = build_related(settings, graph, quiet, sources=["documents"])
        assert replaced.deleted >= 2
        assert not graph.read("MATCH (:Skill {taxonomy: $t})-[r:RELATED_TO {source: 'documents'}]->() RETURN r",
                              t=scratch_taxonomy)
    finally:
        graph.write("MATCH (d:Document) WHERE d.id STARTS WITH $p DETACH DELETE d", p=PREFIX)
        build_related(settings, graph, quiet, sources=["documents"])


def test_graph_related_command_weighs_documents_and_rebuilds_the_neighbour_snapshot(graph, settings, built_indexes):
    from kgservice.cli.main import main
    from kgservice.inference import artifacts

    snapshot = artifacts.neighbours_path(settings, artifacts.taxonomy_version(graph))
    before = snapshot.stat().st_mtime_ns
    assert main(["graph", "related", "--no-corpus"]) == 0
    assert snapshot.stat().st_mtime_ns > before
