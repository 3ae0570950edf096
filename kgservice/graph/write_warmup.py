"""Warms a freshly started Neo4j's write path before edits arrive.

A JVM that has just started runs the document write interpreted until its JIT compilers catch up,
and on two cores the compilers take the CPU the writes need: replaying nearline edits at 100/s right
after a restart, Neo4j's compiler threads used 12-16 s of CPU in the 20 s replay and writes queued
for seconds (``bench/neo4j_warmup.py``; README, How Neo4j is run here). So before traffic,
:func:`warm_write_path` replays ``write_documents.cypher`` on synthetic documents:

- first in transactions that are rolled back (:meth:`Graph.rehearse`): the same plan and operators,
  on the skills documents link to most and on stored documents, and nothing commits, so this part
  is safe against any server;
- then, for ``commit_s`` of it, committed writes of a few scratch documents (ids ``kgservice-warmup-*``),
  revised again and again and deleted at the end: the commit (transaction log, store and index
  updates), which a rollback never reaches. With it the first writes after a restart ran at p99
  18 ms instead of 94-161 (same benchmark). The scratch documents are visible while it runs, so
  ``kgservice neo4j start`` does it before reporting the server ready, and ``neo4j warm`` against an
  external server only when asked.

Either part takes the locks of what it touches for the milliseconds a transaction lasts: run it
before traffic, not under it.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

from kgservice.document import Domain
from kgservice.graph.cypher import Query
from kgservice.graph.document_writer import DocumentWrite, SkillWrite, document_row
from kgservice.input_validation import MAX_VERSION_AHEAD_MS, now_ms
from kgservice.graph.driver import Graph

# Reserved for the synthetic documents: inside rolled-back transactions, and the committed phase's scratch.
WARMUP_ID_PREFIX = "kgservice-warmup-"
SCRATCH_DOCUMENTS = 4
SKILL_POOL = 5000
DOCUMENT_POOL = 1000
SKILLS_PER_DOCUMENT = 15  # the nearline workload's documents carry 15.7 on average (bench/graph_write.py)
RELATIONS = ("required", "core", "mentioned")


@dataclass(frozen=True, slots=True)
class WarmupReport:
    transactions: int  # rolled back
    statements: int
    seconds: float
    skills: int
    committed: int = 0  # the committed phase's writes


def _document(rng: random.Random, n: int, skills: list[str], version: int,
              keep: tuple[SkillWrite, ...] = (), kind: Domain | None = None) -> DocumentWrite:
    kept = list(keep[: len(keep) * 2 // 3])  # a revision keeps most edges and replaces the rest
    fresh = [SkillWrite(s, round(rng.random(), 4), rng.choice(RELATIONS), rng.choice(("trie", "semantic")),
                        rng.choice(("body", "requirements", None)))
             for s in rng.sample(skills, SKILLS_PER_DOCUMENT - len(kept))]
    return DocumentWrite(kind or rng.choice(list(Domain)), f"{WARMUP_ID_PREFIX}{n}", version, "warmup",
                         tuple(kept + fresh), title=None, updated_at=version)


def warm_write_path(graph: Graph, seconds: float, console: Console | None = None, seed: int = 7,
                    commit_s: float = 0.0) -> WarmupReport:
    """Warm for ``seconds`` in all. Rolled back: each transaction creates 1-4 documents, revises
    them, sends an older version that must be ignored, and rewrites up to two stored documents (the
    branches of the write). Then the last ``commit_s`` of it commit revisions of the scratch
    documents, which are deleted at the end. A graph without skills is left alone (nothing to write
    edges to)."""
    skills = [r["id"] for r in graph.read(Query.GET_WARMUP_SKILL_IDS, limit=SKILL_POOL)]
    if len(skills) < SKILLS_PER_DOCUMENT or seconds <= 0:
        return WarmupReport(0, 0, 0.0, len(skills))
    commit_s = min(max(commit_s, 0.0), seconds)
    documents = graph.read(Query.GET_WARMUP_DOCUMENTS, limit=DOCUMENT_POOL)
    rng = random.Random(seed)
    # The newest version a write may carry (kgservice/input_validation.py): not older than any stored
    # version, so the rehearsed rewrite of a stored document applies.
    stored_version = now_ms() + MAX_VERSION_AHEAD_MS
    transactions = statements = committed = 0
    started = time.monotonic()
    with Progress(TextColumn("warming Neo4j's write path"), BarColumn(), TextColumn("{task.fields[tx]} transactions"),
                  TimeRemainingColumn(), console=console or Console(stderr=True), transient=True) as progress:
        task = progress.add_task("warm", total=seconds, tx=0)
        while (elapsed := time.monotonic() - started) < seconds - commit_s:
            first = [_document(rng, n, skills, version=2) for n in range(rng.choice((1, 2, 4)))]
            revised = [_document(rng, n, skills, version=3, keep=d.skills) for n, d in enumerate(first)]
            stale = [_document(rng, n, skills, version=1) for n in range(len(first))]
            # A stored document rewritten (any version wins: nothing commits) reads and deletes stored edges.
            stored = [DocumentWrite(Domain(d["kind"]), d["id"], stored_version, "warmup",
                                    _document(rng, 0, skills, 0).skills, updated_at=0)
                      for d in rng.sample(documents, min(2, len(documents)))]
            batches = [[document_row(d, 0) for d in docs] for docs in (first, revised, stale, stored) if docs]
            graph.rehearse([(Query.WRITE_DOCUMENTS, {"rows": rows}) for rows in batches])
            transactions += 1
            statements += len(batches)
            progress.update(task, completed=min(elapsed, seconds), tx=transactions)
        if commit_s > 0:
            graph.write(Query.DELETE_DOCUMENTS_BY_ID_PREFIX, prefix=WARMUP_ID_PREFIX)
            try:
                last: dict[int, tuple[SkillWrite, ...]] = {}
                kinds = list(Domain)
                while (elapsed := time.monotonic() - started) < seconds:
                    committed += 1
                    docs = [_document(rng, n, skills, committed, last.get(n, ()), kinds[n % len(kinds)])
                            for n in rng.sample(range(SCRATCH_DOCUMENTS), rng.choice((1, 2, 4)))]
                    last.update((int(d.id.removeprefix(WARMUP_ID_PREFIX)), d.skills) for d in docs)
                    graph.write(Query.WRITE_DOCUMENTS, rows=[document_row(d, 0) for d in docs])
                    progress.update(task, completed=min(elapsed, seconds), tx=transactions + committed)
            finally:
                graph.write(Query.DELETE_DOCUMENTS_BY_ID_PREFIX, prefix=WARMUP_ID_PREFIX)
    return WarmupReport(transactions, statements, time.monotonic() - started, len(skills), committed)
