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


def test_evaluation_ranked_list_with_a_narrower_set():
    from kgservice.evaluation import Ranked

    s = score([Ranked(["a", "x", "b"], {"a"})], [Example("s", frozenset({"a", "b"}))])
    assert (s.precision, s.recall) == (1.0, 0.5)
    assert s.rp5 == 1.0


def test_scorer_fit_recovers_a_known_logistic_model():
    import numpy as np

    from kgservice.train.scorer_fit import fit_logistic

    rng = np.random.default_rng(0)
    x = rng.random((20000, 2))
    true_w, true_b = np.array([3.0, -2.0]), -0.5
    y = (rng.random(20000) < 1 / (1 + np.exp(-(x @ true_w + true_b)))).astype(float)
    b, w = fit_logistic(x, y, l2=0.0)
    assert np.allclose(w, true_w, atol=0.2) and abs(b - true_b) < 0.2
