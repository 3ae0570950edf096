"""Extraction speed, single process, on ~400-word job postings.

Run: ``.venv/bin/python bench/speed.py [--docs 200] [--all-cores]``. Prints documents per second and
p50/p99 latency per posting for trie only, trie + semantic, and the full pipeline (with graph expansion),
each as a ratio to trie only measured in the same run; and trie tagging throughput in MB/s next to
plain tokenization of the same text (the floor any token-level tagger pays).

By default the process is pinned to one CPU with one ONNX Runtime thread, so every figure is per
core (Neo4j, answering the expansion queries, runs on the other core: that work is not counted).
``--all-cores`` lets ONNX Runtime use every core of the machine instead.

The sentence tower is the configured one (``KG_PIPELINE__SENTENCE_MODEL``, the static tower by
default); the last row runs the full pipeline with the skill tower (the transformer student)
embedding the sentences too, cold, so the ratio between the two is measured in one run.

The postings' skill-bearing sentences are all distinct (``postings(distinct=True)``); their
employer blurbs and benefits blocks repeat, as an employer's do across its postings. Caches (the
semantic tagger's piece -> matches memo, the expander's skill -> neighbours memo) are emptied before
every timed pass, so one pass never warms the next: "cold" rows hit only on what repeats inside the
pass. The "warm" row first runs ``--warm`` *other* postings (same employers, sentences disjoint from
the timed ones), the steady state of a service that has been running. "no cache" turns the piece
cache off (``KG_PIPELINE__SEMANTIC_CACHE_SIZE=0``): the same-run baseline for the cache.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from postings import postings  # noqa: E402

from kgservice.document import Document, Domain  # noqa: E402
from kgservice.graph.driver import Graph  # noqa: E402
from kgservice.pipeline.build import FULL, TAGGERS, TRIE_ONLY, build_pipeline, make_document  # noqa: E402
from kgservice.pipeline.sectioner import Sectioner  # noqa: E402
from kgservice.settings import Settings  # noqa: E402
from kgservice.text_normalizer import tokenize  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--all-cores", action="store_true", help="do not pin to one CPU")
    parser.add_argument("--warm", type=int, default=200, help="other postings run before the warm pass")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    console = Console(width=140)
    settings = Settings()
    if args.all_cores:
        where = f"{os.cpu_count()} CPUs, single process"
    else:
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        settings.pipeline.threads = 1
        where = f"pinned to CPU {cpu}, 1 ONNX Runtime thread: figures are per core"
    dealt = postings(args.docs + max(5, args.warm), seed=args.seed, distinct=True)
    texts, warm_texts = dealt[: args.docs], dealt[args.docs :]
    words = statistics.mean(len(t.split()) for t in texts)
    mb = sum(len(t.encode()) for t in texts) / 1e6
    console.print(f"{len(texts)} postings, {words:.0f} words on average, {mb:.2f} MB; {where}")
    graph = Graph.connect(settings)
    uncached = settings.model_copy(deep=True)
    uncached.pipeline.semantic_cache_size = 0
    full = build_pipeline(settings, graph, FULL)
    configs = [  # (row, pipeline, postings run before the timed pass)
        ("trie only", build_pipeline(settings, graph, TRIE_ONLY, expansion=False), 0),
        ("trie + semantic, cold", build_pipeline(settings, graph, TAGGERS), 0),
        ("full, no cache", build_pipeline(uncached, graph, FULL), 0),
        ("full, cold", full, 0),
        (f"full, warm ({args.warm} other postings)", full, args.warm),
    ]
    cfg = settings.pipeline
    if cfg.sentence_tower != cfg.encoder_model:  # what the sentence tower saves, measured in the same run
        both = settings.model_copy(deep=True)
        both.pipeline.sentence_model = ""
        configs.append((f"full, cold, {cfg.encoder_model} as sentence tower",
                        build_pipeline(both, graph, FULL), 0))
    rows = []
    for name, pipeline, warm in configs:
        for text in warm_texts[:5]:  # ONNX session, Bolt connections
            pipeline(make_document(text, Domain.JOB))

        def prepare(pipeline=pipeline, warm=warm) -> None:
            pipeline.clear_caches()
            list(pipeline.pipe((make_document(t, Domain.JOB) for t in warm_texts[:warm]), batch_size=32))
            for cache in pipeline.caches.values():
                cache.reset_counters()

        prepare()
        latencies = []
        for text in texts:
            started = time.perf_counter()
            pipeline(make_document(text, Domain.JOB))
            latencies.append(time.perf_counter() - started)
        prepare()
        started = time.perf_counter()
        list(pipeline.pipe((make_document(t, Domain.JOB) for t in texts), batch_size=32))
        batched = len(texts) / (time.perf_counter() - started)
        hits = " / ".join(f"{cache.hit_rate:.2f}" for cache in pipeline.caches.values()) or "-"
        rows.append((name, len(texts) / sum(latencies), batched, percentile(latencies, 0.5) * 1e3,
                     percentile(latencies, 0.99) * 1e3, hits))
    graph.close()
    base = rows[0][1]
    table = Table(title="Extraction speed per ~400-word posting")
    for col in ("pipeline", "docs/s (one by one)", "docs/s (pipe, batch 32)", "p50 ms", "p99 ms",
                "docs/s / trie only", "cache hit rate (batched)"):
        table.add_column(col, justify="left" if col == "pipeline" else "right")
    for name, rate, batched, p50, p99, hits in rows:
        table.add_row(name, f"{rate:.1f}", f"{batched:.1f}", f"{p50:.1f}", f"{p99:.1f}", f"{rate / base:.2f}", hits)
    console.print(table)
    console.print("cache hit rate: piece matches / graph neighbours, over distinct lookups of the batched pass")

    trie_stage = configs[0][1].stages[1]
    sectioned = [Sectioner()(Document(t)) for t in texts]
    started = time.perf_counter()
    for doc in sectioned:
        tokenize(doc.text)
    tok_s = time.perf_counter() - started
    started = time.perf_counter()
    for doc in sectioned:
        trie_stage(doc)
    trie_s = time.perf_counter() - started
    console.print(f"tokenize only: {mb / tok_s:.2f} MB/s; trie tagger (tokenize + match + filter): "
                  f"{mb / trie_s:.2f} MB/s = {tok_s / trie_s:.2f} x tokenize-only speed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
