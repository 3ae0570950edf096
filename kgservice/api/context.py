"""The typed per-request GraphQL context, and the process-wide services it points to.

:class:`Services` is built once in the app's lifespan (one Neo4j driver per process, one pipeline);
:class:`Context` is built per request by ``app.KgGraphQL.get_context`` with fresh DataLoaders.
Resolvers take ``info: strawberry.Info[Context]``.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import anyio.to_thread
from starlette.requests import Request
from starlette.responses import Response

from kgservice.api.access import Caller
from kgservice.api.dataloaders import Loaders
from kgservice.api.semantic import SemanticBackend, semantic_backend
from kgservice.errors import ArtifactMissing, GraphUnavailable
from kgservice.graph.driver import Graph
from kgservice.settings import Settings
from kgservice.telemetry.prometheus_metrics import watch_pipeline

log = logging.getLogger("kgservice.api")


@dataclass(slots=True)
class PipelineState:
    pipeline: Any = None
    semantic: SemanticBackend | None = None
    # Why the semantic tagger is off ("" when on): settings, or the missing artifact.
    semantic_note: str = ""
    error: str | None = None
    built_at: float | None = None


class Services:
    """Process-wide: settings, the graph (one driver), the extraction pipeline (built lazily)."""

    def __init__(self, settings: Settings, graph: Graph) -> None:
        self.settings = settings
        self.graph = graph
        self.state = PipelineState()
        self._lock = threading.Lock()
        self._titles: Any = None
        self._suggester: Any = None
        self._vectors: Any = None  # False: looked, none built

    def _build(self) -> PipelineState:
        from kgservice.pipeline.build import SERVING, TRIE_ONLY, build_pipeline

        settings = self.settings
        note = ""
        if not settings.pipeline.semantic:
            note = "semantic tagger off (KG_PIPELINE__SEMANTIC=false)"
            pipeline = build_pipeline(settings, self.graph, TRIE_ONLY)
        else:
            try:
                pipeline = build_pipeline(settings, self.graph, SERVING)
            except GraphUnavailable:
                raise
            except (ArtifactMissing, ImportError, FileNotFoundError) as exc:
                # The trie still works; say loudly that meaning-based matching is off and why.
                note = f"semantic tagger unavailable ({exc}); running trie only"
                log.warning(note)
                pipeline = build_pipeline(settings, self.graph, TRIE_ONLY)
        watch_pipeline(pipeline)  # its caches and model version in /metrics
        backend = semantic_backend(pipeline)
        if backend is None and not note:
            note = "the pipeline's embedding tagger offers no search interface"
        return PipelineState(pipeline, backend, note, None, time.time())

    def pipeline_state(self) -> PipelineState:
        """The built pipeline, building it on first use (blocking; call from a worker thread)."""
        if self.state.pipeline is not None:
            return self.state
        with self._lock:
            if self.state.pipeline is None:
                try:
                    self.state = self._build()
                except Exception as exc:
                    self.state = PipelineState(error=f"{type(exc).__name__}: {exc}")
                    raise
        return self.state

    def skill_vectors(self) -> Any:
        """Every skill's vector (kgservice/inference/skill_vectors.py), loaded on first use; None, and
        expandSkills then ranks without similarity, when ``kgservice index build`` has not written them."""
        if self._vectors is None:
            from kgservice.inference import artifacts
            from kgservice.pipeline.build import skill_vectors_or_none

            with self._lock:
                if self._vectors is None:
                    self._vectors = skill_vectors_or_none(self.settings, artifacts.taxonomy_version(self.graph)) or False
        return self._vectors or None

    def titles(self) -> Any:
        """The process's TitleNormalizer (kgservice/graph/occupation_titles.py); its models load on first use."""
        if self._titles is None:
            from kgservice.graph.occupation_titles import TitleNormalizer

            with self._lock:
                if self._titles is None:
                    self._titles = TitleNormalizer(self.settings, self.graph)
        return self._titles

    def feedback_changed(self) -> None:
        """Feedback was written: the scorer reloads its feedback prior before the next document."""
        for stage in getattr(self.state.pipeline, "stages", ()):
            priors = getattr(stage, "priors", None)
            if priors is not None:
                priors.mark_stale()

    def suggester(self) -> Any:
        """The process's skill autocomplete (kgservice/graph/skill_suggester.py); built on first use (blocking)."""
        if self._suggester is None:
            from kgservice.graph.skill_suggester import SuggesterHolder

            with self._lock:
                if self._suggester is None:
                    self._suggester = SuggesterHolder(self.graph)
        return self._suggester.get()

    async def pipeline(self) -> PipelineState:
        if self.state.pipeline is not None:
            return self.state
        return await anyio.to_thread.run_sync(self.pipeline_state)

    def neo4j_status(self) -> dict[str, Any]:
        started = time.perf_counter()
        try:
            self.graph.driver.verify_connectivity()
            return {"ok": True, "uri": self.graph.uri, "latencyMs": round((time.perf_counter() - started) * 1e3, 1)}
        except Exception as exc:  # any failure means "not usable"; the message says which
            return {"ok": False, "uri": self.graph.uri,
                    "error": f"Neo4j at {self.graph.uri} does not answer: {type(exc).__name__}: {exc}"}


@dataclass(slots=True)
class Context:
    """Everything a resolver may use; built per request."""

    request: Request
    response: Response | None
    services: Services
    loaders: Loaders
    # Who sent the request (kgservice/api/access.py); None only for a GET that renders the console page.
    caller: Caller | None = None
    started: float = field(default_factory=time.perf_counter)

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def graph(self) -> Graph:
        return self.services.graph

    async def run(self, fn: Any, *args: Any) -> Any:
        """Run a blocking graph or pipeline call in a worker thread."""
        return await anyio.to_thread.run_sync(fn, *args)
