"""The occupation title index: every occupation's labels, embedded with the skill tower, in an HNSW index.

Built beside the skill index by ``kgservice index build``; :class:`~kgservice.graph.occupation_titles.TitleNormalizer`
serves it (``normalizeTitle``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kgservice.graph.cypher import Query
from kgservice.graph.driver import Graph
from kgservice.inference import artifacts
from kgservice.inference.hnsw_index import build_skill_index
from kgservice.inference.onnx_encoder import OnnxEncoder
from kgservice.settings import Settings


def build_occupation_index(settings: Settings, graph: Graph, version: str, console: Any) -> Path | None:
    """Embed every occupation's labels with the skill tower into an HNSW index beside the skill index."""
    rows = graph.read(Query.GET_OCCUPATIONS_FOR_INDEX)
    if not rows:
        return None
    cfg = settings.pipeline
    encoder = OnnxEncoder.load(artifacts.model_dir(settings), quantized=cfg.quantized, threads=cfg.threads)
    pairs = [(r["id"], label) for r in rows for label in (r["name"], *r["aliases"])]
    # Batched: these vectors only meet titles embedded by the same encoder, not a fitted sentence tower.
    index = build_skill_index(encoder, pairs, taxonomy_version=version, rows_per_run=32)
    target = index.save(artifacts.occupation_index_dir(settings, version))
    console.print(f"occupation index: {len(rows)} occupations, {len(index)} labels -> {target}")
    return target
