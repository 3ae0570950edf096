"""The skill tower's vectors: every preferred label of the semantic taxonomies, in an HNSW index.

Built from the graph (the same rows as the trie), saved under the graph's taxonomy version, then
calibrated on SkillSkape dev (``kgservice.offline.calibrate``) so the tagger's threshold matches the
index it queries: for the configured sentence tower and for the skill tower on its own
(``PipelineSettings.sentence_models``). Aliases are left out: measured on SkillSkape dev they lower
F1 (0.169 -> 0.151 at top-5), because ESCO's alternative labels are broad.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from rich.console import Console

from kgservice.inference import artifacts
from kgservice.inference.hnsw_index import SkillVectorIndex, build_skill_index
from kgservice.inference.onnx_encoder import OnnxEncoder
from kgservice.offline.calibrate import calibrate as fit_threshold
from kgservice.inference.skill_vectors import build_skill_vectors
from kgservice.settings import Settings


def build_vector_index(settings: Settings, version: str, rows: Sequence[Mapping[str, Any]], console: Console,
                       calibrate: bool = True) -> Path:
    cfg = settings.pipeline
    encoder = OnnxEncoder.load(artifacts.model_dir(settings), quantized=cfg.quantized, threads=cfg.threads)
    pairs = [(str(r["id"]), str(r["name"])) for r in rows if r["taxonomy"] in cfg.semantic_taxonomies]
    index = build_skill_index(encoder, pairs, taxonomy_version=version)
    target = artifacts.vector_index_dir(settings, version)
    index.save(target)
    console.print(f"vector index: {len(pairs)} skills of {', '.join(cfg.semantic_taxonomies)} -> {target}")
    if calibrate:
        for tower in cfg.sentence_models:
            fit_threshold(settings, taxonomy_version=version, sentence_model=tower, quantized=cfg.quantized)
    return target


def build_all_skill_vectors(settings: Settings, version: str, rows: Sequence[Mapping[str, Any]],
                            console: Console) -> Path:
    """Every skill's vector beside the index (kgservice/inference/skill_vectors.py): the index's own rows,
    twins' rows, and the skill tower's embedding of the remaining names."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    cfg = settings.pipeline
    target = artifacts.vector_index_dir(settings, version)
    index = SkillVectorIndex.load(target, expected_taxonomy_version=version)
    encoder = OnnxEncoder.load(artifacts.model_dir(settings), quantized=cfg.quantized, threads=cfg.threads)
    columns = (TextColumn("skill vectors: embedding names the index lacks"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("embed", total=None)
        vectors = build_skill_vectors(index, encoder, rows, taxonomy_version=version,
                                      progress=lambda done, total: bar.update(task, completed=done, total=total))
    path = vectors.save(target)
    console.print(f"skill vectors: {len(vectors)} skills ({vectors.manifest['from_index']} from the index or a twin, "
                  f"{vectors.manifest['embedded']} embedded) -> {path}")
    return path
