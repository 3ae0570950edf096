"""Full taxonomy load into an empty Neo4j, timed; then a second load to show it changes nothing.

Run: ``.venv/bin/python bench/taxonomy_load.py [--port 7688]``. Starts a throwaway Neo4j (own data
directory) so the project's database is left alone, loads as ``kgservice load taxonomy`` does (both
wheels, SAME_AS, the derived group placement and skill hierarchy) and prints the figure against the
3-minute target. The label vectors come from ``$KG_CACHE_DIR/label-vectors`` when an earlier load cached
them (the line says which); the first embedding on a machine takes about 1.5 minutes more.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from kgservice.cli.taxonomy import print_counts, print_skill_graph  # noqa: E402
from kgservice.graph.driver import Graph  # noqa: E402
from kgservice.graph.server import Neo4jServer  # noqa: E402
from kgservice.settings import Settings  # noqa: E402
from kgservice.loaders.default_sources import read_default_sources  # noqa: E402
from kgservice.loaders.skill_graph import SkillGraphDerivation  # noqa: E402
from kgservice.loaders.taxonomy_writer import load  # noqa: E402

TARGET_S = 180.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=7688, help="Bolt port of the throwaway server")
    args = parser.parse_args()
    console = Console()
    base = Settings()
    with tempfile.TemporaryDirectory(prefix="kg-bench-") as home:
        settings = base.model_copy(update={
            "home": Path(home), "cache_dir": base.cache,
            "neo4j": base.neo4j.model_copy(update={"uri": None, "listen_address": f"127.0.0.1:{args.port}"})})
        server = Neo4jServer(settings)
        server.start()
        try:
            with Graph.connect(settings) as graph:
                started = time.perf_counter()
                batches = read_default_sources(settings.cache)
                parsed = time.perf_counter() - started
                derive = SkillGraphDerivation.from_settings(settings, console)
                cached = derive.vectors.cache_file.exists()
                first = load(graph, batches, settings.taxonomy.batch_size, console, derive=derive)
                total = time.perf_counter() - started
                print_counts(graph, console)
                print_skill_graph(graph, console)
                second = load(graph, read_default_sources(settings.cache), settings.taxonomy.batch_size,
                              Console(quiet=True), derive=SkillGraphDerivation.from_settings(settings))
                console.print(f"skills: {sum(len(b.skills) for b in batches)}, SAME_AS: {first.same_as}, "
                              f"skipped rows: {len(first.problems)}")
                console.print(f"first load into an empty store: {total:.1f}s (parse {parsed:.1f}s, "
                              f"write {first.seconds:.1f}s); target {TARGET_S:.0f}s -> {total / TARGET_S:.2f} of it")
                console.print(f"derived structure: {first.derived.seconds:.1f}s of it (label vectors "
                              f"{'from the cache' if cached else 'embedded'})")
                console.print(f"second load (no changes): {second.seconds:.1f}s")
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
