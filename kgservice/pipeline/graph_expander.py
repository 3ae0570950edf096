"""Expansion through the Skills Graph: parents, children, siblings, same-group, SAME_AS and related skills.

Neighbours come from the taxonomy version's snapshot (:mod:`kgservice.pipeline.neighbour_snapshot`,
built by ``kgservice index build``) when the pipeline has one; otherwise, and for seeds the snapshot
lacks, at most one Cypher round trip per batch of documents (``kgservice/cypher/expand_neighbours.cypher``) for
the seeds not already cached: a skill's neighbours change only when the taxonomy is reloaded, and
the pipeline is rebuilt then, so an in-process LRU cache per seed is safe and removes most graph
work for the skills that recur across documents. The neighbours are recorded as
:class:`GraphLink` s; the scorer turns them into graph support for extracted skills and into
``method=expansion`` skills, so expansion never masquerades as extraction.

**Relevance.** Which members of a seed's group or parent the expander considers is decided by
meaning (the snapshot and the query keep those nearest the seed: :func:`rank_neighbours`); how far
each expanded skill fits *this* document is decided here, per document: with the skill vectors, a
link's ``weight`` becomes its edge weight (a BROADER edge's confidence, a related skill's
co-occurrence weight; cypher/expand_neighbours.cypher) times the fit (clipped cosine) of the neighbour
to the document's profile, the weighted mean of its candidate
skills' vectors (each weighted by its best span score). The scorer ranks expanded skills by seed
score x relation prior x that weight (kgservice/graph/expansion_scoring.py), so a same-group skill that fits the posting outranks one that
only shares a group with one of its skills.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

from kgservice.bounded_cache import BoundedCache
from kgservice.document import Document, GraphLink
from kgservice.graph.driver import Graph
from kgservice.graph.expansion_scoring import fit
from kgservice.graph.skill_queries import expansion_neighbours
from kgservice.inference.skill_vectors import SkillVectors
from kgservice.pipeline.base import StageBase, batches
from kgservice.pipeline.neighbour_snapshot import NeighbourSnapshot
from kgservice.pipeline.skill_catalog import SkillCatalog


class GraphExpander(StageBase):
    """Requires: sections, and any tagger span groups. Assigns: links."""

    name = "graph_expander"
    requires = frozenset({"sections"})
    assigns = frozenset({"links"})

    def __init__(self, graph: Graph | None, per_relation: int = 5, max_seeds: int = 40, cache_size: int = 50_000,
                 snapshot: NeighbourSnapshot | None = None, catalog: SkillCatalog | None = None,
                 vectors: SkillVectors | None = None, rank: bool = True) -> None:
        """``snapshot`` (with the ``catalog`` that names its skills): answer from it instead of the
        graph; seeds it lacks still go to the graph, or have no neighbours when ``graph`` is None.
        ``vectors``: rank neighbours by meaning and, when ``rank``, weigh each document's links by how
        well they fit it (module docstring); ``rank=False`` for callers that never read expanded skills
        (the links then only count as graph support)."""
        if snapshot is not None and (catalog is None or snapshot.per_relation != per_relation):
            raise ValueError("a neighbour snapshot needs its catalog and the per_relation it was built with")
        if graph is None and snapshot is None:
            raise ValueError("the expander needs the graph or a neighbour snapshot")
        self._graph = graph
        self._snapshot, self._catalog = snapshot, catalog
        self._per_relation = per_relation
        self._max_seeds = max_seeds
        self.vectors = vectors
        self._rank = rank and vectors is not None
        self.cache: BoundedCache[str, tuple[GraphLink, ...]] = BoundedCache(cache_size)
        self._prefetch: ThreadPoolExecutor | None = None

    def seeds(self, doc: Document) -> list[str]:
        return list(self._seed_scores(doc))

    def _seed_scores(self, doc: Document) -> dict[str, float]:
        """The document's best-scored span skills (at most ``max_seeds``), best first, with their best span score."""
        best: dict[str, float] = defaultdict(float)
        for span in doc.all_spans():
            best[span.skill_id] = max(best[span.skill_id], span.score)
        return dict(sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[: self._max_seeds])

    def weigh(self, seeds: dict[str, float], links: tuple[GraphLink, ...]) -> tuple[GraphLink, ...]:
        """``links`` with ``weight`` x the fit of each neighbour to the profile of ``seeds`` (expansion_scoring.fit)."""
        if not self._rank or not links or self.vectors is None:
            return links
        profile = self.vectors.profile(seeds)
        if profile is None:
            return links
        cosines = self.vectors.cosines([link.skill_id for link in links], profile)
        return tuple(dataclasses.replace(link, weight=round(link.weight * fit(cosines.get(link.skill_id)), 4))
                     for link in links)

    def neighbours(self, seeds: Iterable[str]) -> dict[str, tuple[GraphLink, ...]]:
        return self.cache.get_or_compute(seeds, self._fetch)

    def _fetch(self, seeds: list[str]) -> dict[str, tuple[GraphLink, ...]]:
        out: dict[str, tuple[GraphLink, ...]] = {}
        if self._snapshot is not None and self._catalog is not None:
            snapshot, catalog = self._snapshot, self._catalog
            for seed in seeds:
                if seed in snapshot:
                    out[seed] = tuple(GraphLink(seed, i, (e := catalog[i]).name, e.taxonomy, relation, support, weight)
                                      for i, relation, support, weight in snapshot.neighbours(seed))
            seeds = [s for s in seeds if s not in out]
            if not seeds:
                return out
        return out | self._query(seeds)

    def _query(self, seeds: list[str]) -> dict[str, tuple[GraphLink, ...]]:
        if self._graph is None:  # built from the artifacts alone: the snapshot is all there is
            return {seed: () for seed in seeds}
        found = expansion_neighbours(self._graph, seeds, self._per_relation, self.vectors)
        return {seed: tuple(GraphLink(seed, i, name, taxonomy, relation, int(support), weight)
                            for i, name, taxonomy, relation, support, weight in neighbours)
                for seed, neighbours in found.items()}

    def __call__(self, doc: Document) -> Document:
        seeds = self._seed_scores(doc)
        links = self.neighbours(seeds)
        return dataclasses.replace(doc, links=self.weigh(seeds, tuple(link for s in seeds for link in links[s])))

    def pipe(self, docs: Iterable[Document], batch_size: int = 32) -> Iterator[Document]:
        """Expand in batches, each batch's graph query running while the next batch is pulled.

        Pulling a batch runs the stages upstream (the encoder, on this process's CPU) while Neo4j
        answers the previous batch's query on its own: the query is sent from a helper thread and the
        batch is yielded once the next one has been pulled. A stream of one batch (the API, a worker's
        read) is expanded and yielded as before, with no waiting. With a neighbour snapshot the
        answers come from memory, so each batch is expanded in the calling thread: the hand-off to
        the helper and back cost more than the look-ups.
        """
        pending: tuple[list[Document], list[dict[str, float]], Future[dict[str, tuple[GraphLink, ...]]]] | None = None
        for batch in batches(docs, batch_size):
            seeds = [self._seed_scores(d) for d in batch]
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

    def _attach(self, docs: Sequence[Document], seeds: Sequence[dict[str, float]],
                found: Future[dict[str, tuple[GraphLink, ...]]]) -> Iterator[Document]:
        links = found.result()
        for doc, group in zip(docs, seeds, strict=True):
            yield dataclasses.replace(doc, links=self.weigh(group, tuple(link for s in group for link in links[s])))
