"""The only place that declares stage order; assembles the pipeline from Settings and artifacts.

The same :class:`Pipeline` object serves the CLI, the API, the nearline worker and the batch job.
"""

from __future__ import annotations

import dataclasses
from types import MappingProxyType
import json
import logging
import time
from pathlib import Path
from collections.abc import Iterable, Iterator, Mapping, Sequence

from kgservice.bounded_cache import BoundedCache
from kgservice.document import Document, Domain
from kgservice.errors import ArtifactMissing, InvalidInput
from kgservice.graph.driver import Graph
from kgservice.inference import artifacts
from kgservice.package_data import data_path
from kgservice.pipeline.base import Stage
from kgservice.pipeline.scorer import FeatureScorer, ScorerWeights
from kgservice.pipeline.sectioner import Sectioner
from kgservice.pipeline.skill_catalog import SkillCatalog
from kgservice.pipeline.trie_tagger import SkillTrie, TrieTagger
from kgservice.settings import Settings
from kgservice.telemetry.prometheus_metrics import observe_stage

log = logging.getLogger("kgservice.pipeline")


class Pipeline:
    """Stages in order; refuses to assemble when a stage needs what no earlier stage assigns."""

    def __init__(self, stages: Sequence[Stage], model_version: str) -> None:
        available: set[str] = set()
        for stage in stages:
            missing = set(stage.requires) - available
            if missing:
                raise ValueError(f"stage {stage.name!r} requires {sorted(missing)}, which no earlier stage assigns")
            available |= set(stage.assigns)
        self.stages = tuple(stages)
        self.model_version = model_version

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.stages)

    @property
    def caches(self) -> dict[str, BoundedCache]:
        """Each stage's memo (``stage.cache``) by stage name: for hit rates, and to clear between benchmark passes."""
        return {s.name: s.cache for s in self.stages if isinstance(getattr(s, "cache", None), BoundedCache)}

    def clear_caches(self) -> None:
        for cache in self.caches.values():
            cache.clear()

    def __call__(self, doc: Document) -> Document:
        for stage in self.stages:
            started = time.perf_counter()
            doc = stage(doc)
            observe_stage(stage.name, time.perf_counter() - started)
        return doc

    def pipe(self, docs: Iterable[Document], batch_size: int = 32) -> Iterator[Document]:
        # The stages are chained generators, so the time spent pulling from a stage includes its
        # upstream's; each stage's own time is its clock minus the clock of the stream it reads.
        clocks = [_Clock()]
        stream: Iterable[Document] = clocks[0].timed(docs)
        for stage in self.stages:
            clocks.append(_Clock())
            stream = clocks[-1].timed(stage.pipe(stream, batch_size=batch_size))
        try:
            yield from stream
        finally:
            for stage, upstream, own in zip(self.stages, clocks, clocks[1:]):
                observe_stage(stage.name, max(own.seconds - upstream.seconds, 0.0))


class _Clock:
    """Seconds spent inside ``next()`` of one stream (its upstream's time included)."""

    __slots__ = ("seconds",)

    def __init__(self) -> None:
        self.seconds = 0.0

    def timed(self, stream: Iterable[Document]) -> Iterator[Document]:
        it = iter(stream)
        while True:
            started = time.perf_counter()
            try:
                doc = next(it)
            except StopIteration:
                return
            finally:
                self.seconds += time.perf_counter() - started
            yield doc


def make_document(text: str, domain: str | Domain = Domain.JOB, title: str | None = None, doc_id: str | None = None,
                  max_chars: int = 100_000, model_version: str | None = None) -> Document:
    """Validate raw input into a Document (the one text check: :mod:`kgservice.input_validation`), with
    errors a caller can act on."""
    from kgservice.input_validation import check_kind, check_text, check_title

    text = check_text(text, max_chars)
    return Document(text=text, domain=check_kind(domain), title=check_title(title), id=doc_id,
                    model_version=model_version)


@dataclasses.dataclass(frozen=True, slots=True)
class Preset:
    """Which stages a pipeline runs. ``None``: as the settings say (``KG_PIPELINE__SEMANTIC``, ``__EXPANSION``).

    ``expanded=False``: the scorer leaves ``Document.expanded`` empty (graph neighbours still count as
    support for the extracted skills), for callers that write only the extracted skills: ranking
    every document's neighbours was a third of the scorer's time.
    """

    name: str
    semantic: bool | None = None
    expansion: bool | None = None
    trie: bool = True
    expanded: bool = True

    def switched(self, *, semantic: bool | None = None, expansion: bool | None = None, trie: bool | None = None,
                 expanded: bool | None = None) -> Preset:
        """This preset with a caller's switches (a CLI's ``--no-semantic``, a job's configuration) applied."""
        return dataclasses.replace(
            self, semantic=self.semantic if semantic is None else semantic,
            expansion=self.expansion if expansion is None else expansion,
            trie=self.trie if trie is None else trie, expanded=self.expanded if expanded is None else expanded)


# The settings decide: what the API, `kgservice extract` and `kgservice.load` serve.
SERVING = Preset("serving")
# Serving for callers that store only the extracted skills (the nearline worker, co-occurrence counts).
WRITES = Preset("writes", expanded=False)
# No semantic tagger: the API while the semantic stage is off or unavailable, fast tests.
TRIE_ONLY = Preset("trie-only", semantic=False)
# Every stage whatever the settings: training the multitask scorer, offline evaluation.
FULL = Preset("full", semantic=True, expansion=True)
# Both taggers, no graph expansion: the semantic tagger measured on its own candidates.
TAGGERS = Preset("taggers", semantic=True, expansion=False)
# The settings' taggers with graph expansion on: fitting the scorer, whose features include graph support.
WITH_EXPANSION = Preset("with-expansion", expansion=True)
# Stage ablations of bench/quality.py.
NO_EXPANSION = Preset("no-expansion", expansion=False)
SEMANTIC_ONLY = Preset("semantic-only", trie=False)
PRESETS: Mapping[str, Preset] = MappingProxyType({p.name: p for p in (
    SERVING, WRITES, TRIE_ONLY, FULL, TAGGERS, WITH_EXPANSION, NO_EXPANSION, SEMANTIC_ONLY)})


def preset_named(preset: Preset | str) -> Preset:
    if isinstance(preset, Preset):
        return preset
    try:
        return PRESETS[preset]
    except KeyError:
        raise InvalidInput(f"unknown pipeline preset {preset!r}; one of {sorted(PRESETS)}") from None


def build_pipeline(settings: Settings, graph: Graph | None, preset: Preset | str = SERVING, *,
                   taxonomy_version: str | None = None, semantic: bool | None = None,
                   expansion: bool | None = None, trie: bool | None = None, expanded: bool | None = None) -> Pipeline:
    """Sectioner -> TrieTagger -> EmbeddingTagger -> GraphExpander -> scorer (``pipeline.scorer``), per settings.

    ``preset`` (a :class:`Preset` or its name, :data:`PRESETS`) says which stages run; ``semantic``,
    ``expansion``, ``trie`` and ``expanded`` are a caller's switches over it (:meth:`Preset.switched`).

    ``graph=None`` builds from the artifacts of ``taxonomy_version`` alone (``kgservice.load`` when no
    Neo4j answers, docs/python-api.md): expansion then answers from the neighbour snapshot only, and
    is off where the artifacts have none.
    """
    shape = preset_named(preset).switched(semantic=semantic, expansion=expansion, trie=trie, expanded=expanded)
    semantic, expansion, trie, expanded = shape.semantic, shape.expansion, shape.trie, shape.expanded
    cfg = settings.pipeline
    semantic = cfg.semantic if semantic is None else semantic
    expansion = cfg.expansion if expansion is None else expansion
    if graph is None and taxonomy_version is None:
        raise InvalidInput("the pipeline needs the graph, or the taxonomy version of its artifacts")
    version = taxonomy_version or artifacts.taxonomy_version(graph)  # type: ignore[arg-type]
    if graph is not None and taxonomy_version is not None and taxonomy_version != artifacts.taxonomy_version(graph):
        raise InvalidInput(f"taxonomy version {taxonomy_version} is not the graph's ({artifacts.taxonomy_version(graph)})")
    catalog = SkillCatalog.load(artifacts.catalog_path(settings, version))
    stages: list[Stage] = [Sectioner()]
    if cfg.multilingual:
        from kgservice.pipeline.language_detector import LanguageDetector

        stages.insert(0, LanguageDetector())
    if trie or cfg.mentions:  # the mention detector reads the trie's matches
        stages.append(TrieTagger(SkillTrie.load(artifacts.trie_dir(settings, version))))
    if cfg.mentions:
        from kgservice.pipeline.mention_detector import MODEL_ID as MENTIONS_ID
        from kgservice.pipeline.mention_detector import MentionDetector

        stages.append(MentionDetector.load(artifacts.model_dir(settings, MENTIONS_ID), cfg.mention_threshold,
                                           threads=cfg.threads))
        if not trie:
            stages.append(_DropSpans("trie_tagger"))
    threshold = cfg.semantic_threshold if cfg.semantic_threshold is not None else 0.5
    texts = None
    model_version = f"trie@{version}"
    if semantic:
        from kgservice.pipeline.embedding_tagger import load_embedding_tagger

        tagger = load_embedding_tagger(settings, version)
        if cfg.scorer == "multitask":  # the scorer reads the piece vectors the tagger computes
            from kgservice.pipeline.multitask_scorer import SentenceVectorCache

            tagger.encoder = texts = SentenceVectorCache(tagger.encoder)
        if cfg.semantic_floor is not None:
            tagger.threshold = min(tagger.threshold, cfg.semantic_floor)
        threshold = tagger.threshold
        stages.append(tagger)
        if cfg.mentions:
            from kgservice.pipeline.mention_linker import MentionLinker

            linking = tagger
            if cfg.mention_tower != cfg.sentence_tower:
                mention_settings = settings.model_copy(update={"pipeline": cfg.model_copy(
                    update={"sentence_model": "" if cfg.mention_tower == cfg.encoder_model else cfg.mention_tower})})
                linking = load_embedding_tagger(mention_settings, version)
            stages.append(MentionLinker(linking))
            if linking is not tagger:
                int8 = "-int8" if cfg.quantized else ""
                model_version += f"+mentions:{cfg.mention_tower}{int8}"
        int8 = "-int8" if cfg.quantized else ""
        model_version += f"+{cfg.encoder_model}{int8}"
        if cfg.sentence_tower != cfg.encoder_model:  # a sentence-only tower: a model of its own
            model_version += f"+{cfg.sentence_tower}{int8}"
    snapshot = _neighbour_snapshot(settings, version) if expansion else None
    if expansion and graph is None and snapshot is None:
        log.warning("no neighbour snapshot and no graph, so graph expansion is off: run `kgservice index build`")
        expansion = False
    if expansion:
        from kgservice.pipeline.graph_expander import GraphExpander

        stages.append(GraphExpander(graph, per_relation=cfg.expansion_per_relation, catalog=catalog,
                                    snapshot=snapshot, vectors=skill_vectors_or_none(settings, version),
                                    rank=expanded))
    else:
        stages.append(_NoLinks())
    if cfg.scorer == "multitask":
        from kgservice.pipeline.multitask_scorer import load_multitask_scorer

        scorer = load_multitask_scorer(settings, version, catalog, texts, min_score=cfg.min_score,
                                       semantic_threshold=threshold, taxonomies=cfg.taxonomies,
                                       max_expanded=25 if expansion and expanded else 0)
        stages.append(scorer)
        return Pipeline(stages, model_version=f"{model_version}+multitask-{scorer.model.sha256[:8]}")
    weights, fitted_min = load_scorer_weights(artifacts.scorer_weights_path(settings, version))
    min_score = cfg.min_score if cfg.min_score is not None else fitted_min
    stages.append(FeatureScorer(catalog, weights=weights, min_score=min_score, semantic_threshold=threshold,
                                taxonomies=cfg.taxonomies, max_expanded=25 if expansion and expanded else 0,
                                blurb_sections=cfg.blurb_sections, max_skills=cfg.max_skills, mentions=cfg.mentions,
                                priors=_feedback_priors(settings, graph)))
    return Pipeline(stages, model_version=model_version)


def _feedback_priors(settings: Settings, graph: Graph | None):  # noqa: ANN202 - FeedbackPriors | None
    """People's feedback as the scorer's prior, from the graph; None when off or without a graph."""
    cfg = settings.pipeline
    if not cfg.feedback_prior or graph is None:
        return None
    from kgservice.pipeline.feedback_prior import FeedbackPriors, PriorConfig

    return FeedbackPriors.from_graph(graph, cfg.feedback_prior_refresh_s, PriorConfig(
        cfg.feedback_prior_weight, cfg.feedback_prior_bound, cfg.feedback_prior_strength, cfg.feedback_prior_min_count))


def _neighbour_snapshot(settings: Settings, version: str):  # noqa: ANN202 - NeighbourSnapshot | None
    """The taxonomy version's neighbour snapshot, or None (expansion then asks the graph) when it is
    missing or was built with another ``expansion_per_relation``."""
    from kgservice.pipeline.neighbour_snapshot import NeighbourSnapshot

    path = artifacts.neighbours_path(settings, version)
    try:
        snapshot = NeighbourSnapshot.load(path)
    except ArtifactMissing as exc:
        log.warning("%s; until then expansion queries the graph", exc)
        return None
    if snapshot.per_relation != settings.pipeline.expansion_per_relation:
        log.warning("the neighbour snapshot has %d per relation, the pipeline %d, so expansion queries the graph: "
                    "run `kgservice index build`", snapshot.per_relation, settings.pipeline.expansion_per_relation)
        return None
    return snapshot


def skill_vectors_or_none(settings: Settings, version: str):  # noqa: ANN201 - SkillVectors | None
    """Every skill's vector (built with the vector index), or None with a warning: expansion then ranks a
    group's members by shared groups instead of meaning, and cannot weigh links by fit."""
    from kgservice.inference.skill_vectors import load_skill_vectors

    try:
        return load_skill_vectors(settings, version)
    except ArtifactMissing as exc:
        log.warning("%s; expansion ranks neighbours without them", exc)
        return None


# Weights fitted on the development splits ship with the package (``kgservice models fit-scorer --ship``),
# so a checkout without those (unlicensed) splits still scores with them.
SHIPPED_SCORER_WEIGHTS = data_path("resources", "scorer")


def load_scorer_weights(path: Path, encoder_model: str | None = None) -> tuple[ScorerWeights, float]:
    """The scorer's weights and minimum score: a local fit (``kgservice models fit-scorer``) at ``path``,
    else the fit shipped for the same sentence tower, else hand-set defaults (with a warning).

    A file fitted over other features than :data:`~kgservice.pipeline.scorer.FEATURES` (an older
    scorer) is skipped with a warning: its weights would leave the new features at defaults.
    """
    from kgservice.pipeline.scorer import FEATURES

    for candidate in (path, SHIPPED_SCORER_WEIGHTS / path.name):
        if not candidate.exists():
            continue
        data = json.loads(candidate.read_text())
        if tuple(data.get("features", ())) != FEATURES:
            log.warning("scorer weights at %s were fitted over other features (%s): skipped; rerun "
                        "`kgservice models fit-scorer`", candidate, data.get("features", "unknown"))
            continue
        return ScorerWeights(**data["weights"]), float(data["min_score"])
    log.warning("no fitted scorer weights at %s: hand-set defaults apply (run `kgservice models fit-scorer`)", path)
    return ScorerWeights(), 0.5


class _DropSpans:
    """Removes a span group after the stages that needed it: a pipeline without the trie as a tagger
    still runs it for the mention detector's input, then drops its matches before scoring."""

    requires: frozenset[str] = frozenset()
    assigns: frozenset[str] = frozenset()

    def __init__(self, group: str) -> None:
        self.group = group
        self.name = f"drop_{group}"

    def __call__(self, doc: Document) -> Document:
        return dataclasses.replace(doc, spans=MappingProxyType({k: v for k, v in doc.spans.items() if k != self.group}))

    def pipe(self, docs: Iterable[Document], batch_size: int = 32) -> Iterator[Document]:
        return (self(d) for d in docs)


class _NoLinks:
    """Stands in for the expander when expansion is off, so the scorer's input is always complete."""

    name = "no_expansion"
    requires: frozenset[str] = frozenset()
    assigns = frozenset({"links"})

    def __call__(self, doc: Document) -> Document:
        return dataclasses.replace(doc, links=())

    def pipe(self, docs: Iterable[Document], batch_size: int = 32) -> Iterator[Document]:
        return (self(d) for d in docs)
