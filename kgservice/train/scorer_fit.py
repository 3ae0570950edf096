"""Fit the first scorer's logistic weights on the training split of the labelled data.

Candidates are every skill the taggers propose for a SkillSkape *train* sentence; a candidate is
positive when the sentence's gold labels contain it. The features are exactly those of
:class:`kgservice.pipeline.scorer.FeatureScorer`, so the fitted weights drop in unchanged. The
minimum score is then chosen for the best F1 on SkillSkape *dev*. The evaluation sentences in
``skill-extraction-dev`` are never used here. Numpy only: no torch needed.

Run: ``kgservice models fit-scorer`` (after ``kgservice index build``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from rich.console import Console

from kgservice.document import Domain
from kgservice.evaluation import Example, label_resolver, load_skillskape, score
from kgservice.graph.cypher import Query
from kgservice.graph.driver import Graph
from kgservice.inference import artifacts
from kgservice.pipeline.build import Pipeline, build_pipeline, make_document
from kgservice.pipeline.scorer import FEATURES, FeatureScorer, ScorerWeights
from kgservice.settings import Settings


def _candidates(pipeline: Pipeline, scorer: FeatureScorer, examples: Sequence[Example]) -> tuple[np.ndarray, np.ndarray, list[tuple[int, str]]]:
    xs, ys, keys = [], [], []
    docs = (make_document(e.sentence, Domain.JOB) for e in examples)
    for i, (doc, ex) in enumerate(zip(pipeline.pipe(docs, batch_size=64), examples, strict=True)):
        for sid, feats in scorer.features(doc).items():
            xs.append([feats[f] for f in FEATURES])
            ys.append(1.0 if sid in ex.gold else 0.0)
            keys.append((i, sid))
    return np.asarray(xs, dtype=np.float64), np.asarray(ys), keys


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2, iterations: int = 50) -> tuple[float, np.ndarray]:
    """L2-regularized logistic regression by Newton's method (eight features: exact and fast)."""
    xb = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(xb.shape[1])
    reg = l2 * np.eye(xb.shape[1])
    reg[0, 0] = 0.0  # the bias is not shrunk
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(xb @ w)))
        grad = xb.T @ (p - y) + reg @ w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + reg
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return float(w[0]), w[1:]


def explicit_mention_floor(bias: float, w: np.ndarray, min_score: float) -> np.ndarray:
    """Raise the trie weight until one preferred-label mention, alone, scores ``min_score``.

    SkillSkape's gold lists leave out most skills a sentence names outright, so the fit learns to
    distrust the trie (with the fine-tuned student it put "Python" in "5+ years of Python" under
    the cut). The product contract is that a skill named by its label is returned; this keeps the
    fitted weights and only lifts the trie weight to the least value that honours it.
    """
    lone = dict.fromkeys(FEATURES, 0.0)
    lone.update(trie=1.0, section=0.5, frequency=float(np.log1p(1) / np.log1p(4)))
    x = np.array([lone[f] for f in FEATURES])
    need = float(np.log(min_score / (1 - min_score))) - (bias + float(x @ w))
    if need > 0:
        w = w.copy()
        w[FEATURES.index("trie")] += need
    return w


def fit(settings: Settings, graph: Graph, console: Console) -> Path:
    settings = settings.model_copy(update={"pipeline": settings.pipeline.model_copy(update={"taxonomies": ["esco"]})})
    esco = graph.read(Query.GET_SKILLS_FOR_INDEX, taxonomies=["esco"])
    resolve = label_resolver(esco)
    data = settings.training_data / "skillskape"
    train = load_skillskape(data / "train.csv", resolve)
    dev = load_skillskape(data / "dev.csv", resolve)
    pipeline = build_pipeline(settings, graph, expansion=True)
    scorer = pipeline.stages[-1]
    assert isinstance(scorer, FeatureScorer)
    x, y, _ = _candidates(pipeline, scorer, train)
    console.print(f"train: {len(train)} sentences, {len(y)} candidates, {int(y.sum())} positive")
    bias, w = fit_logistic(x, y)
    w = explicit_mention_floor(bias, w, min_score=0.5)
    weights = ScorerWeights(bias=float(bias), **{f: float(v) for f, v in zip(FEATURES, w, strict=True)})
    console.print(f"weights: {weights}")

    xd, _, keys = _candidates(pipeline, scorer, dev)
    probs = 1.0 / (1.0 + np.exp(-(xd @ w + bias)))
    best = (0.0, 0.5)
    for threshold in np.arange(0.02, 0.9, 0.01):
        preds: list[list[tuple[float, str]]] = [[] for _ in dev]
        for (i, sid), p in zip(keys, probs, strict=True):
            if p >= threshold:
                preds[i].append((p, sid))
        s = score([[sid for _, sid in sorted(p, reverse=True)] for p in preds], dev)
        if s.f1 > best[0]:
            best = (s.f1, float(threshold))
    console.print(f"dev: best F1 {best[0]:.3f} at min_score {best[1]:.3f}")
    version = artifacts.taxonomy_version(graph)
    out = artifacts.scorer_weights_path(settings, version)
    out.write_text(json.dumps({"weights": dataclasses.asdict(weights), "min_score": best[1],
                               "fitted_on": "skillskape/train.csv", "threshold_on": "skillskape/dev.csv",
                               "dev_f1": best[0], "pipeline": pipeline.model_version}, indent=2))
    return out
