"""ESCO ranking of the same sentences in English, German, French, Spanish, Dutch and Portuguese.

Run: ``.venv/bin/python bench/multilingual.py`` (after ``make run``: it reads the graph for labels).

The check sets (``--check-set``, repeatable, else ``KG_MULTILINGUAL_CHECK_SET``, else the two committed
``kgservice/resources/data/skillskape/dev_translated*.jsonl``) hold SkillSkape dev sentences with their
gold ESCO labels, each translated into the five languages: the first 60 were there when the encoders and
the cut were chosen, the other 100 came after and are the fresher measure. Another set in the same
format (say a translation of the unlicensed development sentences, kept under ``var/``) can be passed
instead; when a file is absent the benchmark says so and exits. The table scores all sentences of all
sets; a second table gives each set's RP@5 ratios on its own.

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
from kgservice.evaluation import TRANSLATED_CHECK_SETS, Example, label_resolver, load_translated, score  # noqa: E402
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
    parser.add_argument("--check-set", type=Path, action="append", default=None,
                        help="translated sentences (JSONL), repeatable; default KG_MULTILINGUAL_CHECK_SET, else the "
                             "committed sets")
    parser.add_argument("--baseline", action=argparse.BooleanOptionalAction, default=True,
                        help="also rank with the English-only pipeline (default on)")
    args = parser.parse_args(argv)
    env = os.environ.get("KG_MULTILINGUAL_CHECK_SET")
    paths = args.check_set or ([Path(env)] if env else list(TRANSLATED_CHECK_SETS))
    for path in paths:
        if not path.exists():
            print(f"bench/multilingual.py: no translated check set at {path}: pass --check-set or set "
                  "KG_MULTILINGUAL_CHECK_SET (the committed ones are kgservice/resources/data/skillskape/"
                  "dev_translated*.jsonl)", file=sys.stderr)
            return 2
    settings = with_pipeline(Settings(), taxonomies=["esco"], min_score=0.0)
    graph = Graph.connect(settings)
    resolve = label_resolver(graph.read(Query.GET_SKILLS_FOR_INDEX, taxonomies=["esco"]))
    sets = {path.name: load_translated(path, resolve) for path in paths}
    languages = list(next(iter(sets.values())))
    if any(list(s) != languages for s in sets.values()):
        print("bench/multilingual.py: the check sets hold different languages", file=sys.stderr)
        return 2
    by_language = {lang: [e for s in sets.values() for e in s[lang]] for lang in languages}
    bounds, start = {}, 0
    for name, s in sets.items():
        bounds[name] = (start, start + len(s["en"]))
        start += len(s["en"])
    console = Console(width=150)
    console.print(f"{' + '.join(sets)}: {len(by_language['en'])} sentences x {len(by_language)} languages, "
                  f"{sum(len(e.gold) + len(e.unmapped) for e in by_language['en'])} gold labels")
    variants = {"multilingual": build_pipeline(settings, graph)}
    if args.baseline:
        variants["English-only (baseline)"] = build_pipeline(with_pipeline(settings, multilingual=False), graph)
    table = Table(title="ESCO ranking, no cut, per language")
    for col in ("pipeline", "lang", "detected", "RP@1", "RP@5", "RP@10", "MRR", "RP@5 / en", "top-5 overlap with en",
                "ms / sentence"):
        table.add_column(col, justify="left" if col in {"pipeline", "lang"} else "right")
    rankings: dict[str, dict[str, list[list[str]]]] = {}
    for name, pipeline in variants.items():
        english, _ = rank(pipeline, by_language["en"])  # warm: model loads stay out of the timings
        english_scores = None
        rankings[name] = {}
        for lang, examples in by_language.items():
            ranked, seconds = rank(pipeline, examples)
            rankings[name][lang] = ranked
            s = score(ranked, examples)
            english_scores = english_scores or s
            detected = sum(detect_language(e.sentence)[0] == lang for e in examples)
            table.add_row(name, lang, f"{detected}/{len(examples)}", f"{s.rp1:.3f}", f"{s.rp5:.3f}", f"{s.rp10:.3f}",
                          f"{s.mrr:.3f}", f"{s.rp5 / english_scores.rp5:.2f}" if english_scores.rp5 else "-",
                          f"{overlap(ranked, english):.2f}", f"{seconds * 1000:.0f}")
        table.add_section()
    console.print(table)
    per_set = Table(title="RP@5 (ratio to English) per check set")
    for col in ("pipeline", "check set", *languages):
        per_set.add_column(col, justify="left" if col in {"pipeline", "check set"} else "right")
    for name, by_lang in rankings.items():
        for set_name, (lo, hi) in bounds.items():
            rp5 = {lang: score(by_lang[lang][lo:hi], by_language[lang][lo:hi]).rp5 for lang in languages}
            per_set.add_row(name, f"{set_name} ({hi - lo})", *(
                f"{rp5[lang]:.3f} ({rp5[lang] / rp5['en']:.2f})" if rp5["en"] else f"{rp5[lang]:.3f}" for lang in languages))
    console.print(per_set)
    graph.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
