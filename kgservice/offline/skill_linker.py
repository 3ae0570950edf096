"""Fine-tune the teacher (all-mpnet-base-v2) into a skill linker: ``kgservice models finetune-teacher``.

Pairs come from :mod:`kgservice.offline.skill_pairs` (SkillSkape train, ESCO aliases, SAME_AS names),
hard negatives from the current serving index (all-MiniLM-L6-v2 over ESCO preferred labels) when
it exists. The result is a Hugging Face folder under ``<home>/training/<teacher>-skills/model``
with ``training.json`` recording the data, config, losses and the source SHA-256.
"""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any

from rich.console import Console

from kgservice.evaluation import label_resolver, load_skillskape
from kgservice.graph.cypher import Query
from kgservice.graph.driver import Graph
from kgservice.inference import artifacts
from kgservice.settings import Settings
from kgservice.offline.skill_pairs import (Pair, add_hard_negatives, alias_pairs, index_ranker, same_as_pairs,
                                         skillskape_pairs, source_counts)

SEMANTIC_TAXONOMY = "esco"
HARD_NEGATIVE_MODEL = "all-MiniLM-L6-v2"


def training_dir(settings: Settings, name: str) -> Path:
    return settings.home / "training" / name


def training_pairs(settings: Settings, graph: Graph, console: Console, *, aliases_per_skill: int = 1,
                   seed: int = 13, limit: int | None = None, hard_negatives: bool = True) -> list[Pair]:
    rows = graph.read(Query.GET_SKILLS_FOR_INDEX, taxonomies=[SEMANTIC_TAXONOMY])
    names = {str(r["id"]): str(r["name"]) for r in rows}
    train = load_skillskape(settings.training_data / "skillskape" / "train.csv", label_resolver(rows))
    rng = random.Random(seed)
    links = [(str(r["name"]), str(r["id"])) for r in graph.read(Query.GET_SAME_AS_NAMES, taxonomy=SEMANTIC_TAXONOMY)]
    pairs = skillskape_pairs(train, names) + alias_pairs(rows, aliases_per_skill, rng) + same_as_pairs(links, names)
    rng.shuffle(pairs)
    if limit is not None:
        pairs = pairs[:limit]
    if hard_negatives:
        ranker = _current_index_ranker(settings, graph)
        if ranker is None:
            console.print(f"[yellow]no {HARD_NEGATIVE_MODEL} index yet: training without hard negatives")
        else:
            with console.status(f"mining hard negatives for {len(pairs)} pairs"):
                pairs = add_hard_negatives(pairs, ranker, names)
    console.print(f"training pairs: {source_counts(pairs)}; with a hard negative: "
                  f"{sum(p.negative is not None for p in pairs)}")
    return pairs


def _current_index_ranker(settings: Settings, graph: Graph) -> Any:
    from kgservice.errors import ArtifactMissing
    from kgservice.inference.hnsw_index import SkillVectorIndex
    from kgservice.inference.onnx_encoder import OnnxEncoder

    version = artifacts.taxonomy_version(graph)
    try:
        encoder = OnnxEncoder.load(artifacts.model_dir(settings, HARD_NEGATIVE_MODEL), threads=settings.pipeline.threads)
        index = SkillVectorIndex.load(artifacts.vector_index_dir(settings, version, HARD_NEGATIVE_MODEL),
                                      verify_checksums=False)
    except ArtifactMissing:
        return None
    return index_ranker(encoder, index)


def finetune_teacher(settings: Settings, graph: Graph, console: Console, *, steps: int = 300, batch_size: int = 32,
                     limit: int | None = None, out: Path | None = None) -> Path:
    """Fetch (once) and fine-tune the teacher; returns the saved model folder."""
    from kgservice.offline.contrastive import FinetuneConfig, finetune
    from kgservice.offline.teacher import JOINED_SHA256, TEACHER_ID, fetch_teacher
    from kgservice.offline.torch_encoder import PooledEncoder

    src = fetch_teacher(settings.cache)
    work = out or training_dir(settings, f"{TEACHER_ID}-skills")
    cfg = FinetuneConfig(steps=steps, batch_size=batch_size)
    pairs = training_pairs(settings, graph, console, seed=cfg.seed, limit=limit)
    model, tokenizer = PooledEncoder.load(src)
    record = finetune(model, tokenizer, pairs, cfg, work, console)
    target = work / "model"
    tmp = work / ".model.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save(tmp, tokenizer, extra={"base": TEACHER_ID, "base_sha256": JOINED_SHA256})
    (tmp / "training.json").write_text(json.dumps({
        **record, "base": TEACHER_ID, "base_zip_sha256": JOINED_SHA256, "pair_sources": source_counts(pairs),
        "hard_negatives": sum(p.negative is not None for p in pairs), "config": asdict(cfg),
        "taxonomy_version": artifacts.taxonomy_version(graph),
        "data": ["skillskape/train.csv", f"{SEMANTIC_TAXONOMY} aliases", "SAME_AS names"]}, indent=2) + "\n")
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    console.print(f"fine-tuned teacher: {target} ({record['steps_run']} steps in {record['seconds']}s, "
                  f"loss {record['loss_first_20']} -> {record['loss_last_20']})")
    return target
