"""Implied skills: recall on the hand-written check set ``bench/data/implied_skills.jsonl``.

Run: ``.venv/bin/python bench/implied.py [--show] [--json PATH]`` (Neo4j up, artifacts built).

Every sentence describes an activity and leaves its skills unnamed (see ``bench/data/README.md``), so
this measures what the semantic side infers, not what the trie matches. Each sentence is passed with
its own domain. Systems, all in one run:

1. **kgservice as shipped**: ``build_pipeline(Settings(), graph)``, both taxonomies, the shipped cut.
2. **ESCO ranking, no cut**: taxonomies ``["esco"]``, ``min_score`` 0: every ESCO candidate, best first.
3. **baseline**: plain all-MiniLM-L6-v2 cosine ranking of the ESCO preferred labels, top 10
   (``minilm_baseline`` of ``bench/quality.py``); it ignores the domain.

Expected labels map to ESCO ids like ``kgservice.evaluation.label_resolver`` (preferred label, then
alias, case-insensitive); one that does not map stays in the denominators as a miss. A returned skill
counts under its own id and the ids in ``also_in``, so a Lightcast result with an ESCO twin still
finds the ESCO skill. Figures are micro-averaged over expected skills; "hit@5" is the share of
sentences with at least one expected skill in the first five. The set a system returns is its whole
list (the baseline's is its top 10), so the no-cut row's set recall is that of every candidate.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.quality import minilm_baseline, with_pipeline  # noqa: E402
from kgservice.evaluation import label_resolver  # noqa: E402
from kgservice.graph.cypher import Query  # noqa: E402
from kgservice.graph.driver import Graph  # noqa: E402
from kgservice.pipeline.build import Pipeline, build_pipeline, make_document  # noqa: E402
from kgservice.settings import Settings  # noqa: E402

DATA = ROOT / "bench" / "data" / "implied_skills.jsonl"
DOMAINS = ("job", "profile", "course", "post")
SHIPPED, NO_CUT, BASELINE = "kgservice as shipped", "ESCO ranking, no cut", "baseline: MiniLM cosine, ESCO labels"

# Per sentence, best first: each returned skill as its id followed by its twins' ids.
Ranking = list[tuple[str, ...]]
Predict = Callable[[list[dict]], list[Ranking]]


@dataclass
class Figures:
    recall: float
    r5: float
    r10: float
    hit5: float
    returned: float
    seconds: float
    r5_vs_base: float | None = None
    r5_by_domain: dict[str, float] = field(default_factory=dict)


def load(path: Path, resolve: dict[str, str]) -> tuple[list[dict], list[tuple[str, str]]]:
    rows, unmapped = [], []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        row["gold"] = [resolve.get(label.casefold()) for label in row["expected"]]
        unmapped += [(row["id"], label) for label, sid in zip(row["expected"], row["gold"]) if sid is None]
        rows.append(row)
    return rows, unmapped


def pipeline_predictor(pipeline: Pipeline, names: dict[str, str]) -> Predict:
    def predict(rows: list[dict]) -> list[Ranking]:
        docs = [make_document(r["text"], r["domain"]) for r in rows]
        out = []
        for doc in pipeline.pipe(docs, batch_size=32):
            for s in doc.skills:
                names.setdefault(s.skill_id, s.name)
            out.append([(s.skill_id, *s.also_in) for s in doc.skills])
        return out

    return predict


def baseline_predictor(settings: Settings, esco: list[dict]) -> Predict:
    ranked = minilm_baseline(settings, esco)

    def predict(rows: list[dict]) -> list[Ranking]:
        return [[(sid,) for sid in ids] for ids in ranked([r["text"] for r in rows])]

    return predict


def found(gold: Sequence[str | None], ranking: Ranking, k: int | None = None) -> int:
    returned = {sid for ids in ranking[:k] for sid in ids}
    return sum(1 for sid in gold if sid is not None and sid in returned)


def figures(rows: list[dict], preds: list[Ranking], seconds: float) -> Figures:
    total = sum(len(r["gold"]) for r in rows)
    by_domain = {}
    for d in DOMAINS:
        picked = [(r, p) for r, p in zip(rows, preds) if r["domain"] == d]
        if picked:
            by_domain[d] = sum(found(r["gold"], p, 5) for r, p in picked) / sum(len(r["gold"]) for r, _ in picked)
    return Figures(
        recall=sum(found(r["gold"], p) for r, p in zip(rows, preds)) / total,
        r5=sum(found(r["gold"], p, 5) for r, p in zip(rows, preds)) / total,
        r10=sum(found(r["gold"], p, 10) for r, p in zip(rows, preds)) / total,
        hit5=sum(1 for r, p in zip(rows, preds) if found(r["gold"], p, 5)) / len(rows),
        returned=sum(len(p) for p in preds) / len(rows),
        seconds=seconds,
        r5_by_domain=by_domain,
    )


def show(console: Console, rows: list[dict], preds: dict[str, list[Ranking]], names: dict[str, str]) -> None:
    console.print("each sentence: expected skills, then each system's top 5 ('+' marks an expected skill)")
    for i, row in enumerate(rows):
        console.print(f"\n[bold]{row['id']}[/bold] ({row['domain']}) {row['text']}", highlight=False)
        console.print(f"  expected: {'; '.join(row['expected'])}", highlight=False)
        for system, ranking in preds.items():
            top = []
            for ids in ranking[i][:5]:
                hit = any(sid in ids for sid in row["gold"] if sid)
                label = names.get(ids[0], ids[0])
                top.append(f"[green]+{label}[/green]" if hit else label)
            console.print(f"  {system}: {'; '.join(top) or '-'}", highlight=False)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--json", type=Path, default=None, help="write the figures here")
    parser.add_argument("--show", action="store_true", help="each sentence: expected vs each system's top 5")
    args = parser.parse_args(argv)
    console = Console(width=120)
    shipped = Settings()
    graph = Graph.connect(shipped)
    try:
        esco = graph.read(Query.GET_SKILLS_FOR_INDEX, taxonomies=["esco"])
        names = {str(s["id"]): str(s["name"]) for s in esco}
        rows, unmapped = load(args.data, label_resolver(esco))
        expected = sum(len(r["gold"]) for r in rows)
        console.print(f"{args.data.relative_to(ROOT) if args.data.is_relative_to(ROOT) else args.data}: "
                      f"{len(rows)} sentences, {expected} expected ESCO skills, "
                      f"{len(unmapped)} not mapped to an ESCO id (counted as misses)", highlight=False)
        for sid, label in unmapped:
            console.print(f"  unmapped: {sid}: {label!r}", highlight=False)
        systems: dict[str, Predict] = {
            SHIPPED: pipeline_predictor(build_pipeline(shipped, graph), names),
            NO_CUT: pipeline_predictor(
                build_pipeline(with_pipeline(shipped, taxonomies=["esco"], min_score=0.0), graph), names),
            BASELINE: baseline_predictor(shipped, esco),
        }
        preds: dict[str, list[Ranking]] = {}
        results: dict[str, Figures] = {}
        for system, predict in systems.items():
            started = time.perf_counter()
            preds[system] = predict(rows)
            results[system] = figures(rows, preds[system], time.perf_counter() - started)
    finally:
        graph.close()

    base = results[BASELINE].r5
    console.print(f"systems: [bold]{SHIPPED}[/bold] = build_pipeline(Settings()), both taxonomies, shipped cut; "
                  f"[bold]{NO_CUT}[/bold] = taxonomies ['esco'], min_score 0 (every candidate); "
                  f"[bold]{BASELINE}[/bold] = all-MiniLM-L6-v2 cosine over ESCO preferred labels, top 10",
                  highlight=False)
    for f in results.values():
        f.r5_vs_base = f.r5 / base if base else None

    if args.show:
        show(console, rows, preds, names)
        console.print()

    table = Table(title=f"Implied skills: {len(rows)} sentences, {expected} expected skills (micro recall)")
    for col in ("system", "set recall", "R@5", "R@10", "hit@5", "R@5 / base", "returned", "s"):
        table.add_column(col, justify="left" if col == "system" else "right", no_wrap=True)
    for system, f in results.items():
        table.add_row(system, f"{f.recall:.3f}", f"{f.r5:.3f}", f"{f.r10:.3f}", f"{f.hit5:.3f}",
                      f"{f.r5_vs_base:.2f}" if f.r5_vs_base is not None else "-", f"{f.returned:.1f}",
                      f"{f.seconds:.1f}")
    console.print(table)
    console.print("set recall: expected skills in everything returned (baseline: its top 10); returned: skills per "
                  "sentence; s: seconds for the whole set", highlight=False)

    counts = {d: sum(1 for r in rows if r["domain"] == d) for d in DOMAINS}
    by_domain = Table(title="R@5 by domain (sentences)")
    by_domain.add_column("system", no_wrap=True)
    for d in DOMAINS:
        by_domain.add_column(f"{d} ({counts[d]})", justify="right")
    for system, f in results.items():
        by_domain.add_row(system, *(f"{f.r5_by_domain[d]:.3f}" if d in f.r5_by_domain else "-" for d in DOMAINS))
    console.print(by_domain)

    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "data": str(args.data), "sentences": len(rows), "expected": expected,
            "unmapped": [{"id": i, "label": label} for i, label in unmapped],
            "systems": {system: asdict(f) for system, f in results.items()},
        }, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
