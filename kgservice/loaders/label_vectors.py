"""Label vectors for the loader's meaning-based steps, from the skill tower, cached on disk.

The loader places ungrouped skills and checks hierarchy candidates by the cosine of their labels
(``kgservice/loaders/group_placement.py``, ``kgservice/loaders/skill_hierarchy.py``). It embeds the labels itself with
the skill tower (``settings.pipeline.encoder_model``, the int8 student that ships in ``kgservice/models/``)
rather than reading the HNSW index: the index is built after the load (``make run``: load, then
``kgservice index build``), so a first load never has it, and it holds ESCO labels only
(``semantic_taxonomies``) where Lightcast's need vectors too.

Vectors are cached per model file under ``<cache>/label-vectors/``: a reload embeds nothing, and an
interrupted first embedding resumes where it stopped (the cache is saved every few thousand
labels). Labels are embedded in sorted order, in fixed batches, so the same labels on another machine
give the same vectors (the int8 model's activation scales depend on a batch's rows).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from kgservice.inference import artifacts
from kgservice.inference.onnx_encoder import OnnxEncoder
from kgservice.settings import Settings

BATCH = 64
SAVE_EVERY = 4096


class LabelVectors:
    """``vectors(texts)`` -> float32 ``[len(texts), dim]`` unit rows, from the cache or the encoder."""

    def __init__(self, encoder: OnnxEncoder, cache_file: Path, console: Console | None = None) -> None:
        self.encoder = encoder
        self.cache_file = cache_file
        self.console = console or Console(stderr=True)
        self._cache: dict[str, np.ndarray] | None = None

    @classmethod
    def from_settings(cls, settings: Settings, console: Console | None = None) -> LabelVectors:
        cfg = settings.pipeline
        encoder = OnnxEncoder.load(artifacts.model_dir(settings), quantized=cfg.quantized, threads=cfg.threads)
        name = f"{encoder.model_id}-{encoder.file_sha256[:12]}.npz"
        return cls(encoder, settings.cache / "label-vectors" / name, console)

    @property
    def dimension(self) -> int:
        return self.encoder.dimension

    def _load(self) -> dict[str, np.ndarray]:
        if self._cache is None:
            self._cache = {}
            if self.cache_file.exists():
                with np.load(self.cache_file, allow_pickle=False) as data:
                    self._cache = dict(zip(data["texts"].tolist(), data["vectors"]))
        return self._cache

    def _save(self) -> None:
        cache = self._load()
        self.cache_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.cache_file.with_name(self.cache_file.name + ".tmp.npz")
        texts = sorted(cache)
        np.savez(tmp, texts=np.asarray(texts, dtype=str),
                 vectors=np.stack([cache[t] for t in texts]) if texts else np.zeros((0, self.dimension), np.float32))
        os.replace(tmp, self.cache_file)

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        cache = self._load()
        missing = sorted({t for t in texts if t not in cache})
        if missing:
            with Progress(TextColumn("{task.description:<28}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                          console=self.console) as progress:
                task = progress.add_task("embedding labels", total=len(missing))
                unsaved = 0
                for lo in range(0, len(missing), BATCH):
                    chunk = missing[lo:lo + BATCH]
                    # Batched on purpose: these fixed, sorted batches give every machine the vectors the
                    # hierarchy's audited edges were derived with (docs/skills-graph.md); embedding one
                    # label per call would move some cosines across the floors and redraw the audit.
                    vectors = self.encoder.encode(chunk, batch_size=BATCH, one_text_per_call=False)
                    for text, vector in zip(chunk, vectors, strict=True):
                        cache[text] = vector
                    unsaved += len(chunk)
                    progress.advance(task, len(chunk))
                    if unsaved >= SAVE_EVERY:
                        self._save()
                        unsaved = 0
            self._save()
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = cache[text]
        return out
