"""RELATED_TO edges from co-occurrence in the graph: read the documents' skill sets, write an edge set.

An edge set belongs to one ``source`` ("corpus": the vendored SkillSpan and SkillSkape text run through
the pipeline; "documents": the graph's own documents). Writing one is idempotent and replaces the
previous one of the same source: every edge is merged with the set's generation (a digest of the
edges), then the source's edges of other generations are deleted. A write cut short leaves the old
and some new edges; rerunning it finishes the job (same edges, same generation).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from kgservice.graph.cypher import Query
from kgservice.graph.driver import Graph
from kgservice.related.cooccurrence import RelatedEdge, generation

SOURCES = ("corpus", "documents")
PAGE = 2000


def document_skill_sets(graph: Graph, page: int = PAGE) -> Iterator[tuple[str, list[str]]]:
    """``(document key, canonical skill ids)`` of every document, in key order, ``page`` documents per query."""
    after = ""
    while True:
        rows = graph.read(Query.GET_DOCUMENT_SKILL_SETS, after=after, limit=page)
        for r in rows:
            yield r["key"], list(r["skills"])
        if len(rows) < page:
            return
        after = rows[-1]["key"]


def write_related(graph: Graph, edges: Sequence[RelatedEdge], source: str, batch_size: int = 5000,
                  progress: Callable[[int], None] | None = None) -> tuple[int, int]:
    """Replace ``source``'s RELATED_TO edges with ``edges``; returns ``(written, deleted)``."""
    if source not in SOURCES:
        raise ValueError(f"unknown related-skills source {source!r}; use one of {', '.join(SOURCES)}")
    stamp = generation(edges)
    written = 0
    for start in range(0, len(edges), batch_size):
        chunk = [e.row() for e in edges[start:start + batch_size]]
        rows = graph.write(Query.MERGE_RELATED_SKILLS, rows=chunk, source=source, generation=stamp)
        written += int(rows[0]["written"]) if rows else 0
        if progress is not None:
            progress(len(chunk))
    deleted = graph.write(Query.DELETE_STALE_RELATED, source=source, generation=stamp)
    return written, int(deleted[0]["deleted"]) if deleted else 0
