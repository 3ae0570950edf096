"""The Python API: ``nlp = kgservice.load()``, then ``nlp(text, domain="job").skills`` or ``nlp.pipe(texts)``.

:func:`load` assembles the same pipeline the CLI, the API, the nearline worker and the Spark job run
(:func:`kgservice.pipeline.build.build_pipeline`) against the configured Neo4j: the project-started
server, or ``NEO4J_URI``. When no Neo4j answers it assembles it from the built artifacts alone (trie,
catalog, vector index, neighbour snapshot under ``KG_HOME``), reading the taxonomy version from the
artifacts folder instead of the graph. What that costs is in :attr:`SkillExtractor.notes` and
docs/python-api.md.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from typing import Self

from kgservice.document import Document, Domain
from kgservice.errors import ArtifactMissing, GraphUnavailable
from kgservice.graph.driver import CredentialsRefused, Graph
from kgservice.inference import artifacts
from kgservice.pipeline.build import SERVING, Pipeline, build_pipeline, make_document
from kgservice.settings import Settings

log = logging.getLogger("kgservice")

OFFLINE_NOTE = ("no Neo4j: built from the artifacts of taxonomy {version}; graph expansion answers from the "
                "neighbour snapshot only, and writes and graph queries are unavailable")


class SkillExtractor:
    """A loaded pipeline, and the graph it was built against (None when it was built from artifacts alone).

    Call it on a text for one :class:`~kgservice.document.Document`; ``pipe`` streams many in batches.
    Thread-safe for concurrent calls, as the API server uses the same pipeline.
    """

    def __init__(self, settings: Settings, pipeline: Pipeline, graph: Graph | None, taxonomy_version: str,
                 notes: Iterable[str] = ()) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.graph = graph
        self.taxonomy_version = taxonomy_version
        self.notes: tuple[str, ...] = tuple(notes)

    @property
    def offline(self) -> bool:
        """True when built from the artifacts alone, without a graph."""
        return self.graph is None

    @property
    def model_version(self) -> str:
        return self.pipeline.model_version

    def make_doc(self, text: str, domain: str | Domain = Domain.JOB, *, title: str | None = None,
                 id: str | None = None) -> Document:  # noqa: A002 - the Document's own field name
        """A validated, unprocessed Document (``InvalidInput`` says what is wrong): for ``pipe`` over
        documents of several domains, or with titles and ids."""
        return make_document(text, domain, title, id, self.settings.pipeline.max_chars, self.model_version)

    def __call__(self, text: str | Document, domain: str | Domain = Domain.JOB, *, title: str | None = None,
                 id: str | None = None) -> Document:  # noqa: A002
        doc = text if isinstance(text, Document) else self.make_doc(text, domain, title=title, id=id)
        return self.pipeline(doc)

    def pipe(self, texts: Iterable[str | Document], domain: str | Domain = Domain.JOB, *,
             batch_size: int = 32) -> Iterator[Document]:
        """Documents in input order, processed in batches (the encoder and the index see a batch at once).
        Strings are ``domain`` documents; Documents from :meth:`make_doc` keep their own domain."""
        docs = (t if isinstance(t, Document) else self.make_doc(t, domain) for t in texts)
        return self.pipeline.pipe(docs, batch_size=batch_size)

    def require_graph(self) -> Graph:
        """The graph, for writes and graph queries; ``GraphUnavailable`` when built without one."""
        if self.graph is None:
            raise GraphUnavailable("this extractor was built from artifacts alone (no Neo4j answered at load "
                                   "time): writes and graph queries need `kgservice.load(offline=False)` with "
                                   "Neo4j running")
        return self.graph

    def close(self) -> None:
        if self.graph is not None:
            self.graph.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        where = "artifacts only" if self.offline else self.graph.uri  # type: ignore[union-attr]
        return f"<SkillExtractor {self.model_version} ({where}): {' -> '.join(self.pipeline.names)}>"


def load(settings: Settings | None = None, *, offline: bool | None = None, semantic: bool | None = None,
         expansion: bool | None = None, taxonomy_version: str | None = None) -> SkillExtractor:
    """The extraction pipeline as a callable, against the configured Neo4j or from the artifacts alone.

    ``offline``: None (default) uses Neo4j when it answers and falls back to the artifacts (with a
    warning and a note) when it does not; False requires Neo4j; True never connects. Neo4j refusing the
    credentials is an error in every mode: that is a configuration to fix, not an outage.
    ``taxonomy_version`` picks the artifacts when several were built (default: the most recent).
    ``semantic`` and ``expansion`` override ``KG_PIPELINE__SEMANTIC`` / ``KG_PIPELINE__EXPANSION``.
    """
    settings = settings or Settings()
    graph: Graph | None = None
    notes: list[str] = []
    if not offline:
        try:
            graph = Graph.connect(settings, fail_fast=True)
        except CredentialsRefused:
            raise
        except GraphUnavailable as exc:
            if offline is False:
                raise
            log.warning("Neo4j does not answer (%s): building the pipeline from the artifacts alone", exc)
    try:
        if graph is None:
            version = taxonomy_version or _latest_built_version(settings)
            notes.append(OFFLINE_NOTE.format(version=version))
        else:
            version = artifacts.taxonomy_version(graph)
        # With a graph, a given version must be the graph's (build_pipeline checks).
        pipeline = build_pipeline(settings, graph, SERVING, semantic=semantic, expansion=expansion,
                                  taxonomy_version=version if graph is None else taxonomy_version)
    except BaseException:
        if graph is not None:
            graph.close()
        raise
    if "graph_expander" not in pipeline.names and (settings.pipeline.expansion if expansion is None else expansion):
        notes.append("graph expansion is off: these artifacts have no neighbour snapshot (`kgservice index build`)")
    return SkillExtractor(settings, pipeline, graph, version, notes)


def _latest_built_version(settings: Settings) -> str:
    built = artifacts.built_versions(settings)
    if not built:
        raise ArtifactMissing(f"no Neo4j answered and no artifacts are built under {settings.home / 'artifacts'}: "
                              "start Neo4j (`kgservice neo4j start`), load the taxonomy and run `kgservice index build`")
    if len(built) > 1:
        log.warning("artifacts of %d taxonomy versions under %s; using the most recently built, %s (pass "
                    "taxonomy_version= to choose)", len(built), settings.home / "artifacts", built[0])
    return built[0]
