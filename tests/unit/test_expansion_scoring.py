"""The expansion score's arithmetic (kgservice/graph/expansion_scoring.py)."""

from __future__ import annotations

import pytest

from kgservice.graph.expansion_scoring import (NO_VECTOR_FIT, RELATION_PRIORS, expansion_score, fit, path_key,
                                               rank_key)


def test_score_is_prior_times_edge_weight_times_fit_with_its_parts_kept():
    s = expansion_score("child", 0.8, 0.5)
    assert (s.relation, s.prior, s.edge_weight, s.similarity, s.path) == ("child", 0.45, 0.8, 0.5, 1.0)
    assert s.score == pytest.approx(0.45 * 0.8 * 0.5)
    assert s.strength == pytest.approx(0.45 * 0.8)  # what the next hop carries: no similarity in it


def test_fit_clips_negative_cosines_and_stands_in_without_vectors():
    assert fit(-0.3) == 0.0 and fit(1.2) == 1.0 and fit(None) == NO_VECTOR_FIT
    assert expansion_score("sibling", 1.0, -0.2).score == 0.0
    assert expansion_score("sibling", 1.0, None).score == pytest.approx(RELATION_PRIORS["sibling"] * NO_VECTOR_FIT)


def test_a_fitting_group_member_outranks_a_parent_that_does_not_fit():
    # A flat group's member close to the document beats a parent far from it: fit matters, not only relation.
    near_member = expansion_score("same_group", 1.0, 0.9)
    far_parent = expansion_score("parent", 1.0, 0.2)
    assert near_member.score > far_parent.score
    # Equal fit: the relation and the edge's confidence decide.
    assert expansion_score("parent", 1.0, 0.6).score > expansion_score("parent", 0.5, 0.6).score
    assert expansion_score("related", 0.5, 0.6).score > expansion_score("related", 0.1, 0.6).score


def test_second_hop_carries_the_first_hops_strength():
    first = expansion_score("parent", 0.9, 0.7)
    second = expansion_score("child", 1.0, 0.7, path=first.strength)
    assert second.path == pytest.approx(0.6 * 0.9)
    assert second.score == pytest.approx(0.6 * 0.9 * 0.45 * 1.0 * 0.7)
    assert second.score < expansion_score("child", 1.0, 0.7).score


def test_orders_break_ties_by_id_never_by_name():
    a, b = expansion_score("sibling", 1.0, 0.5), expansion_score("sibling", 1.0, 0.5)
    assert sorted([("z-id", a), ("a-id", b)], key=lambda o: path_key(*o))[0][0] == "a-id"
    hits = [("s:2", 0.3, 1), ("s:1", 0.3, 2), ("s:3", 0.3, 1), ("s:4", 0.5, 2)]
    assert [h[0] for h in sorted(hits, key=lambda h: rank_key(*h))] == ["s:4", "s:2", "s:3", "s:1"]
    # A stronger path wins a tie on score.
    weak, strong = expansion_score("child", 1.0, 0.5, path=0.5), expansion_score("child", 0.5, 0.5, path=1.0)
    assert weak.score == strong.score
    assert min([("a", weak), ("b", strong)], key=lambda o: path_key(*o))[0] == "a"
