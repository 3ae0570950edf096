"""One skill-tower vector for every skill of the graph, for ranking graph neighbours by meaning.

The HNSW index holds the skill tower's vectors of the semantic taxonomies (ESCO's preferred labels);
expansion, ``similarSkills`` and course recommendations need a vector for the other skills too, so
``kgservice index build`` writes this file beside the index: each indexed skill's own row read back
from the index (:meth:`SkillVectorIndex.load_vectors`), a skill with a canonical twin in the index
(a Lightcast skill with an ESCO twin) its twin's row, and every other skill (Lightcast tools and
products ESCO lacks) its preferred name embedded by the same skill tower, one name per run as the
index's labels were. All rows live in one space, so any two skills compare by a dot product.

Files, in the index folder: ``skill_vectors.npy`` (float16 ``[skills, dim]``, unit rows, memory-mapped
when loaded: a process touches only the rows it reads) and ``skill_vectors.json`` (model id, encoder
SHA-256, taxonomy version, the npy's SHA-256, and the skill ids in row order).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kgservice.errors import ArtifactMissing
from kgservice.inference import artifacts
from kgservice.inference.onnx_encoder import sha256_file
from kgservice.settings import Settings

VECTORS_FILE = "skill_vectors.npy"
MANIFEST_FILE = "skill_vectors.json"
REBUILD = "rebuild them with `kgservice index build`"
EMBED_CHUNK = 512


class SkillVectors:
    """Unit vectors by skill id (float16 at rest, float32 out)."""

    def __init__(self, ids: Sequence[str], matrix: np.ndarray, manifest: Mapping[str, Any] | None = None) -> None:
        if matrix.ndim != 2 or matrix.shape[0] != len(ids):
            raise ValueError(f"{len(ids)} ids for vectors of shape {matrix.shape}")
        self.ids = list(ids)
        self.matrix = matrix
        self.manifest = dict(manifest or {})
        self._rows = {sid: i for i, sid in enumerate(self.ids)}

    def __contains__(self, skill_id: object) -> bool:
        return skill_id in self._rows

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def dimension(self) -> int:
        return int(self.matrix.shape[1])

    def get(self, ids: Iterable[str]) -> tuple[list[str], np.ndarray]:
        """The ids that have a vector (in order, once each) and their rows as float32 ``[n, dim]``."""
        found = [sid for sid in dict.fromkeys(ids) if sid in self._rows]
        rows = np.fromiter((self._rows[sid] for sid in found), dtype=np.int64, count=len(found))
        return found, np.asarray(self.matrix[rows], dtype=np.float32)

    def vector(self, skill_id: str) -> np.ndarray | None:
        row = self._rows.get(skill_id)
        return None if row is None else np.asarray(self.matrix[row], dtype=np.float32)

    def profile(self, weights: Mapping[str, float]) -> np.ndarray | None:
        """The unit vector of the weighted mean of some skills' vectors (a document's or a query's skills)."""
        ids, rows = self.get(sid for sid, w in weights.items() if w > 0)
        if not ids:
            return None
        mean = np.asarray([weights[sid] for sid in ids], dtype=np.float32) @ rows
        norm = float(np.linalg.norm(mean))
        return mean / norm if norm > 0 else None

    def cosines(self, ids: Sequence[str], to: np.ndarray) -> dict[str, float]:
        """Cosine of each of ``ids`` that has a vector to the unit vector ``to``."""
        found, rows = self.get(ids)
        return dict(zip(found, (rows @ to).tolist(), strict=True)) if found else {}

    # -- persistence ------------------------------------------------------------------------------
    def save(self, directory: Path) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        tmp = directory / f".{VECTORS_FILE}.tmp.npy"
        np.save(tmp, np.ascontiguousarray(self.matrix, dtype=np.float16))
        os.replace(tmp, directory / VECTORS_FILE)
        manifest = {**self.manifest, "count": len(self.ids), "dimension": self.dimension,
                    "sha256": sha256_file(directory / VECTORS_FILE), "ids": self.ids}
        tmp_manifest = directory / f".{MANIFEST_FILE}.tmp"
        tmp_manifest.write_text(json.dumps(manifest) + "\n")
        os.replace(tmp_manifest, directory / MANIFEST_FILE)  # last: a crash leaves no manifest for new vectors
        return directory / VECTORS_FILE

    @classmethod
    def load(cls, directory: Path, expected: Mapping[str, Any] | None = None, verify: bool = True) -> SkillVectors:
        """Open the vectors of an index folder; ``expected``: manifest entries that must match (model id,
        encoder SHA-256, taxonomy version)."""
        manifest_path = directory / MANIFEST_FILE
        if not manifest_path.exists():
            raise ArtifactMissing(f"no skill vectors at {directory}: {REBUILD}")
        manifest = json.loads(manifest_path.read_text())
        for key, value in (expected or {}).items():
            if value is not None and manifest.get(key) != value:
                raise ArtifactMissing(f"skill vectors at {directory} have {key}={manifest.get(key)!r}, expected "
                                      f"{value!r}: {REBUILD}")
        path = directory / VECTORS_FILE
        if verify and sha256_file(path) != manifest["sha256"]:
            raise ArtifactMissing(f"{path} does not match its manifest checksum: {REBUILD}")
        ids = manifest.pop("ids")
        return cls(ids, np.load(path, mmap_mode="r"), manifest)


def build_skill_vectors(index: Any, encoder: Any, skills: Iterable[Mapping[str, Any]], *, taxonomy_version: str,
                        progress: Callable[[int, int], None] | None = None) -> SkillVectors:
    """Every skill's vector (module docstring): ``skills`` are the graph's rows (id, name, canonical);
    ``progress(done, total)`` after each chunk of names embedded."""
    index.load_vectors()
    indexed = index._rows
    ids: list[str] = []
    rows: list[int | None] = []
    to_embed: list[tuple[int, str]] = []
    for r in skills:
        sid, twin = str(r["id"]), r.get("canonical")
        row = indexed.get(sid) or (indexed.get(twin) if twin else None)
        ids.append(sid)
        rows.append(row[0] if row else None)
        if not row:
            to_embed.append((len(ids) - 1, str(r["name"])))
    matrix = np.zeros((len(ids), index.dimension), dtype=np.float32)
    have = [i for i, row in enumerate(rows) if row is not None]
    matrix[have] = index._vectors[[rows[i] for i in have]]
    for lo in range(0, len(to_embed), EMBED_CHUNK):
        chunk = to_embed[lo:lo + EMBED_CHUNK]
        # One name per run, as the index's labels: an int8 tower's vector must not depend on batch-mates.
        matrix[[i for i, _ in chunk]] = encoder.encode([name for _, name in chunk], batch_size=1)
        if progress is not None:
            progress(lo + len(chunk), len(to_embed))
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    matrix /= np.where(norms > 0, norms, 1.0)
    manifest = {"model_id": index.model_id, "encoder_sha256": index.manifest.get("encoder_sha256"),
                "taxonomy_version": taxonomy_version, "from_index": len(have), "embedded": len(to_embed)}
    return SkillVectors(ids, matrix.astype(np.float16), manifest)


def load_skill_vectors(settings: Settings, version: str) -> SkillVectors:
    """The skill vectors built with the index for ``version`` and the configured skill tower.

    Raises:
        ArtifactMissing: Missing, or built for another model, encoder file or taxonomy version.
    """
    directory = artifacts.vector_index_dir(settings, version)
    encoder_sha = None
    manifest = directory / "manifest.json"
    if manifest.exists():
        encoder_sha = json.loads(manifest.read_text()).get("encoder_sha256")
    return SkillVectors.load(directory, {"model_id": settings.pipeline.encoder_model, "taxonomy_version": version,
                                         "encoder_sha256": encoder_sha})
