"""The skill trie, catalog and vector index built from the graph: ``kgservice index build``."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from kgservice.settings import Settings


def _index(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from kgservice.offline.index_builder import build_indexes

    from kgservice.graph.driver import Graph

    with Graph.connect(settings) as graph:
        built = build_indexes(settings, graph, semantic=not args.no_semantic, console=console)
    for what, path in built.items():
        console.print(f"{what}: {path}")
    return 0


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("index", help="build the skill trie, catalog and vector index from the graph")
    p.add_argument("action", choices=["build"], help="build them (replacing what the graph no longer matches)")
    p.add_argument("--no-semantic", action="store_true", help="skip the vector index")
    p.set_defaults(handler=_index)
