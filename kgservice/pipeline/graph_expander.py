"""Expansion through the Skills Graph: parents, children, siblings, same-group and SAME_AS skills.

One Cypher round trip per document (``cypher/expand_neighbours.cypher``) for all its tagged skills.
The neighbours are recorded as :class:`GraphLink` s; the scorer turns them into graph support for
extracted skills and into ``method=expansion`` skills, so expansion never masquerades as extraction.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict

from kgservice.document import Document, GraphLink
from kgservice.graph.cypher import Query
from kgservice.graph.driver import Graph
from kgservice.pipeline.base import StageBase


class GraphExpander(StageBase):
    """Requires: sections, and any tagger span groups. Assigns: links."""

    name = "graph_expander"
    requires = frozenset({"sections"})
    assigns = frozenset({"links"})

    def __init__(self, graph: Graph, per_relation: int = 5, max_seeds: int = 40) -> None:
        self._graph = graph
        self._per_relation = per_relation
        self._max_seeds = max_seeds

    def seeds(self, doc: Document) -> list[str]:
        best: dict[str, float] = defaultdict(float)
        for span in doc.all_spans():
            best[span.skill_id] = max(best[span.skill_id], span.score)
        return [sid for sid, _ in sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[: self._max_seeds]]

    def __call__(self, doc: Document) -> Document:
        seeds = self.seeds(doc)
        if not seeds:
            return dataclasses.replace(doc, links=())
        rows = self._graph.read(Query.EXPAND_NEIGHBOURS, ids=seeds, limit=self._per_relation)
        links = tuple(GraphLink(r["seed"], r["id"], r["name"], r["taxonomy"], r["relation"], int(r["support"]))
                      for r in rows)
        return dataclasses.replace(doc, links=links)
