"""Writes documents and their extracted skills to the graph: the one write path for every caller.

The GraphQL ``upsertDocument`` mutation, the nearline worker and the Spark batch job all call
:func:`write_documents` with one or many :class:`DocumentWrite` s; it sends them in one
``UNWIND $rows`` statement (``kgservice/cypher/write_documents.cypher``), so each call is one transaction:

- a document is ``(:Document:Job|:Profile|:Course|:Post {key: "<kind>:<id>"})``;
- a document whose stored ``version`` is newer than the write's is left alone (the result says
  which documents were applied), so late or replayed messages cannot overwrite newer extractions;
- its ``HAS_SKILL {source: 'extraction'}`` edges are replaced in the same transaction: edges to skills
  no longer extracted are deleted and the others merged, so readers never see it without skills and a
  repeated write creates and deletes nothing;
- edges that came from feedback or assessments (other ``source`` values) are never touched.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from kgservice.document import Document, Domain, ScoredSkill
from kgservice.errors import InvalidInput
from kgservice.graph.cypher import Query
from kgservice.graph.driver import WRITE_RETRY, Graph
from kgservice.input_validation import check_id, check_kind, check_title, check_version
from kgservice.retry import Backoff

LABELS = {Domain.JOB: "Job", Domain.PROFILE: "Profile", Domain.COURSE: "Course", Domain.POST: "Post"}
MAX_DOCS_PER_CALL = 1000


def document_key(kind: Domain | str, doc_id: str) -> str:
    """The unique key of a document node: ``"<kind>:<id>"``, e.g. ``"job:123"``."""
    return f"{Domain(kind).value}:{doc_id}"


@dataclass(frozen=True, slots=True)
class SkillWrite:
    skill_id: str
    score: float
    relation: str
    method: str
    section: str | None = None

    @classmethod
    def from_scored(cls, skill: ScoredSkill) -> SkillWrite:
        return cls(skill.skill_id, float(skill.score), skill.relation.value, skill.method.value, skill.section)


@dataclass(frozen=True, slots=True)
class DocumentWrite:
    """One document's extraction, as written to the graph."""

    kind: Domain
    id: str
    version: int
    model_version: str
    skills: tuple[SkillWrite, ...]
    title: str | None = None
    # Epoch ms stamped on the node and its edges; None: the time of the write.
    updated_at: int | None = None
    # ISO 639-1 code of the text the skills came from, stamped on the node and its edges, so a
    # taxonomist can tell (and filter) what came from, say, German postings.
    language: str | None = None

    @classmethod
    def from_document(cls, doc: Document, version: int, *, with_expansion: bool = False,
                      updated_at: int | None = None) -> DocumentWrite:
        if doc.id is None:
            raise InvalidInput("a document needs an id to be written to the graph")
        skills = doc.skills + (doc.expanded if with_expansion else ())
        return cls(doc.domain, doc.id, version, doc.model_version or "unknown",
                   tuple(SkillWrite.from_scored(s) for s in skills), doc.title, updated_at, doc.language)


@dataclass(frozen=True, slots=True)
class WriteResult:
    key: str
    applied: bool
    written: int
    stored_version: int


@dataclass(slots=True)
class WriteReport:
    results: list[WriteResult] = field(default_factory=list)

    @property
    def applied(self) -> list[str]:
        return [r.key for r in self.results if r.applied]

    @property
    def ignored(self) -> list[str]:
        return [r.key for r in self.results if not r.applied]


def document_row(doc: DocumentWrite, now_ms: int) -> dict[str, object]:
    """One document as an entry of ``write_documents.cypher``'s ``$rows`` (also the Parquet bulk format).

    Checked as every way in checks it (:mod:`kgservice.input_validation`), whoever built the write.
    """
    kind = check_kind(doc.kind)
    check_id(doc.id)
    check_title(doc.title)
    try:
        check_version(doc.version)
        if doc.updated_at is not None:
            check_version(doc.updated_at, "updatedAt")
    except InvalidInput as exc:
        raise InvalidInput(f"{kind.value} {doc.id!r}: {exc}") from None
    best: dict[str, SkillWrite] = {}
    for s in doc.skills:  # one edge per skill: keep the best-scored evidence
        if s.skill_id not in best or s.score > best[s.skill_id].score:
            best[s.skill_id] = s
    return {"key": document_key(kind, doc.id), "kind": kind.value, "label": LABELS[kind], "id": doc.id,
            "title": doc.title, "version": doc.version, "modelVersion": doc.model_version,
            "updatedAt": doc.updated_at if doc.updated_at is not None else now_ms, "language": doc.language,
            "skills": [{"skillId": s.skill_id, "score": s.score, "relation": s.relation, "method": s.method,
                        "section": s.section} for s in best.values()]}


def write_documents(graph: Graph, docs: Iterable[DocumentWrite], retry: Backoff | None = WRITE_RETRY) -> WriteReport:
    """Write one or many documents' skills in one transaction; returns which were applied.

    When the same document appears more than once, only its highest version is sent. The statement
    takes each document's lock before it reads the stored version, so of two concurrent writers the
    newer version always ends up stored and the older one is answered ``applied: false`` if it came
    second; rows go in key order, so two batches lock the documents they share in the same order.
    ``retry``: :meth:`Graph.write`'s retries; ``None`` for a caller that retries the whole call itself.
    """
    now_ms = int(time.time() * 1000)
    latest: dict[str, dict[str, object]] = {}
    for doc in docs:
        row = document_row(doc, now_ms)
        key = str(row["key"])
        if key not in latest or int(row["version"]) >= int(latest[key]["version"]):  # type: ignore[call-overload]
            latest[key] = row
    rows: Sequence[dict[str, object]] = [latest[key] for key in sorted(latest)]
    if len(rows) > MAX_DOCS_PER_CALL:
        raise InvalidInput(f"{len(rows)} documents in one write; the limit is {MAX_DOCS_PER_CALL}")
    if not rows:
        return WriteReport()
    records = graph.write(Query.WRITE_DOCUMENTS, retry_=retry, rows=rows)
    return WriteReport([WriteResult(r["key"], bool(r["applied"]), int(r["written"]), int(r["storedVersion"]))
                        for r in records])
