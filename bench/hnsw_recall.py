"""Recall and query time of the HNSW skill index against its search breadth (``ef``).

Run: ``.venv/bin/python bench/hnsw_recall.py [--docs 200]``. Embeds the pieces the semantic tagger
cuts from the speed benchmark's postings, queries the index at several ``ef`` values for the
tagger's candidate list (``semantic_candidates``, 30), and prints against an exhaustive-in-practice
``ef=2000`` search: the share of its candidates found, the share of the tagger's accepted matches
(after its window re-ranking) that come out the same, and microseconds per query (one thread).
``KG_PIPELINE__SEMANTIC_EF_SEARCH`` picks the serving value.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from postings import postings  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from kgservice.document import Domain  # noqa: E402
from kgservice.graph.driver import Graph  # noqa: E402
from kgservice.pipeline.build import TAGGERS, build_pipeline, make_document  # noqa: E402
from kgservice.settings import Settings  # noqa: E402

REFERENCE_EF = 2000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--ef", type=int, nargs="+", default=[16, 32, 48, 64, 96, 128])
    args = parser.parse_args()
    settings = Settings()
    graph = Graph.connect(settings)
    try:
        pipeline = build_pipeline(settings, graph, TAGGERS)
    finally:
        graph.close()
    sectioner = next(s for s in pipeline.stages if s.name == "sectioner")
    tagger = next(s for s in pipeline.stages if s.name == "embedding_tagger")
    pieces = list(dict.fromkeys(p.text for t in postings(args.docs)
                                for p in tagger.split(sectioner(make_document(t, Domain.JOB)))[0]))
    vectors = tagger.encoder.encode(pieces)
    index = tagger.index
    k = tagger.candidates if tagger.window_tokens else tagger.top_k

    def search(ef: int) -> tuple[list[set[str]], list[set[str]], float]:
        """The index's top-k candidates per piece, the tagger's accepted matches (after the window
        re-ranking, when on), and the seconds the candidate search took."""
        index.ef_search = ef
        started = time.perf_counter()
        ids, _ = index.query(vectors, k=k)
        seconds = time.perf_counter() - started
        accepted = tagger._match(pieces)  # the serving path: encode, search, re-rank
        return ([set(row) for row in ids],
                [{sid for sid, sim in accepted[p] if sim >= tagger.threshold} for p in pieces], seconds)

    ref_candidates, reference, ref_s = search(REFERENCE_EF)
    total = sum(len(r) for r in reference)
    table = Table(title=f"HNSW recall vs ef={REFERENCE_EF}: {len(pieces)} distinct pieces, {k} candidates each, "
                        f"{total} reference matches (top {tagger.top_k}, cosine >= {tagger.threshold:.2f}"
                        f"{', re-ranked by windows' if tagger.window_tokens else ''})")
    for col in ("ef", "candidate recall", "match recall", "us/query", "time / ef=2000"):
        table.add_column(col, justify="right")
    for ef in args.ef:
        candidates, found, seconds = search(ef)
        cand_recall = sum(len(c & r) for c, r in zip(candidates, ref_candidates, strict=True)) / max(
            1, sum(len(r) for r in ref_candidates))
        recall = sum(len(f & r) for f, r in zip(found, reference, strict=True)) / max(1, total)
        table.add_row(str(ef), f"{cand_recall:.4f}", f"{recall:.4f}", f"{seconds * 1e6 / len(pieces):.0f}",
                      f"{seconds / ref_s:.2f}")
    Console(width=120).print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
