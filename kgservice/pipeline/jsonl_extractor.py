"""The batch contract: JSON Lines in, JSON Lines out, same order, resumable.

Input lines are ``{"id", "text", "domain"}``; output lines are ``{"id", "skills": [...]}`` with the
extracted skills only (no expansion), highest score first. A line that cannot be processed gets
``{"id", "skills": [], "error": "..."}`` so the output stays aligned with the input. When ``out``
already holds N lines, the first N inputs are skipped and the rest appended, so an interrupted run
continues where it stopped.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from typing import Any

from kgservice.document import Document, ScoredSkill
from kgservice.errors import InvalidInput
from kgservice.pipeline.build import Pipeline, make_document
from kgservice.settings import Settings


@dataclass(slots=True)
class JsonlReport:
    written: int = 0
    skipped: int = 0
    failed: int = 0


def skill_json(skill: ScoredSkill) -> dict[str, Any]:
    """One skill as the batch contract (and the CLI's --json) writes it."""
    return {"id": skill.skill_id, "name": skill.name, "taxonomy": skill.taxonomy, "score": skill.score,
            "relation": skill.relation.value, "method": skill.method.value, "spans": [list(s) for s in skill.spans],
            "alsoIn": list(skill.also_in)}


def _count_lines(path: Path) -> int:
    if not path.exists():
        return 0
    with open(path, "rb") as fh:
        return sum(1 for line in fh if line.endswith(b"\n"))


def extract_jsonl(pipeline: Pipeline, src: str | Path, out: str | Path, settings: Settings, console: Console,
                  batch_size: int = 32) -> JsonlReport:
    src, out = Path(src), Path(out)
    report = JsonlReport(skipped=_count_lines(out))
    with open(src, "rb") as fh:
        total = sum(1 for _ in fh)
    with open(src, encoding="utf-8", errors="strict") as fin, open(out, "a", encoding="utf-8") as fout, Progress(
        TextColumn("extract"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console) as progress:
        task = progress.add_task("extract", total=total, completed=report.skipped)
        lines = enumerate(islice(fin, report.skipped, None), start=report.skipped + 1)
        while chunk := list(islice(lines, batch_size)):
            results: list[dict | None] = []
            docs: list[Document] = []
            for lineno, line in chunk:
                record = None
                try:
                    record = json.loads(line)
                    docs.append(make_document(record.get("text", ""), record.get("domain", "job"), record.get("title"),
                                              record.get("id"), settings.pipeline.max_chars, pipeline.model_version))
                    results.append(None)
                except (json.JSONDecodeError, InvalidInput, AttributeError) as exc:
                    rid = record.get("id") if isinstance(record, dict) else None
                    results.append({"id": rid, "skills": [], "error": f"line {lineno}: {exc}"})
                    report.failed += 1
            done: Iterator[Document] = pipeline.pipe(docs, batch_size=batch_size)
            for slot in results:
                payload = slot if slot is not None else _payload(next(done))
                fout.write(json.dumps(payload, ensure_ascii=False) + "\n")
                report.written += 1
            fout.flush()
            progress.advance(task, len(chunk))
    return report


def _payload(doc: Document) -> dict:
    return {"id": doc.id, "skills": [skill_json(s) for s in doc.skills]}
