"""Expansion through the Skills Graph: parents, children, siblings, same-group and SAME_AS skills.

At most one Cypher round trip per batch of documents (``cypher/expand_neighbours.cypher``), for
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

from kgservice.bounded_cache import BoundedCache
from kgservice.document import Document, GraphLink
from kgservice.graph.cypher import Query
from kgservice.graph.driver import Graph
from kgservice.pipeline.base import StageBase


class GraphExpander(StageBase):
    """Requires: sections, and any tagger span groups. Assigns: links."""

    name = "graph_expander"
    requires = frozenset({"sections"})
    assigns = frozenset({"links"})

    def __init__(self, graph: Graph, per_relation: int = 5, max_seeds: int = 40, cache_size: int = 50_000) -> None:
        self._graph = graph
        self._per_relation = per_relation
        self._max_seeds = max_seeds
        self.cache: BoundedCache[str, tuple[GraphLink, ...]] = BoundedCache(cache_size)

    def seeds(self, doc: Document) -> list[str]:
        best: dict[str, float] = defaultdict(float)
        for span in doc.all_spans():
            best[span.skill_id] = max(best[span.skill_id], span.score)
        return [sid for sid, _ in sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[: self._max_seeds]]

    def neighbours(self, seeds: Iterable[str]) -> dict[str, tuple[GraphLink, ...]]:
        return self.cache.get_or_compute(seeds, self._fetch)

    def _fetch(self, seeds: list[str]) -> dict[str, tuple[GraphLink, ...]]:
        fetched: dict[str, list[GraphLink]] = {s: [] for s in seeds}
        for r in self._graph.read(Query.EXPAND_NEIGHBOURS, ids=seeds, limit=self._per_relation):
            fetched[r["seed"]].append(GraphLink(r["seed"], r["id"], r["name"], r["taxonomy"], r["relation"],
                                                int(r["support"])))
        return {s: tuple(links) for s, links in fetched.items()}

    def __call__(self, doc: Document) -> Document:
        return next(self.pipe([doc]))

    def pipe(self, docs: Iterable[Document], batch_size: int = 32) -> Iterator[Document]:
        batch: list[Document] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= batch_size:
                yield from self._expand(batch)
                batch = []
        if batch:
            yield from self._expand(batch)

    def _expand(self, docs: Sequence[Document]) -> Iterator[Document]:
        seeds = [self.seeds(d) for d in docs]
        links = self.neighbours(s for group in seeds for s in group)
        for doc, group in zip(docs, seeds, strict=True):
            yield dataclasses.replace(doc, links=tuple(link for s in group for link in links[s]))
