"""suggestSkills: the in-memory prefix index against the full-text index ``skill_names`` queried with a prefix.

Run: ``.venv/bin/python bench/skill_suggestions.py [--labels 300]`` against a loaded graph. Takes every
``--labels``-th skill label (a fixed sample), and for each the prefixes a person types on the way to it
(2, 3, 4 and 6 characters). Both methods answer each prefix with 10 concepts (a Lightcast twin counted as
its ESCO skill): the in-memory :class:`~kgservice.graph.skill_suggester.SkillSuggester`, and Neo4j's
Lucene index with ``<prefix>*`` (``cypher/search_skill_names.cypher``, then the same one-per-concept
fold). Prints per method the median and 95th percentile milliseconds per prefix, the mean reciprocal
rank of the label being typed (0 when outside the 10), and the in-memory index's build time; the
ratio line compares both on the same prefixes in this run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from kgservice.graph.cypher import Query  # noqa: E402
from kgservice.graph.driver import Graph  # noqa: E402
from kgservice.graph.skill_queries import _LUCENE_SPECIAL  # noqa: E402
from kgservice.graph.skill_suggester import SkillSuggester, normalize  # noqa: E402
from kgservice.settings import Settings  # noqa: E402

LENGTHS = (2, 3, 4, 6)
FIRST = 10


def fulltext(graph: Graph, owner: dict[str, str], prefix: str) -> list[str]:
    words = [_LUCENE_SPECIAL.sub(r"\\\1", w) for w in normalize(prefix).split()]
    query = " AND ".join(words[:-1] + [words[-1] + "*"])
    out: list[str] = []
    for r in graph.read(Query.SEARCH_SKILL_NAMES, text=query, first=FIRST * 3):
        head = owner.get(r["id"], r["id"])
        if head not in out:
            out.append(head)
    return out[:FIRST]


def rr(found: list[str], wanted: str) -> float:
    return 1.0 / (found.index(wanted) + 1) if wanted in found else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--labels", type=int, default=300, help="labels sampled (every n-th of the sorted ids)")
    args = parser.parse_args()
    console = Console()
    graph = Graph.connect(Settings())
    try:
        started = time.perf_counter()
        rows = graph.read(Query.GET_SKILL_SUGGESTION_ENTRIES)
        read_s = time.perf_counter() - started
        started = time.perf_counter()
        suggester = SkillSuggester(rows)
        build_s = time.perf_counter() - started
        ids = {r["id"] for r in rows}
        owner = {r["id"]: (r["canonical"] if r["canonical"] in ids else r["id"]) for r in rows}
        rows.sort(key=lambda r: r["id"])
        step = max(1, len(rows) // args.labels)
        cases = [(r["name"][:n], owner[r["id"]]) for r in rows[::step] for n in LENGTHS if len(r["name"]) > n]
        cases += [("pyth", owner["esco:ccd0a1d9-afda-43d9-b901-96344886e14d"]),
                  ("kube", "lightcast:KSJF3PBD3995K6E0OF1Z")]
        results: dict[str, tuple[list[float], list[float]]] = {}
        def in_memory(prefix: str) -> list[str]:
            suggester.forget()  # cold: short prefixes are memoized, and the sample repeats them
            return [s.concept.id for s in suggester.suggest(prefix, FIRST)]

        for name, run in (("in-memory", in_memory),
                          ("neo4j fulltext", lambda p: fulltext(graph, owner, p))):
            run(cases[0][0])  # warm: first query plans and caches
            times, ranks = [], []
            for prefix, wanted in cases:
                t = time.perf_counter()
                found = run(prefix)
                times.append((time.perf_counter() - t) * 1e3)
                ranks.append(rr(found, wanted))
            results[name] = (times, ranks)
    finally:
        graph.close()
    table = Table(title=f"suggestSkills over {len(cases)} prefixes of {len(cases) // len(LENGTHS)} labels")
    for col in ("method", "median ms", "p95 ms", f"MRR@{FIRST}", "pyth", "kube"):
        table.add_column(col)
    for name, (times, ranks) in results.items():
        p95 = statistics.quantiles(times, n=20)[-1]
        table.add_row(name, f"{statistics.median(times):.2f}", f"{p95:.2f}", f"{statistics.mean(ranks):.3f}",
                      f"{ranks[-2]:.2f}", f"{ranks[-1]:.2f}")
    console.print(table)
    mem, ft = results["in-memory"][0], results["neo4j fulltext"][0]
    console.print(f"in-memory build: read {read_s:.1f} s + index {build_s:.1f} s, {len(suggester)} concepts")
    console.print(f"ratio (neo4j fulltext / in-memory), median time: {statistics.median(ft) / statistics.median(mem):.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
