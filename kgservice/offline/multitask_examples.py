"""Training examples of the multitask scorer: labelled documents, then every candidate as one row.

Label sources and the weak relation rule: docs/multitask-scorer.md.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from kgservice.document import Document, Domain, Relation
from kgservice.errors import InvalidInput
from kgservice.evaluation import Example
from kgservice.graph.cypher import Query
from kgservice.graph.driver import Graph
from kgservice.pipeline.build import Pipeline, make_document
from kgservice.pipeline.multitask_scorer import DOMAINS, MANUAL_FEATURES, RELATIONS, SentenceVectorCache, describe
from kgservice.pipeline.scorer import FeatureScorer
from kgservice.pipeline.skill_catalog import SkillCatalog

# Headers that frame a SkillSkape sentence as a document of another domain (docs/multitask-scorer.md, source 2).
FRAMES: Mapping[Domain, tuple[str, ...]] = {
    Domain.PROFILE: ("Skills", "Work experience", "Summary"),
    Domain.COURSE: ("Prerequisites", "Learning objectives", "Course description"),
    Domain.POST: ("",),
}


# -- labelled documents ----------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class LabelledDoc:
    """A document and what is known about its skills.

    Attributes:
        positives: Relevant skill ids.
        negatives: Irrelevant skill ids; ``None`` means the positives are complete, so every other
            candidate is negative (SkillSkape gold).
        relations: Relation labels that override the weak rule (feedback, occupations).
        source: Label source, counted in the manifest.
    """

    doc: Document
    positives: frozenset[str]
    negatives: frozenset[str] | None = None
    relations: Mapping[str, Relation] = field(default_factory=dict)
    source: str = "skillskape"


def frame(sentence: str, domain: Domain, variant: int) -> str:
    """``sentence`` as a document of ``domain`` (source 2 of docs/multitask-scorer.md)."""
    if domain is Domain.JOB:
        return sentence
    header = FRAMES[domain][variant % len(FRAMES[domain])]
    return f"{header}\n{sentence}" if header else sentence


def skillskape_docs(examples: Sequence[Example], framed: bool = True) -> list[LabelledDoc]:
    """Each sentence as a job document, plus (``framed``) once as a profile, course or post in turn."""
    out = [LabelledDoc(make_document(e.sentence, Domain.JOB), e.gold, source="skillskape") for e in examples]
    if framed:
        others = DOMAINS[1:]
        for i, e in enumerate(examples):
            domain = others[i % len(others)]
            out.append(LabelledDoc(make_document(frame(e.sentence, domain, i // len(others)), domain), e.gold,
                                   source=f"skillskape-framed:{domain.value}"))
    return out


def read_texts(path: Path) -> dict[str, dict[str, Any]]:
    """Document key -> ``{"text", "title", "kind"}`` from a JSON Lines file of ``{"id", "kind", "text", "title"}``."""
    from kgservice.graph.document_writer import document_key

    out: dict[str, dict[str, Any]] = {}
    with open(path, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                kind = Domain(row.get("kind") or row.get("domain") or "job")
                out[document_key(kind, str(row["id"]))] = {"text": row["text"], "title": row.get("title"),
                                                           "kind": kind}
            except (json.JSONDecodeError, KeyError, ValueError, TypeError) as exc:
                raise InvalidInput(f"{path}:{lineno}: {exc!r}") from None
    return out


def occupation_relations(graph: Graph, titles: Iterable[str]) -> dict[str, dict[str, str]]:
    """Lower-cased title -> {skill id: "essential"|"optional"} for titles naming an occupation."""
    wanted = sorted({t.strip().lower() for t in titles if t and t.strip()})
    out: dict[str, dict[str, str]] = {}
    if not wanted:
        return out
    for r in graph.read(Query.GET_OCCUPATION_SKILL_RELATIONS, titles=wanted):
        slot = out.setdefault(r["title"], {})
        if slot.get(r["skillId"]) != "essential":  # essential for one matching occupation wins
            slot[r["skillId"]] = r["relation"]
    return out


def feedback_docs(graph: Graph, texts: Mapping[str, Mapping[str, Any]],
                  console: Console | None = None) -> tuple[list[LabelledDoc], dict[str, int]]:
    """Documents with human labels in the graph whose text is in ``texts`` (source 3), and counts."""
    kinds = {d.value for d in Domain}
    rows = [r for r in graph.read(Query.GET_FEEDBACK_LABELS) if r["kind"] in kinds]
    by_key: dict[str, dict[str, Any]] = {}
    for r in rows:
        entry = by_key.setdefault(r["key"], {"kind": r["kind"], "title": r["title"], "pos": {}, "neg": set()})
        if not r["positive"]:
            entry["neg"].add(r["skillId"])
        elif r["source"] == "assessment" and not r["verified"]:
            continue  # an unverified assessment says nothing either way
        else:
            relation = r["relation"] or (Relation.CORE.value if r["source"] == "assessment" else None)
            if r["source"] == "feedback" or entry["pos"].get(r["skillId"]) is None:  # a recruiter's relation wins
                entry["pos"][r["skillId"]] = relation
    docs: list[LabelledDoc] = []
    counts = Counter(labelled_documents=len(by_key), labels=len(rows))
    for key, entry in by_key.items():
        found = texts.get(key)
        if found is None:
            counts["skipped_no_text"] += 1
            continue
        domain = Domain(entry["kind"])
        doc = make_document(found["text"], domain, found.get("title") or entry["title"], key.split(":", 1)[1])
        negatives = frozenset(entry["neg"])
        positives = frozenset(entry["pos"]) - negatives  # a rejection outranks an older acceptance/assessment
        relations = {sid: Relation(rel) for sid, rel in entry["pos"].items()
                     if rel in {r.value for r in Relation} and sid in positives}
        docs.append(LabelledDoc(doc, positives, negatives, relations, source="feedback"))
    if console is not None:
        console.print(f"feedback: {counts['labelled_documents']} labelled documents in the graph "
                      f"({counts['labels']} labels), {len(docs)} with text, {counts['skipped_no_text']} without")
    return docs, dict(counts)


def add_occupation_relations(graph: Graph, docs: Sequence[LabelledDoc]) -> tuple[list[LabelledDoc], int]:
    """Occupation-derived relation labels (source 4) for titled documents; returns the labels added."""
    by_title = occupation_relations(graph, (d.doc.title for d in docs if d.doc.title))
    out, added = [], 0
    for d in docs:
        relations = dict(d.relations)
        for sid, rel in by_title.get((d.doc.title or "").strip().lower(), {}).items():
            if rel == "essential" and sid in d.positives and sid not in relations:
                relations[sid] = Relation.REQUIRED if d.doc.domain is Domain.JOB else Relation.CORE
                added += 1
        out.append(LabelledDoc(d.doc, d.positives, d.negatives, relations, d.source) if relations != d.relations else d)
    return out, added


# -- examples ---------------------------------------------------------------------------------------
@dataclass(slots=True)
class ExampleSet:
    """Candidates as rows: indices into shared vector tables plus manual features and labels."""

    texts: np.ndarray  # [T, d]: row 0 is the zero vector (no title)
    skills: np.ndarray  # [S, d]
    text_idx: np.ndarray  # [N] int64
    title_idx: np.ndarray  # [N] int64, 0 = no title
    skill_idx: np.ndarray  # [N] int64
    manual: np.ndarray  # [N, m] float32
    domain: np.ndarray  # [N] int64, index into DOMAINS
    relevance: np.ndarray  # [N] float32, NaN = unlabelled
    relation: np.ndarray  # [N] int64, -1 = unlabelled
    doc_idx: np.ndarray  # [N] int64
    skill_ids: list[str]
    sources: Counter[str]

    def __len__(self) -> int:
        return len(self.text_idx)

    def rows(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Network inputs (text, title, skill, manual, domain) of rows ``idx``."""
        return (self.texts[self.text_idx[idx]], self.texts[self.title_idx[idx]], self.skills[self.skill_idx[idx]],
                self.manual[idx], self.domain[idx])


def rule(manual_row: np.ndarray) -> Relation:
    required = MANUAL_FEATURES.index("rule_required")
    core = MANUAL_FEATURES.index("rule_core")
    return Relation.REQUIRED if manual_row[required] else Relation.CORE if manual_row[core] else Relation.MENTIONED


def collect(pipeline: Pipeline, scorer: FeatureScorer, catalog: SkillCatalog, cache: SentenceVectorCache,
            labelled: Sequence[LabelledDoc], *, batch_size: int = 64, console: Console | None = None,
            description: str = "candidates") -> ExampleSet:
    """Run ``pipeline`` (stages up to the links) over ``labelled`` and describe every candidate.

    ``cache`` should be the embedding tagger's encoder (so pieces are encoded once); it also
    encodes the titles and skill labels.
    """
    text_pos: dict[str, int] = {}
    skill_pos: dict[str, int] = {}
    text_idx, title_idx, skill_idx, domain, relevance, relation, doc_idx = ([] for _ in range(7))
    manual: list[np.ndarray] = []
    sources: Counter[str] = Counter()

    def position(table: dict[str, int], key: str) -> int:
        return table.setdefault(key, len(table) + 1)  # 0 is reserved for "none"

    columns = (TextColumn(f"[bold]{description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console or Console(quiet=True), transient=False,
                  disable=console is None) as bar:
        task = bar.add_task(description, total=len(labelled))
        docs = pipeline.pipe((d.doc for d in labelled), batch_size=batch_size)
        for i, (doc, lab) in enumerate(zip(docs, labelled, strict=True)):
            bar.advance(task)
            cands = describe(scorer, catalog, doc)
            if not len(cands):
                continue
            d = DOMAINS.index(doc.domain)
            title = position(text_pos, doc.title) if doc.title and doc.title.strip() else 0
            for j, sid in enumerate(cands.skill_ids):
                if sid in lab.positives:
                    y = 1.0
                elif lab.negatives is None or sid in lab.negatives:
                    y = 0.0
                else:
                    y = math.nan
                rel = lab.relations.get(sid) or (rule(cands.manual[j]) if y == 1.0 else None)
                text_idx.append(position(text_pos, cands.contexts[j]))
                title_idx.append(title)
                skill_idx.append(position(skill_pos, sid))
                domain.append(d)
                relevance.append(y)
                relation.append(RELATIONS.index(rel) if rel is not None else -1)
                doc_idx.append(i)
                sources[lab.source] += 1
            manual.append(cands.manual)
    dim = cache.dimension
    texts = np.zeros((len(text_pos) + 1, dim), dtype=np.float32)
    if text_pos:
        texts[1:] = cache.encode(list(text_pos))
    skills = np.zeros((len(skill_pos) + 1, dim), dtype=np.float32)
    skill_ids = [""] + list(skill_pos)
    if skill_pos:
        # Skill labels go through a memo of their own, as at serving time (MultitaskScorer.labels).
        skills[1:] = SentenceVectorCache(cache.inner, None).encode([catalog[s].name for s in skill_pos])
    m = len(MANUAL_FEATURES)
    return ExampleSet(texts, skills, np.asarray(text_idx, dtype=np.int64), np.asarray(title_idx, dtype=np.int64),
                      np.asarray(skill_idx, dtype=np.int64),
                      np.vstack(manual).astype(np.float32) if manual else np.zeros((0, m), dtype=np.float32),
                      np.asarray(domain, dtype=np.int64), np.asarray(relevance, dtype=np.float32),
                      np.asarray(relation, dtype=np.int64), np.asarray(doc_idx, dtype=np.int64), skill_ids, sources)
