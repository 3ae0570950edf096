"""Optional semantic backend: skill search by meaning and skill vectors, from the embedding tagger.

The semantic tagger (ONNX encoder + HNSW index) is optional: when ``KG_PIPELINE__SEMANTIC=false`` or
its artifacts are missing, :func:`semantic_backend` returns ``None`` and the API says so (``searchSkills``
reports full-text only, ``matchJobToProfile.embeddingSimilarity`` is null).

It adapts the pipeline's ``embedding_tagger`` stage: it looks among the stage's attributes for an
encoder (``encode(texts) -> ndarray``) and a :class:`~kgservice.inference.hnsw_index.SkillVectorIndex`
(``query(vectors, k) -> (ids, similarities)``, ``ids``); skill vectors are read back from the index's
hnswlib rows (the first row of each skill id).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np


class SemanticBackend(Protocol):
    def search(self, text: str, k: int) -> list[tuple[str, float]]: ...

    def skill_vectors(self, ids: Sequence[str]) -> dict[str, Sequence[float]] | None: ...

    def similar(self, skill_id: str, label: str, k: int) -> list[tuple[str, float]]: ...


class IndexBackend:
    def __init__(self, encoder: Any, index: Any) -> None:
        self._encoder = encoder
        self._index = index
        self._rows: dict[str, int] | None = None

    def search(self, text: str, k: int) -> list[tuple[str, float]]:
        ids, sims = self._index.query(self._encoder.encode([text]), k=k)
        return [(str(sid), float(sims[0][j])) for j, sid in enumerate(ids[0])]

    def skill_vectors(self, ids: Sequence[str]) -> dict[str, Sequence[float]] | None:
        raw = getattr(self._index, "_index", None)
        if raw is None or not hasattr(raw, "get_items"):
            return None
        if self._rows is None:
            rows: dict[str, int] = {}
            for label, sid in enumerate(self._index.ids):
                rows.setdefault(sid, label)
            self._rows = rows
        wanted = [(sid, self._rows[sid]) for sid in dict.fromkeys(ids) if sid in self._rows]
        if not wanted:
            return {}
        vectors = raw.get_items([label for _, label in wanted])
        return {sid: list(map(float, vec)) for (sid, _), vec in zip(wanted, vectors)}


    def similar(self, skill_id: str, label: str, k: int) -> list[tuple[str, float]]:
        """The ``k`` skills of the index nearest to ``skill_id``'s vector, itself left out.

        A skill the index holds is looked up by its stored vector (its preferred label's row); one it
        does not (a Lightcast tool, when the index holds ESCO only) is embedded from ``label`` with the
        same skill tower, one text at a time as the index build does.
        """
        stored = self.skill_vectors([skill_id]) or {}
        vector = stored.get(skill_id)
        query = [vector] if vector is not None else self._encoder.encode([label])
        ids, sims = self._index.query(np.asarray(query, dtype=np.float32), k=k + 1)
        return [(str(sid), float(sims[0][j])) for j, sid in enumerate(ids[0]) if sid != skill_id][:k]


def semantic_backend(pipeline: Any) -> SemanticBackend | None:
    """The semantic backend of a built pipeline, or ``None`` when it has no usable embedding tagger."""
    for stage in getattr(pipeline, "stages", ()):
        if getattr(stage, "name", "") != "embedding_tagger":
            continue
        values = [getattr(stage, a, None) for a in dir(stage) if not a.startswith("__")]
        encoder = next((v for v in values if hasattr(v, "encode") and callable(v.encode)), None)
        index = next((v for v in values if hasattr(v, "query") and hasattr(v, "ids")), None)
        if encoder is not None and index is not None:
            return IndexBackend(encoder, index)
    return None
