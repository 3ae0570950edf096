"""Derived graph edges: ``kgservice graph related``."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from kgservice.settings import Settings


def _graph(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from kgservice.graph.driver import Graph

    with Graph.connect(settings) as graph:
        if args.action == "related":
            from kgservice.offline.index_builder import build_neighbours
            from kgservice.related.build import build_related

            sources = [s for s in ("corpus", "documents") if not getattr(args, f"no_{s}")]
            build_related(settings, graph, console, sources=sources, limit=args.limit)
            # The expander's neighbour snapshot holds each skill's strongest related skills: rebuild it.
            build_neighbours(settings, graph, console)
    return 0


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("graph", help="derive RELATED_TO edges (co-occurrence) from text and the graph's documents")
    p.add_argument("action", choices=["related"],
                   help="related: run the pipeline over the vendored SkillSpan/SkillSkape text (resumable) and read "
                        "the graph's documents, then replace the RELATED_TO edges of sources corpus and documents")
    p.add_argument("--no-corpus", action="store_true", help="related: leave the corpus edges as they are")
    p.add_argument("--no-documents", action="store_true", help="related: leave the documents edges as they are")
    p.add_argument("--limit", type=int, default=None, help="related: only the first N corpus documents (smoke runs)")
    p.set_defaults(handler=_graph)
