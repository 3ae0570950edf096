"""Document writes right after a Neo4j restart: cold (the baseline) against warmed first by
``kgservice neo4j warm`` (``kgservice/graph/write_warmup.py``), with rolled-back rehearsals of the
write only, and with its last ``--commit-s`` seconds committing scratch documents (the default).

Run: ``.venv/bin/python bench/neo4j_warmup.py [--rounds 2] [--warm-s 20] [--commit-s 5] [--rate 100] [--seconds 20]``.
Needs the project-started Neo4j (it is restarted, so not with ``NEO4J_URI`` set) with the taxonomy and
indexes built. Extracts ``bench/nearline.py``'s workload once; then, for each round and each mode in
turn (cold, rolled back, committed too): writes the pool documents, restarts the server, warms it for
``--warm-s`` s or not,
and replays the edits through ``write_documents.cypher`` one document per write, paced open-loop at
``--rate`` per second as nearline edits arrive, for ``--seconds``. Prints the write latency (scheduled
send to committed) over the whole replay and in its first 5 s, Neo4j's CPU per write and its JIT
compiler threads' CPU during the replay. Documents ``bench-wu-*`` are removed at the end.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from graph_write import workload_rows  # noqa: E402
from nearline import percentile  # noqa: E402
from process_cpu import cpu_seconds, thread_cpu_seconds  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.table import Table  # noqa: E402

from kgservice.graph.cypher import Query  # noqa: E402
from kgservice.graph.driver import Graph  # noqa: E402
from kgservice.graph.server import Neo4jServer  # noqa: E402
from kgservice.graph.write_warmup import warm_write_path  # noqa: E402
from kgservice.settings import Settings  # noqa: E402

PREFIX = "bench-wu-"
JIT_THREADS = ("C1 CompilerThre", "C2 CompilerThre")
FIRST_S = 5.0
MODES = ("cold (baseline)", "warmed, rolled back only", "warmed, last seconds committed")


def neo4j_cli(action: str) -> None:
    """Through the CLI, so the server is not this process's child (a stopped child would linger as a
    zombie that ``Neo4jServer.stop`` waits out); its own warm-up is off, the bench does it."""
    subprocess.run([str(ROOT / ".venv/bin/kgservice"), "neo4j", action], check=True, stdout=subprocess.DEVNULL,
                   env={**os.environ, "NEO4J_WARM_S": "0"})


def replay(graph: Graph, rows: list[dict], rate: float, pid: int | None) -> dict:
    """Write ``rows`` one per transaction at ``rate``/s; latency counts from the scheduled time, so a
    stall delays every write queued behind it, as it does a stream's."""
    cpu0, jit0 = cpu_seconds([pid]), thread_cpu_seconds(pid, JIT_THREADS)
    lat, first = [], []
    t0 = time.perf_counter()
    for i, row in enumerate(rows):
        due = t0 + i / rate
        if (wait := due - time.perf_counter()) > 0:
            time.sleep(wait)
        graph.write(Query.WRITE_DOCUMENTS, rows=[row])
        ms = (time.perf_counter() - due) * 1000
        lat.append(ms)
        if i / rate < FIRST_S:
            first.append(ms)
    n = len(rows)
    return {"p50": percentile(lat, 0.5), "p99": percentile(lat, 0.99), "max": max(lat),
            "first_p99": percentile(first, 0.99), "first_max": max(first),
            "neo4j_ms": (cpu_seconds([pid]) - cpu0) * 1000 / n, "jit_s": thread_cpu_seconds(pid, JIT_THREADS) - jit0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--warm-s", type=float, default=None, help="warm-up seconds (default NEO4J_WARM_S)")
    parser.add_argument("--commit-s", type=float, default=None, help="seconds of the warm-up that commit "
                        "(default NEO4J_WARM_COMMIT_S)")
    parser.add_argument("--rate", type=float, default=100.0, help="writes per second during the replay")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the replay")
    args = parser.parse_args()
    console = Console(width=140)
    settings = Settings()
    if settings.neo4j.external:
        console.print("NEO4J_URI is set: this benchmark restarts the project's own server; unset it")
        return 2
    warm_s = settings.neo4j.warm_s if args.warm_s is None else args.warm_s
    commit_s = settings.neo4j.warm_commit_s if args.commit_s is None else args.commit_s
    server = Neo4jServer(settings)
    neo4j_cli("start")
    n = int(args.rate * args.seconds)
    with Graph.connect(settings) as graph:
        pool, revisions = workload_rows(settings, graph, n, PREFIX, console)
    results: dict[str, list[dict]] = {m: [] for m in MODES}
    try:
        for r in range(args.rounds):
            for mode in MODES:
                with Graph.connect(settings) as graph:
                    graph.write(Query.DELETE_DOCUMENTS_BY_ID_PREFIX, prefix=PREFIX)
                    for i in range(0, len(pool), 50):
                        graph.write(Query.WRITE_DOCUMENTS, rows=pool[i:i + 50])
                neo4j_cli("stop")
                started = time.perf_counter()
                neo4j_cli("start")
                pid = server.status().pid
                with Graph.connect(settings) as graph:
                    if mode != MODES[0]:
                        warm_write_path(graph, warm_s, console, commit_s=commit_s if mode == MODES[2] else 0.0)
                    ready_s = time.perf_counter() - started
                    out = replay(graph, revisions, args.rate, pid)
                out["ready_s"] = ready_s
                results[mode].append(out)
                console.print(f"round {r + 1} {mode}: ready after {ready_s:.1f}s; p50 {out['p50']:.1f} p99 "
                              f"{out['p99']:.1f} max {out['max']:.0f} ms; first {FIRST_S:.0f}s p99 {out['first_p99']:.0f} "
                              f"max {out['first_max']:.0f} ms; Neo4j {out['neo4j_ms']:.2f} ms CPU/write, JIT threads "
                              f"{out['jit_s']:.1f}s")
    finally:
        with Graph.connect(settings) as graph:
            graph.write(Query.DELETE_DOCUMENTS_BY_ID_PREFIX, prefix=PREFIX)
    table = Table(title=f"{n} document writes at {args.rate:.0f}/s right after a Neo4j restart, one per "
                        f"transaction (mean of {args.rounds} alternating rounds; warm-up {warm_s:.0f}s, of which "
                        f"{commit_s:.0f}s committed in the last mode)")
    cols = {"ready_s": "start to ready s", "p50": "p50 ms", "p99": "p99 ms", "max": "max ms",
            "first_p99": f"first {FIRST_S:.0f}s p99", "first_max": f"first {FIRST_S:.0f}s max",
            "neo4j_ms": "Neo4j CPU ms/write", "jit_s": "JIT CPU s in replay"}
    table.add_column("mode")
    for label in cols.values():
        table.add_column(label, justify="right")
    mean = {m: {k: sum(x[k] for x in rs) / len(rs) for k in cols} for m, rs in results.items()}
    for mode in MODES:
        table.add_row(mode, *(f"{mean[mode][k]:.2f}" if k == "neo4j_ms" else f"{mean[mode][k]:.1f}" for k in cols))
    base = mean[MODES[0]]
    for mode in MODES[1:]:
        table.add_row(f"{mode.split(', ')[1]} / cold", *(f"{mean[mode][k] / base[k]:.2f}" if base[k] else "n/a"
                                                     for k in cols))
    console.print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
