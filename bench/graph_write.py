"""Cost of the document write per document: one auto-commit transaction (``Graph.write``) against
BEGIN / RUN + PULL / COMMIT (the explicit transaction it used before, the baseline), by batch size.

Run: ``.venv/bin/python bench/graph_write.py [--edits 6000] [--batches 1,5,20]``. Needs the shared
Neo4j with the taxonomy and indexes built. Extracts ``bench/nearline.py``'s workload once (its
warm-up of every pool document, then ``--edits`` revisions and rewrites) with the nearline worker's
pipeline, then, for each batch size and each way in turn (twice, alternating, so drift on a shared
machine hits both), loads the pool documents again and replays the revisions through
``write_documents.cypher``. Prints wall time, this process's CPU (the driver) and Neo4j's CPU per
document; Neo4j's CPU is read from ``/proc`` (only when this project started it). Documents
``bench-gw-*`` are removed at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("KG_PIPELINE__THREADS", "1")

from nearline import POOL, Workload  # noqa: E402
from process_cpu import cpu_seconds  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.progress import track  # noqa: E402
from rich.table import Table  # noqa: E402

from kgservice.graph.cypher import Query, service_queries  # noqa: E402
from kgservice.graph.document_writer import document_row  # noqa: E402
from kgservice.graph.driver import Graph  # noqa: E402
from kgservice.graph.server import Neo4jServer  # noqa: E402
from kgservice.nearline.extraction import InlineExtraction  # noqa: E402
from kgservice.pipeline.build import WRITES, build_pipeline  # noqa: E402
from kgservice.settings import Settings  # noqa: E402

PREFIX = "bench-gw-"


def workload_rows(settings: Settings, graph: Graph, edits: int, prefix: str,
                  console: Console) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """``bench/nearline.py``'s workload extracted with the nearline worker's pipeline, as
    ``write_documents.cypher`` rows under ``prefix``: every pool document once, then ``edits`` edits."""
    extraction = InlineExtraction(build_pipeline(settings, graph, WRITES))
    workload = Workload()
    pool = [workload.edit(i, f"bench-nl-{i}") for i in range(POOL)]
    changes = [workload.edit(i) for i in range(edits)]

    def rows_of(batch: list) -> list[dict[str, Any]]:  # noqa: ANN001
        out = []
        for write in extraction(batch):
            row = document_row(write, 0)
            row["key"] = row["key"].replace("bench-nl-", prefix)
            row["id"] = str(row["id"]).replace("bench-nl-", prefix)
            out.append(row)
        return out

    first = [r for i in track(range(0, len(pool), 50), description="extracting the pool", console=console)
             for r in rows_of(pool[i:i + 50])]
    revisions = [r for i in track(range(0, len(changes), 50), description="extracting the edits", console=console)
                 for r in rows_of(changes[i:i + 50])]
    return first, revisions


def explicit_transaction(graph: Graph, text: str, rows: list[dict[str, Any]]) -> None:
    """The baseline: what ``Graph.write`` sent before, three round trips."""
    with graph.driver.session(database=graph.database,
                              bookmark_manager=graph.driver.execute_query_bookmark_manager) as session:
        with session.begin_transaction() as tx:
            list(tx.run(text, {"rows": rows}))
            tx.commit()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--edits", type=int, default=6000)
    parser.add_argument("--batches", default="1,5,20", help="documents per write")
    args = parser.parse_args()
    console = Console(width=130)
    settings = Settings()
    neo4j_pid = Neo4jServer(settings).status().pid
    with Graph.connect(settings) as graph:
        warm, revisions = workload_rows(settings, graph, args.edits, PREFIX, console)
        text = service_queries()[Query.WRITE_DOCUMENTS]
        ways = {"explicit BEGIN/RUN/COMMIT (baseline)": lambda rows: explicit_transaction(graph, text, rows),
                "auto-commit (Graph.write)": lambda rows: graph.write(Query.WRITE_DOCUMENTS, rows=rows)}
        results: dict[tuple[int, str], list[tuple[float, float, float]]] = {}
        try:
            for size in [int(b) for b in args.batches.split(",") if b]:
                for _ in range(2):
                    for name, write in ways.items():
                        graph.write(Query.DELETE_DOCUMENTS_BY_ID_PREFIX, prefix=PREFIX)
                        for i in range(0, len(warm), 50):
                            graph.write(Query.WRITE_DOCUMENTS, rows=warm[i:i + 50])
                        neo_before, cpu_before, started = cpu_seconds([neo4j_pid]), time.process_time(), time.perf_counter()
                        for i in range(0, len(revisions), size):
                            write(revisions[i:i + size])
                        n = len(revisions)
                        results.setdefault((size, name), []).append(
                            ((time.perf_counter() - started) * 1000 / n, (time.process_time() - cpu_before) * 1000 / n,
                             (cpu_seconds([neo4j_pid]) - neo_before) * 1000 / n))
        finally:
            graph.write(Query.DELETE_DOCUMENTS_BY_ID_PREFIX, prefix=PREFIX)
    skills = sum(len(r["skills"]) for r in revisions) / max(1, len(revisions))
    table = Table(title=f"write_documents.cypher, ms per document ({len(revisions)} revisions after {len(warm)} pool "
                        f"documents, {skills:.1f} skills each; mean of 2 alternating passes)")
    for col in ("docs/write", "transaction", "wall", "driver CPU", "Neo4j CPU", "wall / baseline",
                "Neo4j CPU / baseline"):
        table.add_column(col, justify="right" if col != "transaction" else "left")
    for size in sorted({s for s, _ in results}):
        base = [sum(x) / len(x) for x in zip(*results[(size, next(iter(ways)))], strict=True)]
        for name in ways:
            wall, client, neo = [sum(x) / len(x) for x in zip(*results[(size, name)], strict=True)]
            table.add_row(str(size), name, f"{wall:.2f}", f"{client:.2f}", f"{neo:.2f}" if neo4j_pid else "n/a",
                          f"{wall / base[0]:.2f}", f"{neo / base[2]:.2f}" if neo4j_pid and base[2] else "n/a")
    console.print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
