"""Finds skills by meaning: sentence/clause embeddings matched against the skill index.

Requires: ``sections``. Assigns: ``spans.embedding_tagger``.

Each section (minus its header line) is cut into *pieces*. A section whose kind is in
``skip_sections`` *and* that a header opened (``Section.source == "header"``) is left to the trie:
a posting's "About us" or "Benefits" section implies no skill the job needs, while the sectioner's
learned fallback can call a skill-bearing header-less sentence "company". Pieces:

1. **Sentences**: line breaks, bullet markers (``-``, ``*``, ``•``, ``1.``...) and ``.!?`` followed
   by space and an upper-case letter, digit or bullet (so ``e.g. Jira``, ``3.5 years``, ``Node.js``
   do not split).
2. **Clauses**, only for sentences longer than ``long_sentence_words`` words (:data:`LONG_SENTENCE_WORDS`,
   or :data:`LONG_SENTENCE_WORDS_WITH_WINDOWS` when the tagger re-ranks by windows, see below): split first on
   ``;``/``:``/inline bullets, then on ``,``, then on `` and ``/`` or ``, and keep a split only when
   every part still has at least :data:`MIN_CLAUSE_WORDS` words. So "Python, Java and C++" stays
   whole (one-word parts carry no context), while "design and ship iOS apps, mentor junior
   engineers and work closely with product managers to define the roadmap" becomes three clauses.

Every piece keeps its character offsets into ``Document.text`` (``text[start:end] == span.text``).
Pieces from all documents of a :meth:`EmbeddingTagger.pipe` batch are embedded in one encoder
call (identical texts once), queried ``top_k`` against the index, and every match with cosine
>= ``threshold`` becomes a ``SkillSpan(method=SEMANTIC, score=cosine, section=section.kind)``.

**Bounds.** At most ``max_pieces_per_doc`` pieces (default 256) are taken per document, in text
order; the rest of a very long document is not embedded (``pieces_dropped`` in
:meth:`split` reports it). Each piece is also cut by the encoder at its 256-token limit. So one
document costs at most 256 encoder rows and 256 index queries.

**Cache.** ``predict`` remembers each distinct piece's unthresholded top-k matches (``cache_size``
pieces, least recently used dropped first): postings repeat their employer's "About us", benefits and
equal-opportunity paragraphs, and a profile or posting edit leaves most of its sentences unchanged,
so those pieces skip the encoder and the index. The cache lives and dies with the tagger, which is
rebuilt with its encoder and index, so a hit is what a miss would compute for the same piece. With
the int8 encoder a piece's cosines depend slightly on its batch-mates (see
``PipelineSettings.quantized``); a hit returns the cosines of the batch that first encoded it.

**Windows.** A sentence that names several skills ("Python, SQL and stakeholder reporting") pools
them into one vector that sits near none of them. With ``window_tokens`` (default 2,
``KG_PIPELINE__SEMANTIC_WINDOW_TOKENS``) the encoder also returns each piece's token states from
the same forward pass, and every run of ``window_tokens`` consecutive word pieces is mean-pooled
into a *window* vector ("late chunking": the tokens are contextual, so a window still knows its
sentence). The index is searched once per piece, for ``candidates`` (default 30) skills by the
piece vector; each candidate's score becomes its best cosine to the piece vector or any window
(exact, :meth:`SkillVectorIndex.rescore`), and the best ``top_k`` are kept. The encoder cost is
unchanged; the extra work is a batched ``windows x candidates`` product per piece. On the
development splits this took the int8 student's RP@5 from 0.614 / 0.597 to 0.755 / 0.611 (TECH /
HOUSE; ``bench/models.py`` prints both rankings).

**Other languages.** A document whose ``language`` (the language detector's) is not English has its
pieces embedded by ``foreign``, a multilingual encoder mapped into the skill tower's space
(:mod:`kgservice.inference.multilingual_encoder`), loaded on the first such document and ranked by
piece vectors alone (it has no word-piece windows), with its own cache and ``foreign_threshold``.
English documents take the path above, unchanged.

**Threshold.** ``threshold=None`` takes the index's ``calibration.json`` (written by
``python -m kgservice.offline.calibrate``) for this tagger's ``top_k``, else :data:`FALLBACK_THRESHOLD`.
On skillskape dev top_k=1 scores better than the default 5 (see the calibration report).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from kgservice.bounded_cache import BoundedCache
from kgservice.document import Document, Method, SkillSpan
from kgservice.errors import ArtifactMissing
from kgservice.pipeline.base import StageBase, batches
from kgservice.pipeline.language_detector import ENGLISH

if TYPE_CHECKING:
    from kgservice.inference.onnx_encoder import OnnxEncoder
    from kgservice.settings import Settings

log = logging.getLogger("kgservice.pipeline")

# Used only when the index carries no calibration.json; calibrate.py found 0.64 for top-5 on skillskape dev.
FALLBACK_THRESHOLD = 0.64
DEFAULT_TOP_K = 5
MAX_PIECES_PER_DOC = 256
DEFAULT_CACHE_SIZE = 50_000
DEFAULT_CANDIDATES = 30
LONG_SENTENCE_WORDS = 16
# With windows a sentence's several skills each get a window, and cutting it into clauses only
# loses context: on the development splits, splitting at 16 words with 2-token windows gave F1
# 0.410 / 0.349 and RP@5 0.783 / 0.618 (TECH / HOUSE, bench/quality.py), not splitting 0.487 /
# 0.360 and 0.790 / 0.638, and bench/speed.py's full pipeline went from 41.7 to 47.0-52.8 postings/s
# per core (README). Run-on text is still cut, so that a piece stays well inside the encoder's 256
# word pieces.
LONG_SENTENCE_WORDS_WITH_WINDOWS = 96
MIN_CLAUSE_WORDS = 3
MIN_PIECE_CHARS = 2

_BULLET = r"(?:[-*•·◦▪‣●○■□➢➤►]|\d{1,2}[.)]|[a-z][.)])"
# Sentence ends: a newline, or .!? then space(s) then something that starts a sentence.
_SENTENCE_BREAK = re.compile(r"\n+|(?<=[.!?])[\"')\]]?\s+(?=[\"'(\[]?[A-Z0-9•·◦▪‣●■➢➤►*-])")
# One line break followed by a lower-case word, the line before long and not ending a sentence: a
# wrapped line (a short line is a list item: "python\nsql" stays two pieces).
WRAPPED_LINE_CHARS = 40
_WRAPPED_LINE = re.compile(r"\n[ \t]*[a-z]")
_LINE_END = re.compile(r"[.!?:;]\s*$")
_LEADING_BULLET = re.compile(rf"\s*{_BULLET}\s+")  # used with .match(text, pos): anchored at pos
_ABBREVIATION = re.compile(r"(?:\b(?:e\.g|i\.e|etc|incl|approx|vs|min|max|yrs|no|dept|Dr|Mr|Mrs|Ms|St|Ltd|Inc|"
                           r"Jr|Sr|Prof|cf|ca|esp)|\b[A-Z])\.$")
# Clause separators, strongest first. Each is tried only when the previous did not split.
_CLAUSE_SEPARATORS = (
    re.compile(r"\s*[;:]\s+|\s+[•·◦▪‣●■➢➤►]\s+|\s+-\s+"),
    re.compile(r",\s+"),
    re.compile(r"\s+(?:and|or|as well as|&)\s+", re.IGNORECASE),
)
_WORD = re.compile(r"\w+", re.UNICODE)
_HAS_LETTER = re.compile(r"[^\W\d_]", re.UNICODE)


class Encoder(Protocol):
    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray: ...


class WindowEncoder(Encoder, Protocol):
    has_token_states: bool

    def encode_windows(self, texts: Sequence[str], window: int, batch_size: int = 64,
                       ) -> tuple[np.ndarray, list[np.ndarray]]: ...


class SkillIndex(Protocol):
    @property
    def calibrated_threshold(self) -> float | None: ...

    def query(self, vectors: np.ndarray, k: int = 5) -> tuple[list[list[str]], np.ndarray]: ...

    def rescore(self, candidates: Sequence[Sequence[str]], vectors: Sequence[np.ndarray]) -> np.ndarray: ...


@dataclass(frozen=True, slots=True)
class Piece:
    """A sentence or clause: offsets into ``Document.text`` and the section it lies in."""

    start: int
    end: int
    text: str
    section: str | None


def _strip(text: str, start: int, end: int) -> tuple[int, int]:
    """Narrow ``[start, end)`` past whitespace, bullet markers and trailing punctuation."""
    m = _LEADING_BULLET.match(text, start, end)
    if m:
        start = m.end()
    while start < end and (text[start].isspace() or text[start] in "\"'([{"):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ".,;:!?\"')]}-–—"):
        end -= 1
    return start, end


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Sentence offsets inside ``text[start:end]``, bullets and surrounding punctuation stripped."""
    out: list[tuple[int, int]] = []
    cursor = start
    for m in _SENTENCE_BREAK.finditer(text, start, end):
        if m.group().strip() == "" and "\n" not in m.group() and _ABBREVIATION.search(text, cursor, m.start()):
            continue  # "e.g. Jira" / "Dr. Smith": not a sentence end
        if (_WRAPPED_LINE.match(text, m.start(), end) and not _LINE_END.search(text, cursor, m.start())
                and m.start() - (text.rfind("\n", 0, m.start()) + 1) >= WRAPPED_LINE_CHARS):
            continue  # a paragraph hard-wrapped at a fixed width: "We are a\nremote-first team"
        out.append((cursor, m.start()))
        cursor = m.end()
    out.append((cursor, end))
    stripped = (_strip(text, s, e) for s, e in out)
    return [(s, e) for s, e in stripped if e - s >= MIN_PIECE_CHARS and _HAS_LETTER.search(text, s, e)]


def clauses(text: str, start: int, end: int, separators: Sequence[re.Pattern[str]] = _CLAUSE_SEPARATORS,
            long_sentence_words: int = LONG_SENTENCE_WORDS) -> list[tuple[int, int]]:
    """Split a sentence of more than ``long_sentence_words`` words into clauses that each keep at
    least ``MIN_CLAUSE_WORDS`` words."""
    if _words(text[start:end]) <= long_sentence_words:
        return [(start, end)]
    for i, separator in enumerate(separators):
        parts: list[tuple[int, int]] = []
        cursor = start
        for m in separator.finditer(text, start, end):
            parts.append((cursor, m.start()))
            cursor = m.end()
        parts.append((cursor, end))
        parts = [p for p in (_strip(text, s, e) for s, e in parts) if p[1] > p[0]]
        if len(parts) > 1 and all(_words(text[s:e]) >= MIN_CLAUSE_WORDS for s, e in parts):
            out: list[tuple[int, int]] = []
            for s, e in parts:
                out.extend(clauses(text, s, e, separators[i:], long_sentence_words))
            return out
    return [(start, end)]


class EmbeddingTagger(StageBase):
    """Tags skills by embedding sentences/clauses and searching the skill index.

    Requires: ``sections``. Assigns: ``spans.embedding_tagger``.

    Args:
        encoder: Sentence encoder (``OnnxEncoder``): ``encode(texts) -> [n, dim]`` normalized.
        index: Skill index (``SkillVectorIndex``): ``query(vectors, k) -> (ids, cosines)``.
        threshold: Minimum cosine to keep a match; ``None`` uses the index's calibration.
        top_k: Matches considered per piece.
        max_pieces_per_doc: Cap on pieces embedded per document (text order).
        encode_batch_size: Rows per ONNX run.
        skip_sections: Section kinds not embedded when a header opened them.
        cache_size: Distinct pieces whose matches are remembered; 0 turns the cache off.
        window_tokens: Re-rank each piece's ``candidates`` by its token windows of this many word
            pieces (see "Windows" above); 0 ranks by the piece vector alone.
        candidates: Skills fetched from the index per piece for the re-ranking.
    """

    name = "embedding_tagger"
    requires = frozenset({"sections"})
    assigns = frozenset({"spans.embedding_tagger"})

    def __init__(self, encoder: Encoder, index: SkillIndex, *, threshold: float | None = None,
                 top_k: int = DEFAULT_TOP_K, max_pieces_per_doc: int = MAX_PIECES_PER_DOC,
                 encode_batch_size: int = 64, skip_sections: Collection[str] = (),
                 cache_size: int = DEFAULT_CACHE_SIZE, window_tokens: int = 0,
                 candidates: int = DEFAULT_CANDIDATES) -> None:
        if window_tokens and not getattr(encoder, "has_token_states", False):
            raise ValueError(f"window_tokens={window_tokens} needs an encoder with token states: re-export the model")
        self.encoder = encoder
        self.window_tokens = window_tokens
        self.long_sentence_words = LONG_SENTENCE_WORDS_WITH_WINDOWS if window_tokens else LONG_SENTENCE_WORDS
        self.candidates = max(candidates, top_k)
        if window_tokens and hasattr(index, "load_vectors"):
            index.load_vectors()  # at startup, not inside the first request
        self.index = index
        if threshold is None:
            by_k = getattr(index, "threshold_for", None)
            threshold = by_k(top_k) if by_k is not None else index.calibrated_threshold
        self.threshold = FALLBACK_THRESHOLD if threshold is None else float(threshold)
        self.top_k = top_k
        self.max_pieces_per_doc = max_pieces_per_doc
        self.encode_batch_size = encode_batch_size
        self.skip_sections = frozenset(skip_sections)
        self.cache: BoundedCache[str, tuple[tuple[str, float], ...]] = BoundedCache(cache_size)
        # Non-English documents: a callable that loads the mapped multilingual encoder when first needed
        # (its wheel is large; an English-only process never reads it), and that encoder's own cache.
        self.foreign_loader: Callable[[], Encoder] | None = None
        self.foreign_threshold = self.threshold
        self._foreign: Encoder | None = None
        self.foreign_cache: BoundedCache[str, tuple[tuple[str, float], ...]] = BoundedCache(cache_size)

    # -- splitting --------------------------------------------------------------------------------
    def split(self, doc: Document) -> tuple[list[Piece], int]:
        """The pieces of ``doc`` to embed, and how many were dropped by the per-document cap."""
        text = doc.text
        regions: list[tuple[int, int, str | None]] = []
        if doc.sections:
            for section in doc.sections:
                if section.kind in self.skip_sections and section.source == "header":
                    continue  # a classifier guess may be wrong: only a header makes a section skippable
                start = section.start
                if section.header is not None and section.start <= section.header[0] < section.end:
                    # Skip the header line itself: "Requirements" is not a skill mention.
                    start = max(start, min(section.header[1], section.end))
                regions.append((start, section.end, section.kind))
        elif text.strip():
            regions.append((0, len(text), None))
        pieces: list[Piece] = []
        total = 0
        for start, end, kind in regions:
            for s_start, s_end in sentences(text, start, end):
                for c_start, c_end in clauses(text, s_start, s_end, long_sentence_words=self.long_sentence_words):
                    total += 1
                    if len(pieces) < self.max_pieces_per_doc:
                        pieces.append(Piece(c_start, c_end, text[c_start:c_end], kind))
        return pieces, total - len(pieces)

    # -- compute ----------------------------------------------------------------------------------
    def predict(self, texts: Sequence[str]) -> list[tuple[tuple[str, float], ...]]:
        """Top-k ``(skill_id, cosine)`` per text, best first, unthresholded.

        Identical texts are encoded once, and texts the cache holds not at all.
        """
        if not texts:
            return []
        found = self.cache.get_or_compute(texts, self._match)
        return [found[t] for t in texts]

    def _match(self, texts: list[str]) -> dict[str, tuple[tuple[str, float], ...]]:
        if not self.window_tokens:
            ids, sims = self.index.query(self.encoder.encode(texts, batch_size=self.encode_batch_size), k=self.top_k)
            return {text: tuple((sid, float(sims[i, j])) for j, sid in enumerate(row))
                    for i, (text, row) in enumerate(zip(texts, ids, strict=True))}
        encoder: WindowEncoder = self.encoder  # type: ignore[assignment]
        vectors, windows = encoder.encode_windows(texts, self.window_tokens, batch_size=self.encode_batch_size)
        ids, sims = self.index.query(vectors, k=self.candidates)
        best = sims.copy()
        rescored = self.index.rescore(ids, windows)  # as wide as the longest candidate list
        best[:, :rescored.shape[1]] = np.maximum(best[:, :rescored.shape[1]], rescored)
        order = np.argsort(-best, axis=1, kind="stable")[:, : self.top_k]
        return {text: tuple((row[j], float(best[i, j])) for j in order[i] if j < len(row))
                for i, (text, row) in enumerate(zip(texts, ids, strict=True))}

    def foreign(self, doc: Document) -> bool:
        """Whether ``doc`` goes to the multilingual encoder: not English, and a loader was given."""
        return self.foreign_loader is not None and doc.language not in (None, ENGLISH)

    def predict_foreign(self, texts: Sequence[str]) -> list[tuple[tuple[str, float], ...]]:
        """:meth:`predict` for non-English text: the mapped multilingual encoder, piece vectors only."""
        if not texts:
            return []
        found = self.foreign_cache.get_or_compute(texts, self._match_foreign)
        return [found[t] for t in texts]

    def _match_foreign(self, texts: list[str]) -> dict[str, tuple[tuple[str, float], ...]]:
        if self._foreign is None:
            self._foreign = self.foreign_loader()  # type: ignore[misc]
        ids, sims = self.index.query(self._foreign.encode(texts, batch_size=self.encode_batch_size), k=self.top_k)
        return {text: tuple((sid, float(sims[i, j])) for j, sid in enumerate(row))
                for i, (text, row) in enumerate(zip(texts, ids, strict=True))}

    def annotate(self, doc: Document, pieces: Sequence[Piece], matches: Sequence[Sequence[tuple[str, float]]],
                 threshold: float | None = None) -> Document:
        cut = self.threshold if threshold is None else threshold
        spans = tuple(
            SkillSpan(start=p.start, end=p.end, text=p.text, skill_id=sid, method=Method.SEMANTIC, score=score,
                      section=p.section)
            for p, found in zip(pieces, matches, strict=True)
            for sid, score in found
            if score >= cut
        )
        return doc.with_spans(self.name, spans)

    # -- stage interface --------------------------------------------------------------------------
    def __call__(self, doc: Document) -> Document:
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Document], batch_size: int = 32) -> Iterator[Document]:
        """Tag documents, embedding all pieces of ``batch_size`` documents in one encoder call."""
        for batch in batches(docs, batch_size):
            split = [self.split(doc)[0] for doc in batch]
            foreign = [self.foreign(doc) for doc in batch]
            english = iter(self.predict([p.text for pieces, f in zip(split, foreign) if not f for p in pieces]))
            other = iter(self.predict_foreign([p.text for pieces, f in zip(split, foreign) if f for p in pieces]))
            for doc, pieces, f in zip(batch, split, foreign, strict=True):
                found = [next(other if f else english) for _ in pieces]
                yield self.annotate(doc, pieces, found, self.foreign_threshold if f else None)

    def __repr__(self) -> str:
        return f"EmbeddingTagger(threshold={self.threshold}, top_k={self.top_k})"


def window_for(settings: Settings, encoder: Encoder) -> int:
    """The window size the tagger uses with ``encoder``: ``pipeline.semantic_window_tokens``, or 0
    (with a warning) for an encoder exported without its token states. Serving and calibration
    both ask here, so a threshold is always fitted to the ranking that uses it."""
    window = settings.pipeline.semantic_window_tokens
    if window and not getattr(encoder, "has_token_states", False):
        log.warning("%s has no token output, so the semantic tagger ranks by sentence vectors only "
                    "(KG_PIPELINE__SEMANTIC_WINDOW_TOKENS=%d ignored): re-export it",
                    getattr(encoder, "model_path", encoder), window)
        return 0
    return window


def load_sentence_tower(settings: Settings, quantized: bool | None = None) -> OnnxEncoder:
    """The sentence tower of ``settings.pipeline`` (``sentence_model``, else ``encoder_model``).

    A sentence-only tower (the static tower) is checked against the skill tower it was fitted to:
    it must name ``encoder_model``, and that model's file must be the one it was distilled from, or
    its vectors would be compared with skill vectors of another space.

    Raises:
        ArtifactMissing: A model is missing, or the sentence tower belongs to another skill tower.
    """
    from kgservice.inference import artifacts
    from kgservice.inference.onnx_encoder import OnnxEncoder, model_file_sha256

    cfg = settings.pipeline
    quantized = cfg.quantized if quantized is None else quantized
    encoder = OnnxEncoder.load(artifacts.model_dir(settings, cfg.sentence_tower), quantized=quantized,
                               threads=cfg.threads)
    tower_id, tower_sha = encoder.skill_tower
    if tower_id == encoder.model_id:
        return encoder
    redistil = "run `kgservice models distill-static`, or set KG_PIPELINE__SENTENCE_MODEL= to embed sentences " \
               "with the skill tower itself"
    if tower_id != cfg.encoder_model:
        raise ArtifactMissing(f"sentence tower {encoder.model_id} was fitted to {tower_id}, but the skill tower "
                              f"(KG_PIPELINE__ENCODER_MODEL) is {cfg.encoder_model}: {redistil}")
    skill_dir = artifacts.model_dir(settings)
    current = model_file_sha256(skill_dir, quantized)
    if current != tower_sha:
        raise ArtifactMissing(f"sentence tower {encoder.model_id} was distilled from a {tower_id} file with SHA-256 "
                              f"{tower_sha[:12]}, but {skill_dir} holds {current[:12]}: {redistil}")
    return encoder


def load_embedding_tagger(settings: Settings, taxonomy_version: str) -> EmbeddingTagger:
    """The tagger for ``settings.pipeline`` over the vector index built for ``taxonomy_version``.

    Sentence tower: :func:`load_sentence_tower` (int8 when ``pipeline.quantized``). Index (the skill
    tower's vectors): ``<home>/indexes/<encoder_model>/<taxonomy_version>``, checked against the
    skill tower's model id and file, the dimension and the taxonomy version. Threshold:
    ``pipeline.semantic_threshold``, else the index's calibration for this sentence tower and
    ``pipeline.semantic_top_k``.

    Raises:
        ArtifactMissing: The encoder or index is missing or does not match (names the command to run).
    """
    from kgservice.inference import artifacts
    from kgservice.inference.hnsw_index import SkillVectorIndex

    cfg = settings.pipeline
    encoder = load_sentence_tower(settings)
    tower_id, tower_sha = encoder.skill_tower
    index = SkillVectorIndex.load(artifacts.vector_index_dir(settings, taxonomy_version),
                                  expected_model_id=tower_id, expected_dim=encoder.dimension,
                                  expected_taxonomy_version=taxonomy_version, ef_search=cfg.semantic_ef_search,
                                  expected_encoder_sha256=tower_sha, sentence_model=encoder.model_id)
    window = window_for(settings, encoder)
    if cfg.semantic_threshold is None and index.calibration is None:
        log.warning("the skill index has no calibration for sentence tower %s, so the fallback threshold %.2f "
                    "applies: run `kgservice index build`", encoder.model_id, FALLBACK_THRESHOLD)
    calibrated = (index.calibration or {}).get("window_tokens", 0)
    if cfg.semantic_threshold is None and index.calibration is not None and calibrated != window:
        log.warning("the index's calibration was made with window_tokens=%s, the tagger uses %s: "
                    "rerun `python -m kgservice.offline.calibrate`", calibrated, window)
    tagger = EmbeddingTagger(encoder, index, threshold=cfg.semantic_threshold, top_k=cfg.semantic_top_k,
                             skip_sections=cfg.semantic_skip_sections, cache_size=cfg.semantic_cache_size,
                             window_tokens=window, candidates=cfg.semantic_candidates)
    if cfg.multilingual:
        from kgservice.inference.multilingual_encoder import MAP_MODEL_ID, load_multilingual_encoder

        if (artifacts.model_dir(settings, MAP_MODEL_ID) / "manifest.json").exists():
            tagger.foreign_loader = lambda: load_multilingual_encoder(settings, (tower_id, tower_sha))
        else:
            log.warning("no multilingual map (%s), so non-English sentences go to the English sentence tower: "
                        "run `python -m kgservice.offline.multilingual_map`", MAP_MODEL_ID)
        if cfg.multilingual_threshold is not None:
            tagger.foreign_threshold = cfg.multilingual_threshold
    return tagger
