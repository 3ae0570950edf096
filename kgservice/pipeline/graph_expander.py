"""Expansion through the Skills Graph: parents, children, siblings, same-group and SAME_AS skills.

Neighbours come from the taxonomy version's snapshot (:mod:`kgservice.pipeline.neighbour_snapshot`,
built by ``kgservice index build``) when the pipeline has one; otherwise, and for seeds the snapshot
lacks, at most one Cypher round trip per batch of documents (``kgservice/cypher/expand_neighbours.cypher``) for
the seeds not already cached: a skill's neighbours change only when the taxonomy is reloaded, and
the pipeline is rebuilt then, so an in-process LRU cache per seed is safe and removes most graph
work for the skills that recur across documents. The neighbours are recorded as
:class:`GraphLink` s; the scorer turns them into graph support for extracted skills and into
``method=expansion`` skills, so expansion never masquerades as extraction.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from kgservice.bounded_cache import BoundedCache
from kgservice.document import Document, GraphLink
from kgservice.graph.driver import Graph
from kgservice.graph.skill_queries import expansion_neighbours
from kgservice.pipeline.base import StageBase, batches
from kgservice.pipeline.neighbour_snapshot import NeighbourSnapshot
from kgservice.pipeline.skill_catalog import SkillCatalog


class GraphExpander(StageBase):
    """Requires: sections, and any tagger span groups. Assigns: links."""

    name = "graph_expander"
    requires = frozenset({"sections"})
    assigns = frozenset({"links"})

    def __init__(self, graph: Graph | None, per_relation: int = 5, max_seeds: int = 40, cache_size: int = 50_000,
                 snapshot: NeighbourSnapshot | None = None, catalog: SkillCatalog | None = None) -> None:
        """``snapshot`` (with the ``catalog`` that names its skills): answer from it instead of the
        graph; seeds it lacks still go to the graph, or have no neighbours when ``graph`` is None."""
        if snapshot is not None and (catalog is None or snapshot.per_relation != per_relation):
            raise ValueError("a neighbour snapshot needs its catalog and the per_relation it was built with")
        if graph is None and snapshot is None:
            raise ValueError("the expander needs the graph or a neighbour snapshot")
        self._graph = graph
        self._snapshot, self._catalog = snapshot, catalog
        self._per_relation = per_relation
        self._max_seeds = max_seeds
        self.cache: BoundedCache[str, tuple[GraphLink, ...]] = BoundedCache(cache_size)
        self._prefetch: ThreadPoolExecutor | None = None

    def seeds(self, doc: Document) -> list[str]:
        best: dict[str, float] = defaultdict(float)
        for span in doc.all_spans():
            best[span.skill_id] = max(best[span.skill_id], span.score)
        return [sid for sid, _ in sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[: self._max_seeds]]

    def neighbours(self, seeds: Iterable[str]) -> dict[str, tuple[GraphLink, ...]]:
        return self.cache.get_or_compute(seeds, self._fetch)

    def _fetch(self, seeds: list[str]) -> dict[str, tuple[GraphLink, ...]]:
        out: dict[str, tuple[GraphLink, ...]] = {}
        if self._snapshot is not None and self._catalog is not None:
            snapshot, catalog = self._snapshot, self._catalog
            for seed in seeds:
                if seed in snapshot:
                    out[seed] = tuple(GraphLink(seed, i, (e := catalog[i]).name, e.taxonomy, relation, support)
                                      for i, relation, support in snapshot.neighbours(seed))
            seeds = [s for s in seeds if s not in out]
            if not seeds:
                return out
        return out | self._query(seeds)

    def _query(self, seeds: list[str]) -> dict[str, tuple[GraphLink, ...]]:
        if self._graph is None:  # built from the artifacts alone: the snapshot is all there is
            return {seed: () for seed in seeds}
        found = expansion_neighbours(self._graph, seeds, self._per_relation)
        return {seed: tuple(GraphLink(seed, i, name, taxonomy, relation, int(support))
                            for i, name, taxonomy, relation, support in neighbours)
                for seed, neighbours in found.items()}

    def __call__(self, doc: Document) -> Document:
        seeds = self.seeds(doc)
        links = self.neighbours(seeds)
        return dataclasses.replace(doc, links=tuple(link for s in seeds for link in links[s]))

    def pipe(self, docs: Iterable[Document], batch_size: int = 32) -> Iterator[Document]:
        """Expand in batches, each batch's graph query running while the next batch is pulled.

        Pulling a batch runs the stages upstream (the encoder, on this process's CPU) while Neo4j
        answers the previous batch's query on its own: the query is sent from a helper thread and the
        batch is yielded once the next one has been pulled. A stream of one batch (the API, a worker's
        read) is expanded and yielded as before, with no waiting. With a neighbour snapshot the
        answers come from memory, so each batch is expanded in the calling thread: the hand-off to
        the helper and back cost more than the look-ups.
        """
        pending: tuple[list[Document], list[list[str]], Future[dict[str, tuple[GraphLink, ...]]]] | None = None
        for batch in batches(docs, batch_size):
            seeds = [self.seeds(d) for d in batch]
            flat = [s for group in seeds for s in group]
            if self._snapshot is not None:
                future: Future[dict[str, tuple[GraphLink, ...]]] = Future()
                future.set_result(self.neighbours(flat))
            else:
                if self._prefetch is None:
                    self._prefetch = ThreadPoolExecutor(max_workers=1, thread_name_prefix="graph-expander")
                future = self._prefetch.submit(self.neighbours, flat)
            if pending is not None:
                yield from self._attach(*pending)
            pending = (batch, seeds, future)
        if pending is not None:
            yield from self._attach(*pending)

    @staticmethod
    def _attach(docs: Sequence[Document], seeds: Sequence[Sequence[str]],
                found: Future[dict[str, tuple[GraphLink, ...]]]) -> Iterator[Document]:
        links = found.result()
        for doc, group in zip(docs, seeds, strict=True):
            yield dataclasses.replace(doc, links=tuple(link for s in group for link in links[s]))
