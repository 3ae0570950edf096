"""``kgservice graph related``: count co-occurrences, weigh them, write the RELATED_TO edge sets.

Two sources, each its own edge set (kgservice/graph/related_skills.py): ``corpus``, the vendored
SkillSpan postings and SkillSkape sentences run through the shipped pipeline (kgservice/related/corpus.py,
resumable), and ``documents``, the skill sets of the documents the graph holds (every one counts 1.0
per skill: the graph stores only returned skills). The Spark job recomputes ``documents`` after each
batch run (kgservice/batch/related_job.py).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from kgservice.graph.driver import Graph
from kgservice.graph.related_skills import document_skill_sets, write_related
from kgservice.related.cooccurrence import PairCounts, RelatedEdge, related_edges
from kgservice.settings import Settings


@dataclass(frozen=True, slots=True)
class RelatedReport:
    source: str
    documents: int
    skills: int
    pairs: int  # pairs seen in at least related.min_documents documents
    edges: int
    deleted: int
    seconds: float

    def line(self) -> str:
        return (f"{self.source}: {self.documents} documents, {self.skills} skills, {self.pairs} pairs in enough "
                f"documents -> {self.edges} RELATED_TO edges written, {self.deleted} stale ones deleted, in "
                f"{self.seconds:.1f}s")


def graph_document_counts(graph: Graph) -> PairCounts:
    """Co-occurrence counts of the graph's documents (those with at least one skill)."""
    return PairCounts().add_all({sid: 1.0 for sid in skills} for _, skills in document_skill_sets(graph) if skills)


def write_edge_set(graph: Graph, settings: Settings, source: str, edges: Sequence[RelatedEdge], counts: PairCounts,
                   console: Console, started: float) -> RelatedReport:
    """Write one source's edges with a progress bar, and say what was written."""
    columns = (TextColumn(f"RELATED_TO {source}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("write", total=len(edges))
        written, deleted = write_related(graph, edges, source, settings.related.write_batch,
                                         progress=lambda n: bar.advance(task, n))
    pairs = sum(1 for _, docs in counts.pairs.values() if docs >= settings.related.min_documents)
    return RelatedReport(source, counts.documents, len(counts.marginals), pairs, written, deleted,
                         time.perf_counter() - started)


def edges_of(counts: PairCounts, settings: Settings) -> list[RelatedEdge]:
    cfg = settings.related
    return related_edges(counts, min_documents=cfg.min_documents, shrink=cfg.shrink, top_k=cfg.top_k)


def build_related(settings: Settings, graph: Graph, console: Console, *, sources: Iterable[str] = ("corpus", "documents"),
                  limit: int | None = None) -> list[RelatedReport]:
    """Rebuild the edge set of each of ``sources``; ``limit`` takes only the first corpus documents (smoke runs)."""
    from kgservice.related.corpus import corpus_skill_sets

    reports = []
    for source in sources:
        started = time.perf_counter()
        if source == "corpus":
            counts = PairCounts().add_all(corpus_skill_sets(settings, graph, console, limit))
        elif source == "documents":
            counts = graph_document_counts(graph)
        else:
            raise ValueError(f"unknown related-skills source {source!r}")
        report = write_edge_set(graph, settings, source, edges_of(counts, settings), counts, console, started)
        console.print(report.line())
        reports.append(report)
    return reports
