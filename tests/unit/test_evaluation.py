from __future__ import annotations

import pytest

from kgservice.evaluation import Example, label_resolver, score


def test_evaluation_set_and_ranking_metrics():
    examples = [Example("s1", frozenset({"a", "b"})), Example("s2", frozenset({"c"})), Example("s3", frozenset())]
    preds = [["x", "a", "b"], ["c"], ["z"]]
    s = score(preds, examples)
    assert s.precision == pytest.approx(3 / 5)
    assert s.recall == pytest.approx(3 / 3)
    assert s.f1 == pytest.approx(0.75)
    assert s.rp1 == pytest.approx((0 + 1) / 2)
    assert s.rp5 == pytest.approx((2 / 2 + 1) / 2)
    assert s.mrr == pytest.approx((1 / 2 + 1) / 2)


def test_evaluation_resolver_prefers_preferred_labels():
    skills = [{"id": "1", "name": "Java (computer programming)", "aliases": ["Java"]},
              {"id": "2", "name": "Java", "aliases": []},
              {"id": "3", "name": "use spreadsheets software", "aliases": ["Excel"]}]
    resolve = label_resolver(skills)
    assert resolve["java"] == "2"
    assert resolve["excel"] == "3"
