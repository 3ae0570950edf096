"""Matching arithmetic (kgservice/graph/match_scoring.py): credits over the hierarchy and weights, gaps."""

from __future__ import annotations

import pytest

from kgservice.graph.match_scoring import (LINK_CREDITS, MIN_RELATED_WEIGHT, best_credits, credit_parameters,
                                           link_credit, match_score, rank_gaps, skill_weight, weighted_cosine)


def test_link_credit_scales_partial_credit_by_the_edge_weight():
    assert link_credit("exact") == link_credit("same_as", 0.3) == 1.0
    assert link_credit("child", 1.0) == 0.7 and link_credit("child", 0.5) == 0.35
    assert link_credit("parent", 1.0) == 0.5 < link_credit("child", 1.0)  # a narrower held skill says more
    assert link_credit("sibling", 0.8) == pytest.approx(0.32)
    assert link_credit("related", 0.6) == 0.3 and link_credit("related", MIN_RELATED_WEIGHT - 0.01) == 0.0
    assert link_credit("same_group") == 0.2
    with pytest.raises(ValueError, match="unknown match relation"):
        link_credit("cousin")


def test_credit_parameters_carry_the_same_numbers_to_the_ranking_queries():
    params = credit_parameters()
    assert params["credits"] == dict(LINK_CREDITS) and params["minRelated"] == MIN_RELATED_WEIGHT
    assert params["relationWeights"] == {"required": 1.0, "core": 0.8, "mentioned": 0.5}


def wanted(sid: str, relation: str = "required", score: float = 1.0) -> dict:
    return {"skillId": sid, "name": sid.upper(), "taxonomy": "esco", "relation": relation, "score": score}


def test_best_credits_picks_the_strongest_link_and_drops_weak_related_ones():
    links = {"swift": [{"target": "objc", "relation": "sibling", "weight": 0.9},
                       {"target": "ios", "relation": "related", "weight": 0.7}],
             "programming": [{"target": "swift", "relation": "child", "weight": 0.8},
                             {"target": "programming", "relation": "exact", "weight": 1.0}],
             "kotlin": [{"target": "java", "relation": "related", "weight": 0.1}]}
    credits = {c.wanted["skillId"]: c for c in best_credits([wanted("swift"), wanted("programming"),
                                                             wanted("kotlin", "core")], links)}
    assert (credits["swift"].held_id, credits["swift"].relation) == ("objc", "sibling")
    assert credits["swift"].credit == pytest.approx(0.36)  # sibling 0.4 x 0.9 beats related 0.5 x 0.7
    assert credits["programming"].relation == "exact" and credits["programming"].credit == 1.0
    assert credits["kotlin"].relation is None and credits["kotlin"].credit == 0.0
    assert credits["kotlin"].weight == pytest.approx(0.8)


def test_match_score_and_gaps():
    credits = best_credits([wanted("a"), wanted("b", "mentioned", 0.8), wanted("c", "core")],
                           {"a": [{"target": "a", "relation": "exact"}],
                            "c": [{"target": "c2", "relation": "child", "weight": 1.0}]})
    total = 1.0 + 0.4 + 0.8
    assert match_score(credits) == pytest.approx(round((1.0 + 0.8 * 0.7) / total, 4))
    assert skill_weight({"relation": None, "score": None}) == 0.5
    gaps = rank_gaps(credits, ["required", "core", "mentioned"])
    # Heaviest first; "a" is held exactly so it is no gap.
    assert [g.wanted["skillId"] for g in gaps] == ["c", "b"]
    assert [g.wanted["skillId"] for g in rank_gaps(credits, ["required", "core"])] == ["c"]
    assert match_score([]) == 0.0


def test_weighted_cosine():
    assert weighted_cosine({"a": ([1.0, 0.0], 1.0)}, {"b": ([1.0, 0.0], 0.5)}) == 1.0
    assert weighted_cosine({"a": ([1.0, 0.0], 1.0)}, {"b": ([0.0, 1.0], 1.0)}) == 0.0
    assert weighted_cosine({}, {"b": ([1.0], 1.0)}) is None
