"""Co-occurrence counts and the shrunk-NPMI weight of related skills (small in-memory document sets)."""

from __future__ import annotations

import math

import pytest

from kgservice.related.cooccurrence import PairCounts, association, generation, pairs_of, related_edges, top_edges

DOCS = [
    {"python": 1.0, "django": 1.0, "sql": 1.0},
    {"python": 1.0, "django": 1.0},
    {"python": 1.0, "sql": 0.55},
    {"nursing": 1.0, "wound care": 1.0},
    {"nursing": 1.0, "wound care": 1.0, "sql": 1.0},
    {"cooking": 1.0},
]


def test_cooccurrence_counts_weighted_pairs_and_documents():
    counts = PairCounts().add_all(DOCS)
    assert counts.documents == 6
    assert counts.marginals["sql"] == pytest.approx(2.55)
    assert counts.pairs[("django", "python")] == [2.0, 2]
    assert counts.pairs[("python", "sql")] == [pytest.approx(1.55), 2]
    assert dict(pairs_of({"b": 0.5, "a": 1.0})) == {("a", "b"): 0.5}


def test_cooccurrence_merge_equals_counting_everything_at_once():
    whole = PairCounts().add_all(DOCS)
    parts = PairCounts().add_all(DOCS[:2]).merge(PairCounts().add_all(DOCS[2:]))
    assert parts.documents == whole.documents and dict(parts.marginals) == pytest.approx(dict(whole.marginals))
    assert parts.pairs.keys() == whole.pairs.keys()
    assert all(parts.pairs[k] == pytest.approx(whole.pairs[k]) for k in whole.pairs)


def test_cooccurrence_association_is_bounded_positive_and_shrinks_thin_evidence():
    # Two skills that always appear together: NPMI 1, shrunk by count / (count + shrink).
    assert association(2.0, 2.0, 2.0, 6, shrink=2.0) == pytest.approx(0.5)
    assert association(2.0, 2.0, 2.0, 6, shrink=0.0) == pytest.approx(1.0)
    # Independent or less than chance: nothing.
    assert association(1.0, 2.0, 3.0, 6, shrink=0.0) == 0.0
    assert association(0.0, 2.0, 3.0, 6, shrink=0.0) == 0.0
    # More evidence for the same association ratio weighs more.
    thin = association(2.0, 4.0, 4.0, 100, shrink=2.0)
    thick = association(20.0, 40.0, 40.0, 1000, shrink=2.0)
    assert 0 < thin < thick <= 1
    pmi = math.log(2.0 * 100 / 16.0)
    assert thin == pytest.approx(pmi / -math.log(0.02) * 0.5)


def test_cooccurrence_edges_need_enough_documents_and_go_both_ways():
    edges = related_edges(PairCounts().add_all(DOCS), min_documents=2, shrink=2.0, top_k=None)
    pairs = {(e.skill_id, e.related_id) for e in edges}
    assert ("python", "django") in pairs and ("django", "python") in pairs
    assert ("nursing", "wound care") in pairs
    # In one document only: an anecdote, not an edge.
    assert not any("cooking" in p for p in pairs)
    assert ("django", "sql") not in pairs
    by_pair = {(e.skill_id, e.related_id): e for e in edges}
    assert by_pair[("python", "django")].weight == by_pair[("django", "python")].weight
    assert by_pair[("python", "django")].documents == 2 and by_pair[("python", "django")].count == 2.0
    assert all(0 < e.weight <= 1 for e in edges)


def test_cooccurrence_top_k_keeps_each_skills_best_partners():
    weighted = [("a", "b", 0.9, 5.0, 3), ("a", "c", 0.5, 2.0, 2), ("a", "d", 0.7, 2.0, 2)]
    edges = top_edges(weighted, top_k=2)
    assert [(e.skill_id, e.related_id) for e in edges if e.skill_id == "a"] == [("a", "b"), ("a", "d")]
    # "c" has one partner, so its side keeps the pair even though "a" dropped it.
    assert [(e.skill_id, e.related_id) for e in edges if e.skill_id == "c"] == [("c", "a")]


def test_cooccurrence_generation_depends_on_the_edges_only():
    edges = related_edges(PairCounts().add_all(DOCS), min_documents=2, top_k=None)
    again = related_edges(PairCounts().add_all(list(DOCS)), min_documents=2, top_k=None)
    assert generation(edges) == generation(again)
    assert generation(edges) != generation(edges[:-1])
