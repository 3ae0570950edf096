"""Offline reprocessing speed: ``kgservice batch`` over 10,000 generated ~400-word postings.

Run: ``.venv/bin/python bench/batch.py [--docs 10000] [--masters 'local[2],local[1]']``. Writes the
postings (ids ``bench-batch-<n>``, bench/postings.py) as JSON Lines, runs the Spark job once per
master against the shared Neo4j, and prints documents per second for each; the second run goes over
the same input, so it also shows that a rerun changes nothing (edge and node counts, and a checksum of
every edge's properties, before and after). The documents are removed at the end. Set
``KG_PIPELINE__SEMANTIC=false`` for trie only.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from postings import postings  # noqa: E402

from kgservice.batch.spark_job import run_batch, spark_session  # noqa: E402
from kgservice.graph.driver import Graph  # noqa: E402
from kgservice.settings import Settings  # noqa: E402

PREFIX = "bench-batch-"
STATE = """
MATCH (d:Document) WHERE d.id STARTS WITH $prefix
OPTIONAL MATCH (d)-[h:HAS_SKILL]->(s:Skill)
WITH d, h, s ORDER BY d.key, s.id
RETURN count(DISTINCT d) AS docs, count(h) AS edges,
       reduce(acc = 0, x IN collect(d.key + s.id + toString(h.score) + h.modelVersion + toString(h.updatedAt)
                                    + toString(d.version)) | (acc * 31 + size(x)) % 1000000007) AS checksum
"""

# In slices: one DETACH DELETE of 10,000 postings and their ~540k edges outgrows Neo4j's
# per-transaction memory limit (dbms.memory.transaction.total.max).
DELETE_SLICE = "MATCH (d:Document) WHERE d.id STARTS WITH $prefix WITH d LIMIT 500 DETACH DELETE d RETURN count(*) AS n"


def delete_documents(graph: Graph) -> None:
    while graph.write(DELETE_SLICE, prefix=PREFIX)[0]["n"]:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--masters", default="local[2],local[1]")
    parser.add_argument("--write-batch", type=int, default=500)
    args = parser.parse_args()
    console = Console(width=150)
    settings = Settings()
    # 10,000 generated postings reuse a 7,669-sentence pool many times over, so a piece cache would
    # measure the pool, not the engine: off. bench/speed.py measures what it saves on distinct text.
    settings.pipeline.semantic_cache_size = 0
    rows = []
    with tempfile.TemporaryDirectory(prefix="kg-batch-") as tmp, Graph.connect(settings) as graph:
        source = Path(tmp) / "postings.jsonl"
        texts = postings(args.docs)
        with open(source, "w", encoding="utf-8") as fh:
            for i, text in enumerate(texts):
                fh.write(json.dumps({"id": f"{PREFIX}{i}", "kind": "job", "title": f"posting {i}", "text": text,
                                     "version": 1}) + "\n")
        words = sum(len(t.split()) for t in texts) / len(texts)
        console.print(f"{len(texts)} postings, {words:.0f} words on average; {os.cpu_count()} CPUs; "
                      f"semantic stage: {settings.pipeline.semantic}")
        delete_documents(graph)
        try:
            for master in args.masters.split(","):
                spark = spark_session(master)
                try:
                    report = run_batch(spark, settings, source, write_batch=args.write_batch, console=console)
                finally:
                    spark.stop()
                state = graph.read(STATE, prefix=PREFIX)[0]
                rows.append((master, report, state))
                console.print(f"{master}: {report.documents} docs in {report.seconds:.1f}s = "
                              f"{report.docs_per_s:.1f} docs/s; graph: {state}")
        finally:
            delete_documents(graph)
    table = Table(title="kgservice batch (Spark) -> Neo4j, write batches of "
                        f"{args.write_batch} docs, model {', '.join(sorted(rows[0][1].model_versions))}")
    for col in ("master", "docs", "applied", "failed", "edges written", "seconds", "docs/s", "graph after: docs",
                "edges", "checksum"):
        table.add_column(col)
    for master, r, state in rows:
        table.add_row(master, str(r.documents), str(r.applied), str(r.failed), str(r.edges), f"{r.seconds:.1f}",
                      f"{r.docs_per_s:.1f}", str(state["docs"]), str(state["edges"]), str(state["checksum"]))
    console.print(f"load average (1/5/15 min) at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
                  "(other work on this machine competes for the same cores)")
    console.print(table)
    if len(rows) > 1:
        console.print(f"scaling {rows[0][0]} / {rows[1][0]}: {rows[0][1].docs_per_s / rows[1][1].docs_per_s:.2f}x")
        # A transformer sentence tower's int8 activation scales are per batch, so a different master
        # (other partitions, other batch-mates) may move a score across the cut; the static tower's
        # vectors move only in the last float bits. The same master must change nothing.
        for i, (master, _, state) in enumerate(rows):
            earlier = next((s for m, _, s in rows[:i] if m == master), None)
            if earlier is not None:
                console.print(f"rerun on {master} changed the graph: {state != earlier}")
        edges = {m: s["edges"] for m, _, s in rows}
        if len(set(edges.values())) > 1:
            console.print(f"edges per master: {edges} (int8 scores depend on batch-mates; see KG_PIPELINE__QUANTIZED)")
        elif len(edges) > 1:
            console.print(f"edges per master: {edges} (the same count on every master)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
