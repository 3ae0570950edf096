"""Fit the first scorer's logistic weights and its minimum score.

Data, in order of preference:

1. The ESCO-linked development sentences (``<shared_data>/skill-extraction-dev``, TECH and HOUSE):
   real postings' sentences with the gold set the product is judged by. They are not shipped (no
   licence), so the weights fitted on them are: ``--ship`` writes them into the package
   (``kgservice/resources/scorer/``), which every install then uses unless it fits its own.
2. Otherwise SkillSkape (vendored): fit on train, cut on dev. Its gold lists leave out many skills a
   sentence names outright, so these weights are weaker (``bench/quality.py`` shows both).

Candidates are the canonical (ESCO) skills the taggers propose, one per concept; a candidate is
positive when the sentence's gold contains it. Skills of other taxonomies with no ESCO twin are not
scored against ESCO gold: the scorer returns them only for mentions no ESCO skill names. Only the evidence features are fitted
(:data:`FITTED`): single sentences say nothing about a document's sections, repetitions or
layout, so the section, frequency and position weights are fixed priors (:data:`PRIORS`). The
minimum score is the one with the best F1 on the fitting data (SkillSkape: on dev). Numpy only.

Run: ``kgservice models fit-scorer [--ship]`` (after ``kgservice index build``).
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from rich.console import Console

from kgservice.document import Domain
from kgservice.evaluation import Example, label_resolver, load_annotations, load_skillskape, score
from kgservice.graph.cypher import Query
from kgservice.graph.driver import Graph
from kgservice.inference import artifacts
from kgservice.pipeline.build import WITH_EXPANSION, Pipeline, build_pipeline, make_document
from kgservice.pipeline.scorer import FEATURES, FeatureScorer, ScorerWeights
from kgservice.settings import Settings


# Fitted from sentences; the others are document-level priors a sentence cannot teach.
FITTED = ("trie", "bare", "semantic", "linked", "agree", "mention", "support")
# Evidence that cannot count against a skill: on single sentences, where nearly every candidate sits in
# a mention, the fit can give these a negative weight that would then punish a document's real
# mentions ("Python" in "5+ years of Python" fell under the cut).
NON_NEGATIVE = frozenset({"trie", "bare", "semantic", "linked", "agree", "mention", "support"})
# A requirements section over a company blurb (1.0 vs 0.2 section weight) is worth 1.2 logits; a
# fourth mention of a skill about 0.8 over the first; position barely matters.
PRIORS = {"section": 1.5, "frequency": 0.8, "position": 0.2}


def _candidates(pipeline: Pipeline, scorer: FeatureScorer, examples: Sequence[Example]) -> tuple[np.ndarray, np.ndarray, list[tuple[int, str]]]:
    xs, ys, keys = [], [], []
    docs = (make_document(e.sentence, Domain.JOB) for e in examples)
    primary = scorer.primary_taxonomy
    for i, (doc, ex) in enumerate(zip(pipeline.pipe(docs, batch_size=64), examples, strict=True)):
        for sid, feats in scorer.features(doc).items():
            if primary is not None and scorer.catalog[sid].taxonomy != primary:
                continue  # other taxonomies only fill mentions the canonical one leaves unnamed
            xs.append([feats[f] for f in FEATURES])
            ys.append(1.0 if sid in ex.gold else 0.0)
            keys.append((i, sid))
    return np.asarray(xs, dtype=np.float64), np.asarray(ys), keys


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1e-2, iterations: int = 50,
                 offset: np.ndarray | None = None) -> tuple[float, np.ndarray]:
    """L2-regularized logistic regression by Newton's method (a few features: exact and fast);
    ``offset`` is a fixed part of each row's logit (the priors' contribution)."""
    xb = np.hstack([np.ones((len(x), 1)), x])
    offset = np.zeros(len(x)) if offset is None else offset
    w = np.zeros(xb.shape[1])
    reg = l2 * np.eye(xb.shape[1])
    reg[0, 0] = 0.0  # the bias is not shrunk
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-(xb @ w + offset)))
        grad = xb.T @ (p - y) + reg @ w
        hess = (xb * (p * (1 - p))[:, None]).T @ xb + reg
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return float(w[0]), w[1:]


def explicit_mention_floor(bias: float, w: np.ndarray, min_score: float) -> np.ndarray:
    """Raise the trie weight until one label mention, alone (even without its qualifier: "Python"), scores ``min_score``.

    On sentences the fit learns to distrust a lone trie match (everyday words, tools whose gold is
    another skill), which would drop "Python" from "5+ years of Python". The product contract is
    that a skill named by its label inside a detected mention is returned; this keeps the fitted
    weights and only lifts the trie weight to the least value that honours it. ``w`` is in
    :data:`FEATURES` order.
    """
    lone = dict.fromkeys(FEATURES, 0.0)
    lone.update(trie=0.9, mention=0.6, section=0.4, frequency=float(np.log1p(1) / np.log1p(4)))
    x = np.array([lone[f] for f in FEATURES])
    need = float(np.log(min_score / (1 - min_score))) - (bias + float(x @ w))
    if need > 0:
        w = w.copy()
        w[FEATURES.index("trie")] += need
    return w


def fit_weights(x: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Bias and weights in :data:`FEATURES` order: :data:`PRIORS` fixed, :data:`FITTED` fitted, and any
    of :data:`NON_NEGATIVE` that comes out negative held at zero and the rest refitted."""
    free = [f for f in FITTED]
    while True:
        prior = np.array([PRIORS.get(f, 0.0) for f in FEATURES])
        columns = [FEATURES.index(f) for f in free]
        bias, wf = fit_logistic(x[:, columns], y, offset=x @ prior)
        w = prior.copy()
        w[columns] = wf
        negative = [f for f in free if f in NON_NEGATIVE and w[FEATURES.index(f)] < 0]
        if not negative:
            return bias, w
        free = [f for f in free if f not in negative]


def _f1_at(probs: np.ndarray, keys: Sequence[tuple[int, str]], examples: Sequence[Example], cut: float) -> float:
    preds: list[list[tuple[float, str]]] = [[] for _ in examples]
    for (i, sid), p in zip(keys, probs, strict=True):
        if p >= cut:
            preds[i].append((p, sid))
    return score([[sid for _, sid in sorted(p, reverse=True)] for p in preds], examples).f1


def best_min_score(x: np.ndarray, keys: Sequence[tuple[int, str]], examples: Sequence[Example], bias: float,
                   w: np.ndarray) -> tuple[float, float]:
    """(best F1, its minimum score) over cuts from 0.02 to 0.9."""
    probs = 1.0 / (1.0 + np.exp(-(x @ w + bias)))
    return max((_f1_at(probs, keys, examples, float(t)), float(t)) for t in np.arange(0.02, 0.9, 0.01))


def fit(settings: Settings, graph: Graph, console: Console, ship: bool = False) -> Path:
    esco = graph.read(Query.GET_SKILLS_FOR_INDEX, taxonomies=["esco"])
    resolve = label_resolver(esco)
    dev_splits = settings.shared_data / "skill-extraction-dev"
    if (dev_splits / "tech_validation_annotations.csv").exists():
        train = [e for name in ("tech", "house")
                 for e in load_annotations(dev_splits / f"{name}_validation_annotations.csv", resolve)]
        cut_on, source = train, f"{dev_splits.name}: TECH + HOUSE"
    else:
        if ship:
            raise FileNotFoundError(f"--ship needs the development sentences at {dev_splits} (KG_SHARED_DATA)")
        console.print(f"no development sentences at {dev_splits}: fitting on SkillSkape instead (weaker; the "
                      "package ships weights fitted on them)")
        data = settings.training_data / "skillskape"
        train, cut_on = load_skillskape(data / "train.csv", resolve), load_skillskape(data / "dev.csv", resolve)
        source = "skillskape: train, cut on dev"
    pipeline = build_pipeline(settings, graph, WITH_EXPANSION)
    scorer = pipeline.stages[-1]
    assert isinstance(scorer, FeatureScorer)
    scorer.max_skills = None
    x, y, keys = _candidates(pipeline, scorer, train)
    console.print(f"{source}: {len(train)} sentences, {len(y)} candidates, {int(y.sum())} positive")
    bias, w = fit_weights(x, y)
    if cut_on is not train:
        x, _, keys = _candidates(pipeline, scorer, cut_on)
    unfloored = best_min_score(x, keys, cut_on, bias, w)
    # The floor at the chosen cut: a lone skill named in a mention must clear the cut.
    w = explicit_mention_floor(bias, w, min_score=unfloored[1])
    probs = 1.0 / (1.0 + np.exp(-(x @ w + bias)))
    best = (_f1_at(probs, keys, cut_on, unfloored[1]), unfloored[1])
    console.print(f"F1 {unfloored[0]:.3f} at min_score {unfloored[1]:.3f} before the explicit-mention floor")
    weights = ScorerWeights(bias=float(bias), **{f: float(v) for f, v in zip(FEATURES, w, strict=True)})
    console.print(f"weights: {weights}")
    console.print(f"best F1 {best[0]:.3f} at min_score {best[1]:.3f} ({source})")
    record = {"features": list(FEATURES), "weights": dataclasses.asdict(weights), "min_score": best[1],
              "fitted_on": source, "fitted": list(FITTED), "priors": PRIORS, "f1_at_min_score": round(best[0], 4),
              "pipeline": pipeline.model_version}
    out = artifacts.scorer_weights_path(settings, artifacts.taxonomy_version(graph))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n")
    if ship:
        from kgservice.pipeline.build import SHIPPED_SCORER_WEIGHTS

        SHIPPED_SCORER_WEIGHTS.mkdir(parents=True, exist_ok=True)
        (SHIPPED_SCORER_WEIGHTS / out.name).write_text(json.dumps(record, indent=2) + "\n")
        console.print(f"shipped: {SHIPPED_SCORER_WEIGHTS / out.name}")
    return out
