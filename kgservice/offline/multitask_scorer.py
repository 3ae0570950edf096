"""Train the multitask cross-domain scorer and export it to ONNX (torch; the ``train`` extra).

``kgservice models train-scorer [--epochs E] [--steps N] [--limit N] [--feedback-texts FILE]``, after
``kgservice index build``; the artifact goes to ``<home>/artifacts/<taxonomy version>/multitask_scorer/``
(``model.onnx`` + ``manifest.json``). Examples (:mod:`~kgservice.offline.multitask_examples`), the
network (:mod:`~kgservice.offline.multitask_network`) and the export
(:mod:`~kgservice.offline.multitask_export`) have modules of their own; the label sources, the
training schedule and the measurements behind its defaults are in docs/multitask-scorer.md.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from kgservice.document import Domain
from kgservice.errors import InvalidInput, KgServiceError
from kgservice.evaluation import Example, Ranked, Scores, label_resolver, load_skillskape, score
from kgservice.graph.cypher import Query
from kgservice.graph.driver import Graph
from kgservice.offline.multitask_examples import (ExampleSet, LabelledDoc, add_occupation_relations, collect,
                                                  feedback_docs, read_texts, rule, skillskape_docs)
from kgservice.offline.multitask_export import export_onnx
from kgservice.offline.multitask_network import DROPOUT, HIDDEN, SEED, SHARED, VECTOR_BLOCKS, make_net, torch_module
from kgservice.pipeline.build import FULL, Pipeline, build_pipeline, make_document
from kgservice.pipeline.multitask_scorer import (DOMAINS, FORMAT_VERSION, MANUAL_FEATURES, ONNX_OUTPUTS, RELATIONS,
                                                 SentenceVectorCache, artifact_dir)
from kgservice.pipeline.scorer import FeatureScorer, sigmoid
from kgservice.pipeline.skill_catalog import SkillCatalog
from kgservice.settings import Settings

BATCH_SIZE = 1024
LEARNING_RATE = 2e-3
WEIGHT_DECAY = 1e-4
RELATION_LOSS_WEIGHT = 1.0
FORBIDDEN = "skill-extraction-dev"


@dataclass(frozen=True, slots=True)
class TrainReport:
    steps: int
    epochs: float
    seconds: float
    final_loss: float


def train(data: ExampleSet, *, epochs: float = 3.0, steps: int | None = None, seed: int = SEED,
          batch_size: int = BATCH_SIZE, lr: float = LEARNING_RATE, blocks: Sequence[str] = VECTOR_BLOCKS,
          console: Console | None = None) -> tuple[Any, TrainReport]:
    """Fit the network on ``data``; stops after ``epochs`` passes or ``steps`` optimizer steps, whichever first."""
    torch = torch_module()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    if len(data) == 0:
        raise KgServiceError("no training examples: the taggers proposed no candidate skills")
    net = make_net(data.texts.shape[1], data.manual.shape[1], blocks=blocks)
    net.silence(title=bool((data.title_idx > 0).any()), manual_alive=(data.manual != 0).any(axis=0))
    optimizer = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=WEIGHT_DECAY)
    labelled = np.flatnonzero(~np.isnan(data.relevance) | (data.relation >= 0))
    per_epoch = max(1, math.ceil(len(labelled) / batch_size))
    total = math.ceil(epochs * per_epoch)
    if steps is not None:
        total = min(total, steps)
    total = max(1, total)
    bce = torch.nn.BCEWithLogitsLoss(reduction="sum")
    ce = torch.nn.CrossEntropyLoss(reduction="sum")
    started = time.perf_counter()
    loss_value = math.nan
    order = rng.permutation(labelled)
    cursor = 0
    net.train()
    columns = (TextColumn("[bold]training"), BarColumn(), MofNCompleteColumn(), TextColumn("loss {task.fields[loss]}"),
               TimeElapsedColumn())
    with Progress(*columns, console=console or Console(quiet=True), disable=console is None) as bar:
        task = bar.add_task("train", total=total, loss="-")
        for _ in range(total):
            if cursor >= len(order):
                order, cursor = rng.permutation(labelled), 0
            idx = order[cursor:cursor + batch_size]
            cursor += batch_size
            text, title, skill, manual, domain = (torch.from_numpy(np.ascontiguousarray(a)) for a in data.rows(idx))
            relevance, relation, _, _ = net(text, title, skill, manual, domain)
            y = torch.from_numpy(data.relevance[idx])
            has_y = ~torch.isnan(y)
            r = torch.from_numpy(data.relation[idx])
            has_r = r >= 0
            loss = bce(relevance[has_y], y[has_y])
            if bool(has_r.any()):
                loss = loss + RELATION_LOSS_WEIGHT * ce(relation[has_r], r[has_r])
            loss = loss / len(idx)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_value = float(loss.detach())
            bar.update(task, advance=1, loss=f"{loss_value:.4f}")
    net.eval()
    return net, TrainReport(total, total / per_epoch, time.perf_counter() - started, loss_value)


def predict_torch(net: Any, data: ExampleSet, idx: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Every output of ``net`` (logits) on rows ``idx`` (all by default), as numpy."""
    torch = torch_module()
    idx = np.arange(len(data)) if idx is None else idx
    with torch.no_grad():
        outs = net(*(torch.from_numpy(np.ascontiguousarray(a)) for a in data.rows(idx)))
    return {name: o.numpy() for name, o in zip(ONNX_OUTPUTS, outs, strict=True)}


# -- evaluation -------------------------------------------------------------------------------------
def rank(data: ExampleSet, scores: np.ndarray, n_docs: int, threshold: float) -> list[Ranked]:
    """Per document: candidates by score, best first; the selected set is those at or above ``threshold``."""
    per_doc: list[list[tuple[float, str]]] = [[] for _ in range(n_docs)]
    for row, (doc, s) in enumerate(zip(data.doc_idx, scores, strict=True)):
        per_doc[int(doc)].append((float(s), data.skill_ids[int(data.skill_idx[row])]))
    out = []
    for cands in per_doc:
        cands.sort(key=lambda c: (-c[0], c[1]))
        out.append(Ranked([sid for _, sid in cands], {sid for s, sid in cands if s >= threshold}))
    return out


def best_threshold(data: ExampleSet, scores: np.ndarray, examples: Sequence[Example]) -> tuple[float, Scores]:
    """The threshold with the best F1 on ``examples`` (the minimum score), and the scores there."""
    best: tuple[float, Scores] | None = None
    for t in np.round(np.arange(0.02, 0.96, 0.01), 2):
        s = score(rank(data, scores, len(examples), float(t)), examples)
        if best is None or s.f1 > best[1].f1:
            best = (float(t), s)
    assert best is not None
    return best


def feature_scores(data: ExampleSet, scorer: FeatureScorer) -> np.ndarray:
    """The first scorer's scores on the same rows (its seven features are the first manual columns)."""
    from kgservice.pipeline.scorer import FEATURES

    w = scorer.weights
    return np.asarray([sigmoid(w.logit(dict(zip(FEATURES, row[:len(FEATURES)], strict=True))))
                       for row in data.manual.astype(np.float64)])


def _scores_json(s: Scores) -> dict[str, float]:
    return {"precision": round(s.precision, 4), "recall": round(s.recall, 4), "f1": round(s.f1, 4),
            "rp1": round(s.rp1, 4), "rp5": round(s.rp5, 4), "rp10": round(s.rp10, 4), "mrr": round(s.mrr, 4)}


def evaluate(net: Any, dev: ExampleSet, examples: Sequence[Example], scorer: FeatureScorer) -> dict[str, Any]:
    """Job-head metrics on dev at its best threshold, with the first scorer on the same candidates."""
    out = predict_torch(net, dev)
    probs = 1.0 / (1.0 + np.exp(-out["relevance"].astype(np.float64)))
    threshold, multitask = best_threshold(dev, probs, examples)
    fs = feature_scores(dev, scorer)
    feature = score(rank(dev, fs, len(examples), scorer.min_score), examples)
    by_rule = np.asarray([RELATIONS.index(rule(row)) for row in dev.manual])
    positive = dev.relevance == 1.0
    agreement = float((out["relation"].argmax(axis=1)[positive] == by_rule[positive]).mean()) if positive.any() else None
    return {"min_score": threshold, "multitask": _scores_json(multitask),
            "feature_scorer": {**_scores_json(feature), "min_score": scorer.min_score},
            "relation_agreement_with_rule": agreement, "candidates": len(dev), "sentences": len(examples)}


# -- end to end -------------------------------------------------------------------------------------
def train_and_export(pipeline: Pipeline, scorer: FeatureScorer, catalog: SkillCatalog, cache: SentenceVectorCache,
                     train_docs: Sequence[LabelledDoc], dev: Sequence[Example], out_dir: Path, *,
                     epochs: float = 3.0, steps: int | None = None, seed: int = SEED,
                     blocks: Sequence[str] = VECTOR_BLOCKS, taxonomy_version: str = "unknown",
                     extra: Mapping[str, Any] | None = None, console: Console | None = None) -> Path:
    """Collect examples, train, evaluate on ``dev`` (job documents), export and verify; returns ``out_dir``.

    ``pipeline`` ends with the stage that assigns ``links`` (no scorer); ``scorer`` is the first
    scorer of the same settings, used for its features, its relation rule and as the reference.
    """
    started = time.perf_counter()
    data = collect(pipeline, scorer, catalog, cache, train_docs, console=console, description="train candidates")
    dev_docs = [LabelledDoc(make_document(e.sentence, Domain.JOB), e.gold, source="skillskape-dev") for e in dev]
    dev_data = collect(pipeline, scorer, catalog, cache, dev_docs, console=console, description="dev candidates")
    by_domain = {d.value: int((data.domain == i).sum()) for i, d in enumerate(DOMAINS)}
    positives = {d.value: int(((data.domain == i) & (data.relevance == 1.0)).sum()) for i, d in enumerate(DOMAINS)}
    if console is not None:
        console.print(f"train: {len(train_docs)} documents, {len(data)} candidates {by_domain}, positives {positives}; "
                      f"dev: {len(dev)} sentences, {len(dev_data)} candidates")
    net, report = train(data, epochs=epochs, steps=steps, seed=seed, blocks=blocks, console=console)
    metrics = evaluate(net, dev_data, dev, scorer)
    if console is not None:
        m, f = metrics["multitask"], metrics["feature_scorer"]
        console.print(f"dev (SkillSkape, job head): multitask F1 {m['f1']:.3f} RP@5 {m['rp5']:.3f} MRR {m['mrr']:.3f} "
                      f"at min_score {metrics['min_score']:.2f}; first scorer F1 {f['f1']:.3f} RP@5 {f['rp5']:.3f} "
                      f"MRR {f['mrr']:.3f}")
    relation_counts = Counter(RELATIONS[r].value for r in data.relation if r >= 0)
    manifest = {
        "format": FORMAT_VERSION, "kind": "multitask_scorer",
        "encoder": {"model_id": cache.model_id, "dimension": cache.dimension,
                    "quantized": bool(getattr(cache.inner, "quantized", False))},
        "taxonomy_version": taxonomy_version, "domains": [d.value for d in DOMAINS],
        "relations": [r.value for r in RELATIONS], "manual_features": list(MANUAL_FEATURES),
        "architecture": {"hidden": HIDDEN, "shared": SHARED, "dropout": DROPOUT, "heads": len(DOMAINS),
                         "vector_blocks": list(net.blocks), "derived": ["cos(text, skill)", "cos(title, skill)"]},
        "min_score": metrics["min_score"], "threshold_on": "skillskape/dev.csv (job head, best F1)",
        "metrics": {"skillskape_dev": metrics},
        "training": {"seed": seed, "epochs": round(report.epochs, 3), "steps": report.steps, "batch_size": BATCH_SIZE,
                     "learning_rate": LEARNING_RATE, "weight_decay": WEIGHT_DECAY,
                     "relation_loss_weight": RELATION_LOSS_WEIGHT, "final_loss": report.final_loss,
                     "train_seconds": round(report.seconds, 1), "total_seconds": round(time.perf_counter() - started, 1),
                     "documents": len(train_docs), "candidates": by_domain, "positives": positives,
                     "label_sources": dict(data.sources), "relation_labels": dict(relation_counts)},
        **(dict(extra) if extra else {}),
    }
    return export_onnx(net, data, out_dir, manifest, seed=seed)


def _training_pipeline(settings: Settings, graph: Graph) -> tuple[Pipeline, FeatureScorer, SentenceVectorCache]:
    from kgservice.pipeline.embedding_tagger import EmbeddingTagger

    pipeline = build_pipeline(settings, graph, FULL)
    scorer = pipeline.stages[-1]
    if not isinstance(scorer, FeatureScorer):
        raise KgServiceError("the training pipeline must end with the first scorer")
    tagger = next((s for s in pipeline.stages if isinstance(s, EmbeddingTagger)), None)
    if tagger is None:
        raise KgServiceError("the multitask scorer needs the semantic tagger (KG_PIPELINE__SEMANTIC=true)")
    cache = SentenceVectorCache(tagger.encoder, max_entries=None)
    tagger.encoder = cache  # pieces are encoded once, however many domains frame the sentence
    return Pipeline(pipeline.stages[:-1], pipeline.model_version), scorer, cache


def train_scorer(settings: Settings, graph: Graph, console: Console, *, epochs: float = 3.0,
                 steps: int | None = None, limit: int | None = None, feedback_texts: Path | None = None,
                 seed: int = SEED, blocks: Sequence[str] = VECTOR_BLOCKS) -> Path:
    """``kgservice models train-scorer``: SkillSkape train (+ graph feedback) -> ONNX artifact; returns its folder."""
    from kgservice.inference import artifacts

    settings = settings.model_copy(update={"pipeline": settings.pipeline.model_copy(
        update={"taxonomies": ["esco"], "scorer": "feature"})})
    data = settings.training_data / "skillskape"
    if FORBIDDEN in str(data):
        raise InvalidInput(f"{FORBIDDEN} is the evaluation split; never train on it")
    resolve = label_resolver(graph.read(Query.GET_SKILLS_FOR_INDEX, taxonomies=["esco"]))
    train_examples = load_skillskape(data / "train.csv", resolve)
    dev = load_skillskape(data / "dev.csv", resolve)
    if limit is not None:
        train_examples, dev = train_examples[:limit], dev[:max(limit, 1)]
    labelled = skillskape_docs(train_examples)
    feedback, feedback_counts = feedback_docs(graph, read_texts(feedback_texts) if feedback_texts else {}, console)
    labelled, occupation_labels = add_occupation_relations(graph, labelled + feedback)
    version = artifacts.taxonomy_version(graph)
    catalog = SkillCatalog.load(artifacts.catalog_path(settings, version))
    pipeline, scorer, cache = _training_pipeline(settings, graph)
    out = train_and_export(pipeline, scorer, catalog, cache, labelled, dev, artifact_dir(settings, version),
                           epochs=epochs, steps=steps, seed=seed, blocks=blocks, taxonomy_version=version,
                           console=console,
                           extra={"trained_on": "skillskape/train.csv (+ framed copies) + graph feedback",
                                  "pipeline": pipeline.model_version, "limit": limit,
                                  "feedback": feedback_counts, "occupation_relation_labels": occupation_labels})
    console.print(f"multitask scorer written to {out}")
    return out
