"""A job title or a member's headline -> ranked ESCO occupations ("title normalization").

``TitleNormalizer.normalize(title, first)`` ranks occupations by how well one of their labels (the
preferred label or an alternative label) matches the title:

- **label**: the title is an occupation's label, up to case, spacing and punctuation -> score 1.0;
- **vector**: the cosine between the title and the occupation's nearest label, both embedded by the
  skill tower (``settings.pipeline.encoder_model``), found in the occupation index that
  ``kgservice index build`` writes beside the skill index (``artifacts.occupation_index_dir``);
- **fulltext**: occupations whose labels share words with the title (full-text index
  ``occupation_names``) join the candidates, scored by the same cosine, so a title that only an
  alternative label matches word for word is not missed by the vector search.

Without the occupation index (not built yet), the ranking is the full-text relevance of the label
matches, and ``TitleMatches.method`` says so. The pipeline can call :meth:`TitleNormalizer.normalize`
to give the scorer a document's normalized title as context.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

from kgservice.errors import ArtifactMissing
from kgservice.graph.cypher import Query
from kgservice.graph.driver import Graph
from kgservice.graph.skill_queries import lucene_query
from kgservice.settings import Settings

Row = dict[str, Any]
# Candidates fetched per requested match, before re-scoring.
OVERFETCH = 4
_NON_WORD = re.compile(r"[^\w+#]+")
# A headline is a title, then often an employer or a tagline: "Data Scientist | ML enthusiast",
# "Nurse at St Mary's". Seniority words rank nothing: ESCO names the occupation, not the grade.
_TAGLINE = re.compile(r"\s*(?:[|•·;,(]|\s-\s|\s@\s|\bat\b).*$", re.IGNORECASE)
_SENIORITY = re.compile(r"\b(?:senior|junior|sr|jr)\b\.?", re.IGNORECASE)


def core_title(title: str) -> str:
    """The part of a title or headline that names the occupation: "Senior Data Scientist | ML" -> "Data Scientist"."""
    core = _SENIORITY.sub(" ", _TAGLINE.sub("", title))
    return " ".join(core.split()) or " ".join(title.split())


def _plain(text: str) -> str:
    return " ".join(_NON_WORD.sub(" ", text.casefold()).split())


@dataclass(frozen=True, slots=True)
class TitleMatch:
    occupation: Row  # id, taxonomy, name, aliases, description, uri
    score: float
    label: str  # the occupation's label that matched best
    method: str  # "label", "vector" or "fulltext"


@dataclass(slots=True)
class TitleMatches:
    method: str  # "label+vector+fulltext", or "label+fulltext only: <why>"
    matches: list[TitleMatch] = field(default_factory=list)


class TitleNormalizer:
    """Built once per process; the encoder and the occupation index load on first use."""

    def __init__(self, settings: Settings, graph: Graph) -> None:
        self.settings = settings
        self.graph = graph
        self._lock = threading.Lock()
        self._loaded: tuple[Any, Any] | None = None
        self._missing: str | None = None

    def _vectors(self) -> tuple[Any, Any] | None:
        if self._loaded is None and self._missing is None:
            with self._lock:
                if self._loaded is None and self._missing is None:
                    try:
                        self._loaded = load_occupation_index(self.settings, self.graph)
                    except ArtifactMissing as exc:
                        self._missing = str(exc)
        return self._loaded

    def normalize(self, title: str, first: int = 5) -> TitleMatches:
        title = core_title(title)
        wanted = first * OVERFETCH
        text = lucene_query(title)
        found = {r["id"]: r for r in self.graph.read(Query.SEARCH_OCCUPATION_NAMES, text=text, first=wanted)} if text else {}
        fulltext = {sid: float(r.pop("score")) for sid, r in found.items()}
        plain = _plain(title)
        loaded = self._vectors()
        if loaded is None:
            top = max(fulltext.values(), default=1.0) or 1.0
            matches = [self._match(r, title, plain, fulltext[sid] / top, "fulltext") for sid, r in found.items()]
            return TitleMatches(f"label+fulltext only: {self._missing}", _ranked(matches, first))
        encoder, index = loaded
        vector = encoder.encode([title])[0]
        names = {sid: float(v @ vector) for sid, v in zip(found, encoder.encode([r["name"] for r in found.values()]))} \
            if found else {}
        ids, sims = index.query(vector[None, :], k=min(wanted, len(index)))
        missing = [sid for sid in ids[0] if sid not in found]
        if missing:
            found.update({r["id"]: r for r in self.graph.read(Query.GET_OCCUPATIONS_BY_IDS, ids=missing)})
        matches = []
        for sid, row in found.items():
            try:
                label, cosine = index.best_text(sid, vector)
            except KeyError:  # loaded after the index was built: only its full-text match counts
                label, cosine = None, 0.0
            method = "vector" if sid in ids[0] else "fulltext"
            matches.append(self._match(row, label or row["name"], plain, cosine, method, names.get(sid)))
        return TitleMatches("label+vector+fulltext", _ranked(matches, first))

    @staticmethod
    def _match(row: Row, label: str, plain: str, score: float, method: str,
               name_cosine: float | None = None) -> TitleMatch:
        """The title equal to the preferred label scores 1.0; equal to an alternative label, 0.9 plus a
        tenth of its cosine to the preferred label, so several occupations that list one alias ("nurse")
        come in order of how close their own name is to the title."""
        if _plain(row["name"]) == plain:
            return TitleMatch(row, 1.0, row["name"], "label")
        for alias in row.get("aliases", ()):
            if _plain(alias) == plain:
                return TitleMatch(row, round(0.9 + 0.1 * max(name_cosine or 0.0, 0.0), 4), alias, "label")
        return TitleMatch(row, round(score, 4), label, method)


def _ranked(matches: list[TitleMatch], first: int) -> list[TitleMatch]:
    return sorted(matches, key=lambda m: (-m.score, m.occupation["name"]))[:first]


def load_occupation_index(settings: Settings, graph: Graph) -> tuple[Any, Any]:
    """(encoder, occupation index) for the graph's taxonomy version; ArtifactMissing names the fix."""
    from kgservice.inference import artifacts
    from kgservice.inference.hnsw_index import SkillVectorIndex
    from kgservice.inference.onnx_encoder import OnnxEncoder

    cfg = settings.pipeline
    encoder = OnnxEncoder.load(artifacts.model_dir(settings), quantized=cfg.quantized, threads=cfg.threads)
    index = SkillVectorIndex.load(artifacts.occupation_index_dir(settings, artifacts.taxonomy_version(graph)),
                                  expected_model_id=encoder.model_id, expected_encoder_sha256=encoder.file_sha256)
    return encoder, index
