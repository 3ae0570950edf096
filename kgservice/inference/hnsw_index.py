"""Approximate nearest-neighbour search from text embeddings to skill ids (hnswlib).

One index row per embedded text; several rows may map to the same skill id (a preferred label
plus its aliases). :meth:`SkillVectorIndex.query` then over-fetches and keeps each skill once,
with its best similarity, so callers always see distinct skills.

Folder layout (``<settings.home>/indexes/<model_id>/<taxonomy_version>/``)::

    index.bin         hnswlib index, space "cosine"; the row label is the position in ids.json
    ids.json          skill id of every row
    texts.json        the text embedded for every row (to explain a match)
    manifest.json     model_id, dimension, count, skills, taxonomy_version, space, M, ef_construction,
                      ef_search, sha256 + bytes of each file, created_at
    calibration.json  optional, written by ``kgservice.offline.calibrate``: the tagger's threshold
                      when the index's own model embeds the sentences; calibration.<model>.json
                      for another sentence tower (the static tower) querying this index

:meth:`SkillVectorIndex.load` refuses an index whose files do not match their recorded SHA-256,
or whose model id / dimension / taxonomy version differ from what the caller expects; the error
(:class:`~kgservice.errors.ArtifactMissing`) names the command that rebuilds it.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from kgservice.errors import ArtifactMissing, InvalidInput
from kgservice.inference.onnx_encoder import sha256_file

BUILD_COMMAND = "kgservice index build"
INDEX_FILE = "index.bin"
IDS_FILE = "ids.json"
TEXTS_FILE = "texts.json"
MANIFEST_FILE = "manifest.json"
CALIBRATION_FILE = "calibration.json"
SPACE = "cosine"
DEFAULT_EF_SEARCH = 128
# With aliases a skill may own several of the nearest rows; fetch this many times k before deduping.
OVERFETCH = 4


class Encoder(Protocol):
    model_id: str
    dimension: int

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray: ...


def best_cosines(matrix: np.ndarray, rows: np.ndarray, vectors: Sequence[np.ndarray], chunk: int = 64) -> np.ndarray:
    """``out[i, j]`` = the best cosine of ``matrix[rows[i, j]]`` to any row of ``vectors[i]`` (``-inf`` if none).

    ``matrix``: ``[items, dim]`` unit rows; ``rows``: ``[n, c]`` indices; ``vectors``: n arrays
    ``[k_i, dim]``. Queries are taken in chunks of similar ``k_i``, zero-padded into one batched
    matrix product each, so a batch of pieces costs a few numpy calls instead of several per piece.
    """
    n, c = rows.shape
    out = np.full((n, c), -np.inf, dtype=np.float32)
    counts = np.fromiter((len(v) for v in vectors), dtype=np.int64, count=n)
    order = np.argsort(counts, kind="stable")
    order = order[counts[order] > 0]
    for lo in range(0, len(order), chunk):
        idx = order[lo:lo + chunk]
        width = int(counts[idx[-1]])  # the chunk's largest: order is ascending
        padded = np.zeros((len(idx), width, matrix.shape[1]), dtype=np.float32)
        for r, i in enumerate(idx):
            padded[r, :counts[i]] = vectors[i]
        sims = padded @ matrix[rows[idx]].transpose(0, 2, 1)  # [chunk, width, c]
        sims[np.arange(width)[None, :] >= counts[idx][:, None]] = -np.inf  # padding is not a window
        out[idx] = sims.max(axis=1)
    return out


def calibration_file(index_model_id: str, sentence_model_id: str | None = None) -> str:
    """The calibration's file name in an index folder: thresholds hold for one sentence tower."""
    if sentence_model_id in (None, index_model_id):
        return CALIBRATION_FILE
    return f"calibration.{sentence_model_id}.json"


def index_dir(home: Path, model_id: str, taxonomy_version: str) -> Path:
    """Where the index for ``model_id`` over ``taxonomy_version`` lives (``home`` is ``settings.home``)."""
    return Path(home) / "indexes" / model_id / taxonomy_version


class SkillVectorIndex:
    """HNSW index over normalized text embeddings, rows labelled with skill ids."""

    def __init__(self, index: Any, ids: list[str], texts: list[str] | None, manifest: dict[str, Any],
                 calibration: dict[str, Any] | None = None) -> None:
        self._index = index
        self.ids = ids
        self.texts = texts
        self.manifest = manifest
        self.calibration = calibration
        self._ids_arr = np.asarray(ids, dtype=object)
        self.multi_vector = len(set(ids)) < len(ids)
        self._rows: dict[str, list[int]] | None = None
        self._vectors: np.ndarray | None = None

    @property
    def model_id(self) -> str:
        return str(self.manifest["model_id"])

    @property
    def dimension(self) -> int:
        return int(self.manifest["dimension"])

    @property
    def taxonomy_version(self) -> str:
        return str(self.manifest["taxonomy_version"])

    @property
    def calibrated_threshold(self) -> float | None:
        """The similarity threshold from ``calibration.json`` (for top-k 5), when one was written."""
        return self.threshold_for(None)

    def threshold_for(self, top_k: int | None) -> float | None:
        """The calibrated threshold for a tagger using ``top_k`` matches per piece, else the default one."""
        if not self.calibration:
            return None
        per_k = self.calibration.get("by_top_k", {}).get(str(top_k)) if top_k is not None else None
        return float((per_k or self.calibration)["threshold"])

    @property
    def ef_search(self) -> int:
        """HNSW search breadth: candidates kept per query (recall against time, ``bench/hnsw_recall.py``)."""
        return int(self._index.ef)

    @ef_search.setter
    def ef_search(self, ef: int) -> None:
        if ef < 1:
            raise InvalidInput(f"ef_search must be at least 1, got {ef}")
        self._index.set_ef(int(ef))

    def __len__(self) -> int:
        return len(self.ids)

    def load_vectors(self) -> None:
        """Read the stored vectors out of hnswlib for :meth:`rescore` (~0.4 s for 13k rows; once)."""
        if self._vectors is not None:
            return
        rows: dict[str, list[int]] = {}
        for row, sid in enumerate(self.ids):
            rows.setdefault(sid, []).append(row)
        # _rows first: another thread that sees _vectors set must find _rows set too.
        self._rows = rows
        self._vectors = np.ascontiguousarray(
            self._index.get_items(range(len(self.ids)), return_type="numpy"), dtype=np.float32)

    def rescore(self, candidates: Sequence[Sequence[str]], vectors: Sequence[np.ndarray]) -> np.ndarray:
        """Per query ``i``: each of ``candidates[i]``'s best cosine to any row of ``vectors[i]``.

        Exact dot products against the stored vectors, for re-ranking a query's candidates by more
        vectors than the one the graph search used (the tagger's token windows); a skill with
        several index rows (aliases) takes its best row. Returns float32 ``[n, longest candidate
        list]``; ``-inf`` where a query has no vectors or fewer candidates. The stored vectors are
        read out of hnswlib on first use (:meth:`load_vectors`; 20 MB for 13k skills).

        Raises:
            KeyError: A skill id the index does not hold.
        """
        self.load_vectors()
        assert self._rows is not None and self._vectors is not None
        width = max((len(c) for c in candidates), default=0)
        if not self.multi_vector:
            rows = np.zeros((len(candidates), width), dtype=np.int64)
            for i, ids in enumerate(candidates):
                rows[i, :len(ids)] = [self._rows[sid][0] for sid in ids]
            out = best_cosines(self._vectors, rows, vectors)
            for i, ids in enumerate(candidates):
                out[i, len(ids):] = -np.inf
            return out
        # Aliases: one column per (skill, row), then each skill's best column.
        out = np.full((len(candidates), width), -np.inf, dtype=np.float32)
        for i, ids in enumerate(candidates):
            groups = [self._rows[sid] for sid in ids]
            if not groups or len(vectors[i]) == 0:
                continue
            flat = np.asarray([[r for g in groups for r in g]], dtype=np.int64)
            best = best_cosines(self._vectors, flat, [vectors[i]])[0]
            out[i, :len(ids)] = np.maximum.reduceat(best, np.cumsum([0] + [len(g) for g in groups[:-1]]))
        return out

    def best_text(self, sid: str, vector: np.ndarray) -> tuple[str | None, float]:
        """The text of ``sid``'s row nearest to ``vector`` and its cosine (a label or alias that matched).

        Raises:
            KeyError: A skill id the index does not hold.
        """
        self.load_vectors()
        assert self._rows is not None and self._vectors is not None
        rows = self._rows[sid]
        sims = self._vectors[rows] @ np.asarray(vector, dtype=np.float32)
        best = int(np.argmax(sims))
        return (self.texts[rows[best]] if self.texts is not None else None), float(sims[best])

    # -- build ------------------------------------------------------------------------------------
    @classmethod
    def build(cls, ids: list[str], vectors: np.ndarray, ef_construction: int = 200, M: int = 32, *,
              model_id: str, taxonomy_version: str, texts: list[str] | None = None,
              ef_search: int = DEFAULT_EF_SEARCH, threads: int = -1, seed: int = 100) -> SkillVectorIndex:
        """Index ``vectors`` (one row per entry of ``ids``; ids may repeat for aliases)."""
        import hnswlib

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(ids):
            raise InvalidInput(f"need one vector per id: {len(ids)} ids, vectors of shape {vectors.shape}")
        if texts is not None and len(texts) != len(ids):
            raise InvalidInput(f"{len(texts)} texts for {len(ids)} ids")
        if not ids:
            raise InvalidInput("cannot build an index over no vectors")
        n, dim = vectors.shape
        index = hnswlib.Index(space=SPACE, dim=dim)
        index.init_index(max_elements=n, ef_construction=ef_construction, M=M, random_seed=seed)
        index.add_items(vectors, np.arange(n), num_threads=threads)
        index.set_ef(ef_search)
        manifest = {
            "model_id": model_id,
            "dimension": dim,
            "count": n,
            "skills": len(set(ids)),
            "taxonomy_version": taxonomy_version,
            "space": SPACE,
            "M": M,
            "ef_construction": ef_construction,
            "ef_search": ef_search,
        }
        return cls(index, list(ids), list(texts) if texts is not None else None, manifest)

    # -- persistence ------------------------------------------------------------------------------
    def save(self, directory: Path | str) -> Path:
        """Write the index folder; ``manifest.json`` is written last, so a crash leaves no valid manifest."""
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / MANIFEST_FILE).unlink(missing_ok=True)
        tmp_index = directory / f".{INDEX_FILE}.tmp"
        self._index.save_index(str(tmp_index))
        os.replace(tmp_index, directory / INDEX_FILE)
        _write_json_atomic(directory / IDS_FILE, self.ids)
        names = [INDEX_FILE, IDS_FILE]
        if self.texts is not None:
            _write_json_atomic(directory / TEXTS_FILE, self.texts)
            names.append(TEXTS_FILE)
        else:
            (directory / TEXTS_FILE).unlink(missing_ok=True)
        manifest = dict(self.manifest)
        manifest["files"] = {name: {"sha256": sha256_file(directory / name), "bytes": (directory / name).stat().st_size}
                             for name in names}
        manifest["created_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        _write_json_atomic(directory / MANIFEST_FILE, manifest)
        self.manifest = manifest
        return directory

    @classmethod
    def load(cls, directory: Path | str, expected_model_id: str | None = None, expected_dim: int | None = None,
             expected_taxonomy_version: str | None = None, *, ef_search: int | None = None,
             verify_checksums: bool = True, expected_encoder_sha256: str | None = None,
             sentence_model: str | None = None) -> SkillVectorIndex:
        """Open an index folder written by :meth:`save`, checking it is the one the caller expects.

        ``sentence_model``: the tower whose queries the index will answer, which picks the
        calibration file (:func:`calibration_file`); ``None``: the index's own model.

        Raises:
            ArtifactMissing: The folder or a file is missing, a checksum differs, or the model id,
                dimension or taxonomy version is not the expected one.
        """
        import hnswlib

        directory = Path(directory)
        manifest_path = directory / MANIFEST_FILE
        if not manifest_path.exists():
            raise ArtifactMissing(f"no skill index at {directory} (no {MANIFEST_FILE}): run `{BUILD_COMMAND}`")
        manifest = json.loads(manifest_path.read_text())
        rebuild = f"rebuild it with `{BUILD_COMMAND}`"
        # The encoder's file checksum, not only its id: a retrained model keeps its id, and queries
        # embedded by it against vectors of the previous weights would match silently wrong skills.
        expectations = (("model_id", expected_model_id), ("dimension", expected_dim),
                        ("taxonomy_version", expected_taxonomy_version), ("encoder_sha256", expected_encoder_sha256))
        for key, expected in expectations:
            if expected is not None and manifest.get(key) != expected:
                raise ArtifactMissing(f"skill index at {directory} has {key}={manifest.get(key)!r}, "
                                      f"expected {expected!r}: {rebuild}")
        for name, entry in manifest.get("files", {}).items():
            path = directory / name
            if not path.exists():
                raise ArtifactMissing(f"skill index file {path} is missing: {rebuild}")
            if verify_checksums and sha256_file(path) != entry["sha256"]:
                raise ArtifactMissing(f"skill index file {path} does not match its manifest checksum: {rebuild}")
        ids = json.loads((directory / IDS_FILE).read_text())
        texts = json.loads((directory / TEXTS_FILE).read_text()) if TEXTS_FILE in manifest.get("files", {}) else None
        if len(ids) != manifest["count"]:
            raise ArtifactMissing(f"{directory / IDS_FILE} holds {len(ids)} ids, manifest says {manifest['count']}: "
                                  f"{rebuild}")
        index = hnswlib.Index(space=manifest.get("space", SPACE), dim=int(manifest["dimension"]))
        index.load_index(str(directory / INDEX_FILE), max_elements=int(manifest["count"]))
        index.set_ef(ef_search or int(manifest.get("ef_search", DEFAULT_EF_SEARCH)))
        calibration_path = directory / calibration_file(str(manifest["model_id"]), sentence_model)
        calibration = json.loads(calibration_path.read_text()) if calibration_path.exists() else None
        return cls(index, ids, texts, manifest, calibration)

    # -- query ------------------------------------------------------------------------------------
    def query(self, vectors: np.ndarray, k: int = 5, threads: int = 1) -> tuple[list[list[str]], np.ndarray]:
        """The ``k`` most similar distinct skills for each query vector.

        Returns:
            ``(ids, similarities)``: ``ids[i]`` lists skill ids best first; ``similarities`` is float32
            ``[n, k]`` cosine in [-1, 1]. When fewer than ``k`` distinct skills come back (tiny index,
            or many aliases of one skill), ``ids[i]`` is shorter and the row is padded with ``-inf``.
        """
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        if vectors.ndim == 1:
            vectors = vectors[None, :]
        n = vectors.shape[0]
        sims_out = np.full((n, k), -np.inf, dtype=np.float32)
        if n == 0 or k <= 0:
            return [[] for _ in range(n)], sims_out
        if vectors.shape[1] != self.dimension:
            raise InvalidInput(f"query vectors have dimension {vectors.shape[1]}, index has {self.dimension}")
        fetch = min(len(self.ids), k * OVERFETCH if self.multi_vector else k)
        if self._index.ef < fetch:
            self._index.set_ef(fetch)
        labels, distances = self._index.knn_query(vectors, k=fetch, num_threads=threads)
        sims = 1.0 - distances
        row_ids = self._ids_arr[labels]
        if not self.multi_vector:  # one row per skill: nothing to dedupe
            sims_out[:, :fetch] = sims
            return row_ids.tolist(), sims_out
        out_ids: list[list[str]] = []
        for i in range(n):
            seen: list[str] = []
            for j in range(fetch):
                sid = row_ids[i, j]
                if sid in seen:
                    continue  # rows come best first, so the first hit of a skill is its best
                sims_out[i, len(seen)] = sims[i, j]
                seen.append(sid)
                if len(seen) == k:
                    break
            out_ids.append(seen)
        return out_ids, sims_out


# Skill texts per ONNX Runtime run. An int8 graph quantizes its activations with one scale per run,
# so a batch makes each label's vector depend on its batch-mates (an ad-hoc check on 2,000 ESCO
# labels: mean cosine 0.993, min 0.984 between batched and one-at-a-time vectors). One at a time
# makes the skill tower a function of the label alone, so the static sentence tower, fitted to the
# same one-at-a-time vectors, meets exactly the vectors it learned; the build takes seconds longer.
SKILL_ROWS_PER_RUN = 1


def build_skill_index(encoder: Encoder, skills: Iterable[tuple[str, str]], *, taxonomy_version: str,
                      batch_size: int = 256, ef_construction: int = 200, M: int = 32, progress: bool = True,
                      threads: int = -1, rows_per_run: int = SKILL_ROWS_PER_RUN) -> SkillVectorIndex:
    """Embed ``(skill_id, text)`` pairs and index them.

    Feed one pair per skill with its preferred label; to match aliases too, add one pair per alias
    with the same skill id (queries then keep each skill once, with its best similarity). Exact
    duplicate pairs (same id, same text ignoring case and surrounding space) are embedded once;
    empty texts are skipped.

    Args:
        encoder: Anything with ``model_id``, ``dimension`` and ``encode(texts)`` (an ``OnnxEncoder``).
        skills: ``(skill_id, text)`` pairs, e.g. streamed from Neo4j.
        taxonomy_version: Recorded in the manifest and checked at load.
        batch_size: Texts per encoder call (and per progress step).
        rows_per_run: Texts per ONNX Runtime run inside a call (see :data:`SKILL_ROWS_PER_RUN`).
        ef_construction: HNSW build-time candidate list size.
        M: HNSW graph degree.
        progress: Show a rich progress bar.
        threads: hnswlib insertion threads (-1: all cores).
    """
    ids: list[str] = []
    texts: list[str] = []
    seen: set[tuple[str, str]] = set()
    for skill_id, text in skills:
        text = " ".join(str(text).split())
        key = (skill_id, text.casefold())
        if not text or key in seen:
            continue
        seen.add(key)
        ids.append(skill_id)
        texts.append(text)
    if not ids:
        raise InvalidInput("no (skill_id, text) pairs to index")
    vectors = np.zeros((len(texts), encoder.dimension), dtype=np.float32)
    started = time.perf_counter()
    if progress:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        columns = (TextColumn("embedding skill texts"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with Progress(*columns, transient=False) as bar:
            task = bar.add_task("embed", total=len(texts))
            for lo in range(0, len(texts), batch_size):
                vectors[lo:lo + batch_size] = encoder.encode(texts[lo:lo + batch_size], batch_size=rows_per_run)
                bar.advance(task, min(batch_size, len(texts) - lo))
    else:
        for lo in range(0, len(texts), batch_size):
            vectors[lo:lo + batch_size] = encoder.encode(texts[lo:lo + batch_size], batch_size=rows_per_run)
    encode_seconds = time.perf_counter() - started
    index = SkillVectorIndex.build(ids, vectors, ef_construction=ef_construction, M=M, model_id=encoder.model_id,
                                   taxonomy_version=taxonomy_version, texts=texts, threads=threads)
    index.manifest["encoder_file"] = getattr(getattr(encoder, "model_path", None), "name", None)
    index.manifest["encoder_sha256"] = getattr(encoder, "file_sha256", None)
    index.manifest["rows_per_run"] = rows_per_run
    index.manifest["build_seconds"] = {"encode": round(encode_seconds, 2),
                                       "hnsw": round(time.perf_counter() - started - encode_seconds, 2)}
    return index


def _write_json_atomic(path: Path, data: Any) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=None if isinstance(data, list) else 2) + "\n")
    os.replace(tmp, path)
