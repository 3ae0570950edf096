"""Second scorer: a small multitask network over text, title and skill vectors plus manual features.

Requires: ``sections``, ``links``. Assigns: ``skills``, ``expanded`` (the same interface and outputs
as :class:`~kgservice.pipeline.scorer.FeatureScorer`, which this class extends; expansion is
inherited unchanged).

**Inputs per candidate skill** (every skill some tagger proposed, as for the first scorer):

- ``text``: the encoder vector of the piece (sentence or clause, split exactly as the embedding
  tagger splits) around the candidate's best span. Semantic spans *are* pieces; a trie span's piece
  is found with the tagger's own ``sentences``/``clauses`` rules, so it is usually a text the tagger
  already encoded and :class:`SentenceVectorCache` returns without a second encoder call.
- ``title``: the encoder vector of ``doc.title`` (zeros when there is none).
- ``skill``: the encoder vector of the skill's preferred label (the same encoder; memoized).
- ``manual``: :data:`MANUAL_FEATURES`: the first scorer's seven features, the first scorer's
  rule-based relation as a one-hot (so feedback can teach the heads where the rule is wrong),
  title presence and token overlap between title and skill name, and the section kind of the best
  span as a one-hot.

**Model** (``<taxonomy_dir>/multitask_scorer/model.onnx``, trained by
``kgservice models train-scorer``, see :mod:`kgservice.offline.multitask_scorer`): a shared trunk over
``[text, title, cos(text, skill), cos(title, skill), manual]`` (the manifest's ``vector_blocks``;
the raw ``skill`` and ``text*skill`` blocks can be trained in, see "Skill identity" there) and one
head per domain (:data:`DOMAINS`), each giving a relevance logit and three relation logits
(:data:`RELATIONS`). The graph takes the four inputs and a ``domain`` index per row, and also returns
every head's outputs, so the selection can be checked. A batch of documents is one encoder call for
what the cache lacks and one ONNX run, each row through its own document's head. Serving is numpy +
onnxruntime only.

The artifact's manifest records the encoder it was trained with; :func:`load_multitask_scorer`
refuses (:class:`~kgservice.errors.ArtifactMissing`) an artifact whose encoder id or dimension differs
from the pipeline's, or whose feature list differs from this module's.
"""

from __future__ import annotations

import bisect
import dataclasses
import json
import re
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from kgservice.bounded_cache import BoundedCache
from kgservice.document import Document, Domain, Method, Relation, ScoredSkill, SkillSpan
from kgservice.errors import ArtifactMissing
from kgservice.pipeline.base import batches
from kgservice.pipeline.embedding_tagger import clauses, sentences
from kgservice.pipeline.scorer import FEATURES, FeatureScorer, best_span
from kgservice.pipeline.sectioner import KINDS
from kgservice.pipeline.skill_catalog import SkillCatalog

if TYPE_CHECKING:
    from kgservice.settings import Settings

TRAIN_COMMAND = "kgservice models train-scorer"
ARTIFACT_DIR = "multitask_scorer"
MODEL_FILE = "model.onnx"
MANIFEST_FILE = "manifest.json"
FORMAT_VERSION = 1

# Head order of the ONNX graph: row i of ``head_relevance`` is DOMAINS[i]'s head.
DOMAINS: tuple[Domain, ...] = (Domain.JOB, Domain.PROFILE, Domain.COURSE, Domain.POST)
RELATIONS: tuple[Relation, ...] = (Relation.REQUIRED, Relation.CORE, Relation.MENTIONED)
SECTION_KINDS: tuple[str, ...] = tuple(sorted({k for kinds in KINDS.values() for k in kinds} | {"other"}))
MANUAL_FEATURES: tuple[str, ...] = (
    *FEATURES,
    "rule_required", "rule_core",
    "has_title", "title_overlap",
    *(f"section={k}" for k in SECTION_KINDS),
)
ONNX_INPUTS = ("text", "title", "skill", "manual", "domain")
# Logits. relevance [n], relation [n, 3]: the row's own domain head; head_* [n, heads(, 3)]: every head.
ONNX_OUTPUTS = ("relevance", "relation", "head_relevance", "head_relation")

_TOKEN = re.compile(r"\w+", re.UNICODE)


class Encoder(Protocol):
    model_id: str
    dimension: int

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray: ...


class SentenceVectorCache:
    """A bounded, thread-safe text -> vector memo in front of an encoder; itself an encoder.

    Put it in place of the embedding tagger's encoder and hand the same object to the scorer: the
    tagger fills it with every piece it embeds, and the scorer reads those vectors back instead of
    encoding the pieces again. Misses (evicted or never seen) are encoded, so results never depend
    on what is cached.

    Args:
        encoder: The real encoder (``OnnxEncoder``).
        max_entries: Vectors kept, least recently used dropped first; ``None``: unbounded (training).
            The default holds one full tagger batch (64 documents x 256 pieces), which is what the
            scorer reads back: 25 MB at dimension 384, 50 MB at 768.
    """

    def __init__(self, encoder: Encoder, max_entries: int | None = 16_384) -> None:
        self.inner = encoder
        self.model_id = encoder.model_id
        self.dimension = int(encoder.dimension)
        self.max_entries = max_entries
        self._vectors: BoundedCache[str, np.ndarray] = BoundedCache(max_entries)

    def __len__(self) -> int:
        return len(self._vectors)

    @property
    def hits(self) -> int:
        return self._vectors.hits

    @property
    def misses(self) -> int:
        return self._vectors.misses

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Vectors of ``texts`` in order, ``[len(texts), dimension]`` float32; unseen texts encoded in one call."""
        if isinstance(texts, str):
            raise TypeError("encode takes a sequence of strings, not one string")
        found = self._vectors.get_or_compute(
            texts, lambda missing: dict(zip(missing, self.inner.encode(missing, batch_size=batch_size), strict=True)))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = found[text]
        return out

    @property
    def has_token_states(self) -> bool:
        return bool(getattr(self.inner, "has_token_states", False))

    def encode_windows(self, texts: Sequence[str], window: int, batch_size: int = 64,
                       ) -> tuple[np.ndarray, list[np.ndarray]]:
        """The inner encoder's sentence and window vectors; the sentence vectors are remembered as by :meth:`encode`."""
        vectors, windows = self.inner.encode_windows(texts, window, batch_size=batch_size)
        self._vectors.put_many(dict(zip(texts, vectors, strict=True)))
        return vectors, windows

    def __repr__(self) -> str:
        return f"SentenceVectorCache({self.inner!r}, {len(self)}/{self.max_entries} vectors)"


# -- candidate description (shared with training) ------------------------------------------------
@dataclass(frozen=True, slots=True)
class Candidates:
    """One document's candidate skills, described for the network (see the module docstring)."""

    skill_ids: tuple[str, ...]
    spans: tuple[tuple[SkillSpan, ...], ...]
    best: tuple[SkillSpan, ...]
    contexts: tuple[str, ...]  # the text whose vector is the ``text`` input, per candidate
    methods: tuple[Method, ...]
    manual: np.ndarray  # [n, len(MANUAL_FEATURES)] float32

    def __len__(self) -> int:
        return len(self.skill_ids)


def _regions(doc: Document) -> list[tuple[int, int]]:
    """The regions the embedding tagger splits (sections minus their header line), plus the header lines
    themselves, where only the trie tags (their pieces are then not in the tagger's cache)."""
    if not doc.sections:
        return [(0, len(doc.text))]
    out = []
    for section in doc.sections:
        start = section.start
        if section.header is not None and section.start <= section.header[0] < section.end:
            out.append((section.header[0], min(section.header[1], section.end)))
            start = max(start, min(section.header[1], section.end))
        out.append((start, section.end))
    return out


def _pieces(doc: Document) -> list[tuple[int, int]]:
    # The clauses this scorer was trained with. With the tagger's windows on, the tagger keeps
    # sentences whole, so a trie span's clause is encoded here (a cache miss) rather than reused.
    return sorted((c_start, c_end) for start, end in _regions(doc) for s_start, s_end in sentences(doc.text, start, end)
                  for c_start, c_end in clauses(doc.text, s_start, s_end))


def _context(doc: Document, span: SkillSpan, pieces: list[tuple[int, int]] | None) -> str:
    if span.method is Method.SEMANTIC or pieces is None:
        return span.text
    i = bisect.bisect_right(pieces, (span.start, len(doc.text) + 1)) - 1
    if i >= 0 and pieces[i][0] <= span.start and span.end <= pieces[i][1]:
        start, end = pieces[i]
        return doc.text[start:end]
    return span.text


def _tokens(text: str) -> set[str]:
    return {t.casefold() for t in _TOKEN.findall(text)}


def describe(scorer: FeatureScorer, catalog: SkillCatalog, doc: Document) -> Candidates:
    """Every candidate skill of ``doc`` with its spans, context text and manual features.

    ``scorer`` supplies the first scorer's features, rule-based relation and skill filter (taxonomies);
    ``catalog`` the skill names compared with the title.
    """
    by_skill = scorer.spans_by_skill(doc)
    feats = scorer.features(doc, by_skill)
    column = {name: j for j, name in enumerate(MANUAL_FEATURES)}
    manual = np.zeros((len(feats), len(MANUAL_FEATURES)), dtype=np.float32)
    title_tokens = _tokens(doc.title) if doc.title else set()
    pieces: list[tuple[int, int]] | None = None
    ids, spans, best, contexts, methods = [], [], [], [], []
    for row, (sid, x) in enumerate(feats.items()):
        group = by_skill[sid]
        top = best_span(group)
        if top.method is not Method.SEMANTIC and pieces is None:
            pieces = _pieces(doc)
        for j, name in enumerate(FEATURES):
            manual[row, j] = x[name]
        rule = scorer.relation(doc, group)
        manual[row, column["rule_required"]] = rule is Relation.REQUIRED
        manual[row, column["rule_core"]] = rule is Relation.CORE
        if title_tokens:
            name_tokens = _tokens(catalog[sid].name)
            manual[row, column["has_title"]] = 1.0
            manual[row, column["title_overlap"]] = len(name_tokens & title_tokens) / max(1, len(name_tokens))
        kind = top.section if top.section in SECTION_KINDS else "other"
        manual[row, column[f"section={kind}"]] = 1.0
        ids.append(sid)
        spans.append(tuple(group))
        best.append(top)
        contexts.append(_context(doc, top, pieces))
        methods.append(Method.TRIE if x["trie"] else Method.SEMANTIC)
    return Candidates(tuple(ids), tuple(spans), tuple(best), tuple(contexts), tuple(methods), manual)


# -- the ONNX model ------------------------------------------------------------------------------
class MultitaskModel:
    """The exported network plus its manifest; ``predict`` picks each row's head by domain."""

    def __init__(self, session: Any, manifest: dict[str, Any], path: Path) -> None:
        self._session = session
        self.manifest = manifest
        self.path = path
        self.model_id = str(manifest["encoder"]["model_id"])
        self.dimension = int(manifest["encoder"]["dimension"])
        self.min_score = float(manifest.get("min_score", 0.5))
        self.sha256 = str(manifest["sha256"])

    @classmethod
    def load(cls, directory: Path | str, *, expected_model_id: str | None = None, expected_dim: int | None = None,
             threads: int | None = None, providers: Sequence[str] = ("CPUExecutionProvider",)) -> MultitaskModel:
        """Open ``<taxonomy_dir>/multitask_scorer``.

        Raises:
            ArtifactMissing: Files missing or altered (sha256), or trained for another encoder or
                feature list; the message names the command that retrains it.
        """
        from kgservice.inference.onnx_encoder import onnxruntime_module, sha256_file

        directory = Path(directory)
        manifest_path, model_path = directory / MANIFEST_FILE, directory / MODEL_FILE
        for needed in (manifest_path, model_path):
            if not needed.exists():
                raise ArtifactMissing(f"multitask scorer file {needed} is missing: run `{TRAIN_COMMAND}` "
                                      "(needs pip install -e '.[train]')")
        manifest = json.loads(manifest_path.read_text())
        if sha256_file(model_path) != manifest.get("sha256"):
            raise ArtifactMissing(f"{model_path} does not match the sha256 in its manifest: run `{TRAIN_COMMAND}`")
        encoder = manifest.get("encoder", {})
        if (expected_model_id is not None and encoder.get("model_id") != expected_model_id) or (
                expected_dim is not None and int(encoder.get("dimension", -1)) != int(expected_dim)):
            raise ArtifactMissing(
                f"the multitask scorer in {directory} was trained with encoder {encoder.get('model_id')!r} "
                f"(dimension {encoder.get('dimension')}), but the pipeline uses {expected_model_id!r} "
                f"(dimension {expected_dim}): retrain it with `{TRAIN_COMMAND}`")
        expected = {"manual_features": list(MANUAL_FEATURES), "domains": [d.value for d in DOMAINS],
                    "relations": [r.value for r in RELATIONS], "format": FORMAT_VERSION}
        for key, value in expected.items():
            if manifest.get(key) != value:
                raise ArtifactMissing(f"the multitask scorer in {directory} has another {key} than this code "
                                      f"({manifest.get(key)!r} vs {value!r}): retrain it with `{TRAIN_COMMAND}`")
        ort = onnxruntime_module("the multitask scorer")
        options = ort.SessionOptions()
        options.inter_op_num_threads = 1
        if threads is not None:
            options.intra_op_num_threads = threads
        session = ort.InferenceSession(str(model_path), sess_options=options, providers=list(providers))
        return cls(session, manifest, model_path)

    def run(self, text: np.ndarray, title: np.ndarray, skill: np.ndarray, manual: np.ndarray,
            domain: np.ndarray) -> dict[str, np.ndarray]:
        """Every output (logits) of the graph, by name (:data:`ONNX_OUTPUTS`)."""
        feeds = {"text": np.asarray(text, dtype=np.float32), "title": np.asarray(title, dtype=np.float32),
                 "skill": np.asarray(skill, dtype=np.float32), "manual": np.asarray(manual, dtype=np.float32),
                 "domain": np.asarray(domain, dtype=np.int64)}
        return dict(zip(ONNX_OUTPUTS, self._session.run(list(ONNX_OUTPUTS), feeds), strict=True))

    def predict(self, text: np.ndarray, title: np.ndarray, skill: np.ndarray, manual: np.ndarray,
                domain: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Relevance probabilities ``[n]`` and relation probabilities ``[n, 3]``, row i from head ``domain[i]``."""
        out = self.run(text, title, skill, manual, domain)
        relevance = 1.0 / (1.0 + np.exp(-out["relevance"].astype(np.float64)))
        logits = out["relation"].astype(np.float64)
        relation = np.exp(logits - logits.max(axis=1, keepdims=True))
        return relevance, relation / relation.sum(axis=1, keepdims=True)


# -- the stage -----------------------------------------------------------------------------------
class MultitaskScorer(FeatureScorer):
    """Scores candidates with the multitask network, using the head of ``doc.domain``.

    Requires: sections, links. Assigns: skills, expanded.

    Args:
        catalog: Skill names and taxonomies.
        model: The loaded network.
        texts: The encoder cache shared with the embedding tagger (or a cache over its own encoder).
        min_score: Skills scoring below are dropped; ``None`` takes the one fitted on SkillSkape dev.
        semantic_threshold: The embedding tagger's threshold (for the first scorer's features).
        taxonomies: Keep only skills of these taxonomies; ``None``: all.
        max_expanded: Expanded skills kept per document.
    """

    def __init__(self, catalog: SkillCatalog, model: MultitaskModel, texts: SentenceVectorCache, *,
                 min_score: float | None = None, semantic_threshold: float = 0.5,
                 taxonomies: Collection[str] | None = None, max_expanded: int = 25,
                 skill_cache_size: int = 20_000) -> None:
        super().__init__(catalog, min_score=model.min_score if min_score is None else min_score,
                         semantic_threshold=semantic_threshold, taxonomies=taxonomies, max_expanded=max_expanded)
        if texts.model_id != model.model_id or texts.dimension != model.dimension:
            raise ArtifactMissing(f"the multitask scorer was trained with encoder {model.model_id!r} "
                                  f"(dimension {model.dimension}), but got {texts.model_id!r} "
                                  f"(dimension {texts.dimension}): retrain it with `{TRAIN_COMMAND}`")
        self.model = model
        self.texts = texts
        # Skill labels get their own memo so they never evict the document pieces the tagger cached.
        self.labels = SentenceVectorCache(texts.inner, max_entries=skill_cache_size)

    def vectors(self, docs: Sequence[Document], described: Sequence[Candidates],
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``text``, ``title`` and ``skill`` inputs for the candidates of ``docs``, stacked in order.

        One cache lookup (and at most one encoder call) each for the pieces and titles, and for the
        skill labels, per batch of documents.
        """
        contexts = [ctx for cands in described for ctx in cands.contexts]
        titles = [d.title for d in docs if d.title and d.title.strip()]
        encoded = self.texts.encode(contexts + list(dict.fromkeys(titles)))
        text = encoded[:len(contexts)]
        by_title = dict(zip(dict.fromkeys(titles), encoded[len(contexts):], strict=True))
        title = np.zeros_like(text)
        row = 0
        for doc, cands in zip(docs, described, strict=True):
            if doc.title in by_title:
                title[row:row + len(cands)] = by_title[doc.title]
            row += len(cands)
        skill = self.labels.encode([self._catalog[sid].name for cands in described for sid in cands.skill_ids])
        return text, title, skill

    def predict(self, docs: Sequence[Document]) -> list[tuple[Candidates, np.ndarray, np.ndarray]]:
        """Per document: its candidates, their relevance ``[n]`` and relation probabilities ``[n, 3]``.

        Pure compute; all candidates of ``docs`` go through the network in one run, each row
        through the head of its own document's domain.
        """
        described = [describe(self, self._catalog, doc) for doc in docs]
        sizes = [len(c) for c in described]
        if not sum(sizes):
            return [(c, np.zeros(0), np.zeros((0, len(RELATIONS)))) for c in described]
        text, title, skill = self.vectors(docs, described)
        manual = np.vstack([c.manual for c in described])
        domain = np.repeat([DOMAINS.index(d.domain) for d in docs], sizes).astype(np.int64)
        relevance, relation = self.model.predict(text, title, skill, manual, domain)
        bounds = np.cumsum([0, *sizes])
        return [(c, relevance[a:b], relation[a:b]) for c, a, b in zip(described, bounds[:-1], bounds[1:], strict=True)]

    def annotate(self, doc: Document, cands: Candidates, relevance: np.ndarray, relation: np.ndarray) -> Document:
        skills: list[ScoredSkill] = []
        for i, sid in enumerate(cands.skill_ids):
            score = float(relevance[i])
            if score < self.min_score:
                continue
            entry = self._catalog[sid]
            skills.append(ScoredSkill(sid, entry.name, entry.taxonomy, round(score, 4),
                                      RELATIONS[int(np.argmax(relation[i]))], cands.methods[i],
                                      tuple(sorted({(s.start, s.end) for s in cands.spans[i]})), cands.best[i].section))
        skills.sort(key=lambda s: (-s.score, s.name))
        return dataclasses.replace(doc, skills=tuple(skills), expanded=self.expand(doc.links, skills))

    def __call__(self, doc: Document) -> Document:
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Document], batch_size: int = 32) -> Iterator[Document]:
        """Score documents, ``batch_size`` at a time (the embedding tagger's batches, so its pieces are cached)."""
        for batch in batches(docs, batch_size):
            for doc, result in zip(batch, self.predict(batch), strict=True):
                yield self.annotate(doc, *result)

    def __repr__(self) -> str:
        return f"MultitaskScorer({self.model.path.parent}, encoder={self.model.model_id}, min_score={self.min_score})"


def artifact_dir(settings: Settings, taxonomy_version: str) -> Path:
    from kgservice.inference import artifacts

    return artifacts.taxonomy_dir(settings, taxonomy_version) / ARTIFACT_DIR


def load_multitask_scorer(settings: Settings, taxonomy_version: str, catalog: SkillCatalog,
                          texts: SentenceVectorCache | None = None, *, min_score: float | None = None,
                          semantic_threshold: float = 0.5, taxonomies: Collection[str] | None = None,
                          max_expanded: int = 25) -> MultitaskScorer:
    """The multitask scorer trained for ``taxonomy_version``, over the pipeline's encoder.

    ``texts``: the cache the embedding tagger fills; ``None`` (no semantic tagger) loads the encoder
    of ``settings.pipeline`` behind a cache of its own.

    Raises:
        ArtifactMissing: No trained scorer, or one trained with another encoder or dimension.
    """
    if texts is None:
        from kgservice.inference import artifacts
        from kgservice.inference.onnx_encoder import OnnxEncoder

        cfg = settings.pipeline
        texts = SentenceVectorCache(OnnxEncoder.load(artifacts.model_dir(settings, cfg.sentence_tower),
                                                     quantized=cfg.quantized, threads=cfg.threads))
    model = MultitaskModel.load(artifact_dir(settings, taxonomy_version), expected_model_id=texts.model_id,
                                expected_dim=texts.dimension, threads=settings.pipeline.threads)
    return MultitaskScorer(catalog, model, texts, min_score=min_score, semantic_threshold=semantic_threshold,
                           taxonomies=taxonomies, max_expanded=max_expanded)
