"""The vendored corpora as skill sets: the shipped pipeline run over SkillSpan's postings and SkillSkape's sentences.

A document's skill set holds the skills the pipeline returns (weight 1.0) and the candidates its
scorer put below the cut but at or above ``related.candidate_cut`` (``related.candidate_weight``;
kgservice/settings.py says why). Documents: SkillSpan's train and dev postings (198, whole postings
rebuilt from its sentences) and SkillSkape's train and dev sentences (7,669), all as job postings.

Extraction takes minutes, so each document's set is appended to a JSON Lines file under the
taxonomy version's artifacts as soon as it is known; the file is named after the pipeline's model
version and the scorer's cut, so a run that was cut short resumes after the documents already
there, and another model or cut starts a file of its own. The package ships the file the shipped models
give (``kgservice/resources/related/``, gzipped, same name), so a fresh install starts from it instead
of nine minutes of extraction on two cores; any other model or cut extracts as before.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import importlib.resources
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from kgservice.evaluation import load_skillspan
from kgservice.graph.driver import Graph
from kgservice.inference import artifacts
from kgservice.pipeline.scorer import FeatureScorer, sigmoid
from kgservice.related.cooccurrence import SkillSet
from kgservice.settings import Settings

SPLITS = ("train", "dev")


@dataclass(frozen=True, slots=True)
class CorpusDocument:
    id: str
    text: str


def corpus_documents(settings: Settings) -> list[CorpusDocument]:
    """SkillSpan's postings and SkillSkape's sentences (train and dev), in file order."""
    data = settings.training_data
    docs = [CorpusDocument(f"skillspan:{split}:{p.id}", p.text)
            for split in SPLITS for p in load_skillspan(data / "skillspan" / f"{split}.json")]
    for split in SPLITS:
        with open(data / "skillskape" / f"{split}.csv", encoding="utf-8", newline="") as fh:
            docs.extend(CorpusDocument(f"skillskape:{split}:{row['']}", row["sentence"])
                        for row in csv.DictReader(fh) if row["sentence"].strip())
    return docs


def document_skill_set(scorer: FeatureScorer, doc, cut: float, candidate_weight: float) -> dict[str, float]:  # noqa: ANN001
    """``doc`` (through every stage but the scorer) -> its returned skills at 1.0 and candidates at ``candidate_weight``."""
    scored = scorer(doc)
    skills = {s.skill_id: 1.0 for s in scored.skills}
    primary = scorer.primary_taxonomy
    logit = scorer.weights.logit
    for sid, x in scorer.features(doc).items():
        if sid in skills or (primary is not None and scorer.catalog[sid].taxonomy != primary):
            continue
        if sigmoid(logit(x)) >= cut:
            skills[sid] = candidate_weight
    return skills


def cache_path(settings: Settings, version: str, model_version: str, min_score: float) -> Path:
    cfg = settings.related
    key = f"{model_version}|{min_score}|{cfg.candidate_cut}|{cfg.candidate_weight}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:12]
    return artifacts.taxonomy_dir(settings, version) / "related" / f"corpus-skills-{digest}.jsonl"


def corpus_skill_sets(settings: Settings, graph: Graph, console: Console, limit: int | None = None,
                      cache: Path | None = None) -> Iterator[SkillSet]:
    """Every corpus document's skill set (the first ``limit``), extracting those the cache lacks first (with
    progress); ``cache``: another file than the model's own under the artifacts (tests)."""
    from kgservice.pipeline.build import WRITES, Pipeline, build_pipeline, make_document

    pipeline = build_pipeline(settings, graph, WRITES)
    scorer = pipeline.stages[-1]
    if type(scorer) is not FeatureScorer:
        raise TypeError("corpus co-occurrence reads the first scorer's probabilities (KG_PIPELINE__SCORER=feature)")
    version = artifacts.taxonomy_version(graph)
    path = cache or cache_path(settings, version, pipeline.model_version, scorer.min_score)
    docs = corpus_documents(settings)[:limit]
    if not path.exists():
        _seed_from_package(path)
    done = _read_cache(path)
    todo = [d for d in docs if d.id not in done]
    if todo:
        head = Pipeline(pipeline.stages[:-1], pipeline.model_version)
        cfg = settings.related
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and path.stat().st_size and not path.read_bytes().endswith(b"\n"):
            with open(path, "ab") as fh:  # end the half line a killed run left, so the next one parses
                fh.write(b"\n")
        columns = (TextColumn("corpus extraction"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
        with open(path, "a", encoding="utf-8") as out, Progress(*columns, console=console) as bar:
            task = bar.add_task("extract", total=len(docs), completed=len(docs) - len(todo))
            stream = (make_document(d.text, "job", doc_id=d.id, model_version=pipeline.model_version) for d in todo)
            for doc in head.pipe(stream, batch_size=32):
                skills = document_skill_set(scorer, doc, cfg.candidate_cut, cfg.candidate_weight)
                out.write(json.dumps({"id": doc.id, "skills": skills}) + "\n")
                out.flush()  # a run cut short keeps every finished document
                done[str(doc.id)] = skills
                bar.advance(task)
    else:
        console.print(f"corpus extraction: {len(docs)} documents already in {path}")
    for d in docs:
        yield done[d.id]


def shipped_cache(name: str) -> Path | None:
    """The packaged, gzipped corpus skill sets of that cache file name, if the package ships them."""
    shipped = Path(str(importlib.resources.files("kgservice") / "resources" / "related" / f"{name}.gz"))
    return shipped if shipped.is_file() else None


def _seed_from_package(path: Path) -> None:
    shipped = shipped_cache(path.name)
    if shipped is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_suffix(".seeding")
    with gzip.open(shipped, "rb") as src, open(scratch, "wb") as dst:
        shutil.copyfileobj(src, dst)
    scratch.replace(path)  # whole or not at all: a half-copied seed would read as finished documents


def _read_cache(path: Path) -> dict[str, dict[str, float]]:
    out: dict[str, dict[str, float]] = {}
    if not path.exists():
        return out
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            try:
                row = json.loads(line)
            except json.JSONDecodeError:  # the last line of a run killed mid-write
                continue
            out[row["id"]] = {str(k): float(v) for k, v in row["skills"].items()}
    return out
