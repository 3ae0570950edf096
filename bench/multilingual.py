"""ESCO ranking of the same sentences in English, German, French, Spanish, Dutch and Portuguese.

Run: ``.venv/bin/python bench/multilingual.py`` (after ``make run``: it reads the graph for labels).

The check set (``--check-set``, else ``KG_MULTILINGUAL_CHECK_SET``, else the committed
``kgservice/resources/data/skillskape/dev_translated.jsonl``) holds SkillSkape dev sentences with their
gold ESCO labels, each translated into the five languages. Another set in the same format (say a
translation of the unlicensed development sentences, kept under ``var/``) can be passed instead; when
the file is absent the benchmark says so and exits.

Every language is ranked by the "ESCO ranking, no cut" pipeline of ``bench/quality.py`` (ESCO only,
min score 0). Columns: RP@1/5/10 and MRR as ``bench/quality.py`` computes them; the ratio of RP@5 to
English's, measured in the same run (the target: >= 0.80); the mean share of the English original's
top 5 that the translation's top 5 keeps; and how many sentences the language detector got right. Row
groups: the multilingual path (language detection, the mapped multilingual encoder, the trie limited
to names) and, as the baseline, the English-only pipeline (``KG_PIPELINE__MULTILINGUAL=false``) on the
same text.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kgservice.document import Domain  # noqa: E402
from kgservice.evaluation import TRANSLATED_CHECK_SET, Example, label_resolver, load_translated, score  # noqa: E402
from kgservice.graph.cypher import Query  # noqa: E402
from kgservice.graph.driver import Graph  # noqa: E402
from kgservice.pipeline.build import Pipeline, build_pipeline, make_document  # noqa: E402
from kgservice.pipeline.language_detector import detect_language  # noqa: E402
from kgservice.settings import Settings  # noqa: E402


def with_pipeline(settings: Settings, **changes: object) -> Settings:
    return settings.model_copy(update={"pipeline": settings.pipeline.model_copy(update=changes)})


def rank(pipeline: Pipeline, examples: Sequence[Example]) -> tuple[list[list[str]], float]:
    """Each sentence's skill ids, best first, and the seconds per sentence."""
    docs = [make_document(e.sentence, Domain.JOB) for e in examples]
    started = time.perf_counter()
    out = [[s.skill_id for s in doc.skills] for doc in pipeline.pipe(docs, batch_size=64)]
    return out, (time.perf_counter() - started) / max(1, len(examples))


def overlap(ranked: Sequence[Sequence[str]], english: Sequence[Sequence[str]], k: int = 5) -> float:
    """Mean share of the English top k that the translation's top k keeps (sentences with an English top k)."""
    shares = [len(set(a[:k]) & set(b[:k])) / min(k, len(b)) for a, b in zip(ranked, english, strict=True) if b]
    return sum(shares) / max(1, len(shares))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check-set", type=Path, default=None,
                        help="translated sentences (JSONL); default KG_MULTILINGUAL_CHECK_SET, else the committed set")
    parser.add_argument("--baseline", action=argparse.BooleanOptionalAction, default=True,
                        help="also rank with the English-only pipeline (default on)")
    args = parser.parse_args(argv)
    path = args.check_set or Path(os.environ.get("KG_MULTILINGUAL_CHECK_SET", TRANSLATED_CHECK_SET))
    if not path.exists():
        print(f"bench/multilingual.py: no translated check set at {path}: pass --check-set or set "
              "KG_MULTILINGUAL_CHECK_SET (the committed one is kgservice/resources/data/skillskape/dev_translated.jsonl)",
              file=sys.stderr)
        return 2
    settings = with_pipeline(Settings(), taxonomies=["esco"], min_score=0.0)
    graph = Graph.connect(settings)
    resolve = label_resolver(graph.read(Query.GET_SKILLS_FOR_INDEX, taxonomies=["esco"]))
    by_language = load_translated(path, resolve)
    console = Console(width=150)
    console.print(f"{path.name}: {len(by_language['en'])} sentences x {len(by_language)} languages, "
                  f"{sum(len(e.gold) + len(e.unmapped) for e in by_language['en'])} gold labels")
    variants = {"multilingual": build_pipeline(settings, graph)}
    if args.baseline:
        variants["English-only (baseline)"] = build_pipeline(with_pipeline(settings, multilingual=False), graph)
    table = Table(title="ESCO ranking, no cut, per language")
    for col in ("pipeline", "lang", "detected", "RP@1", "RP@5", "RP@10", "MRR", "RP@5 / en", "top-5 overlap with en",
                "ms / sentence"):
        table.add_column(col, justify="left" if col in {"pipeline", "lang"} else "right")
    for name, pipeline in variants.items():
        english, _ = rank(pipeline, by_language["en"])  # warm: model loads stay out of the timings
        english_scores = None
        for lang, examples in by_language.items():
            ranked, seconds = rank(pipeline, examples)
            s = score(ranked, examples)
            english_scores = english_scores or s
            detected = sum(detect_language(e.sentence)[0] == lang for e in examples)
            table.add_row(name, lang, f"{detected}/{len(examples)}", f"{s.rp1:.3f}", f"{s.rp5:.3f}", f"{s.rp10:.3f}",
                          f"{s.mrr:.3f}", f"{s.rp5 / english_scores.rp5:.2f}" if english_scores.rp5 else "-",
                          f"{overlap(ranked, english):.2f}", f"{seconds * 1000:.0f}")
        table.add_section()
    console.print(table)
    graph.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
