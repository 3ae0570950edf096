"""Named taxonomist queries and read-only ad-hoc Cypher: ``kgservice cypher``."""

from __future__ import annotations

import argparse
import json
from typing import Any

from rich.console import Console

from kgservice.cli.output import print_json, print_table
from kgservice.errors import KgServiceError
from kgservice.settings import Settings


def _param(text: str) -> tuple[str, Any]:
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise KgServiceError(f"parameters are key=value, got {text!r}")
    try:
        return key, json.loads(raw)
    except json.JSONDecodeError:
        return key, raw


def _cypher(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from kgservice.graph.cypher import header, params_of, taxonomist_queries
    from kgservice.graph.driver import Graph

    queries = taxonomist_queries()
    if args.list or (args.name is None and args.query is None):
        print_table(console, ["name", "parameters", "purpose"],
                    [(n, ", ".join(params_of(t)), header(t).split("\n")[0]) for n, t in queries.items()])
        return 0
    if args.query is not None:
        text = args.query
    elif args.name in queries:
        text = queries[args.name]
    else:
        raise KgServiceError(f"no query named {args.name!r}; `kgservice cypher --list` shows them")
    params = dict(_param(p) for p in args.params)
    missing = [p for p in params_of(text) if p not in params]
    if missing:
        raise KgServiceError(f"missing parameters: {', '.join(f'{m}=...' for m in missing)}")
    with Graph.connect(settings) as graph:
        keys, rows = graph.read_only(text, params)
    if args.json:
        print_json(console, [dict(zip(keys, r)) for r in rows])
    else:
        print_table(console, keys, rows)
    return 0


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("cypher", help="run a named taxonomist query, or ad-hoc read-only Cypher")
    p.add_argument("name", nargs="?", help="query name from kgservice/cypher/taxonomist/")
    p.add_argument("params", nargs="*", help="key=value parameters (values parsed as JSON when they parse)")
    p.add_argument("--query", help="ad-hoc Cypher, run in a read-only transaction (no LOAD CSV; only schema and "
                   "index procedures: kgservice/graph/adhoc_cypher.py)")
    p.add_argument("--list", action="store_true", help="list the named queries")
    p.add_argument("--json", action="store_true", help="print rows as JSON")
    p.set_defaults(handler=_cypher)
