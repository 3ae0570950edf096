"""The project's own Neo4j server: ``kgservice neo4j fetch|start|stop|status|warm``."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from kgservice.errors import KgServiceError
from kgservice.settings import Settings


def _neo4j(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from neo4j.exceptions import Neo4jError

    from kgservice.graph.server import Neo4jServer

    server = Neo4jServer(settings)
    if args.action == "fetch":
        console.print(f"Neo4j {settings.neo4j.version} jars in {server.fetch()}")
        return 0
    if args.action == "warm":
        cfg = settings.neo4j
        commit_s = args.commit_seconds if args.commit_seconds is not None else 0.0 if cfg.external else cfg.warm_commit_s
        return _warm_neo4j(settings, console, args.seconds if args.seconds is not None else cfg.warm_s, commit_s)
    if settings.neo4j.external and args.action in ("start", "stop"):
        console.print(f"NEO4J_URI is set ({settings.neo4j.uri}): using that server, nothing to {args.action}")
    before = server.status()
    status = {"start": server.start, "stop": server.stop, "status": server.status}[args.action]()
    console.print(f"neo4j: {'running' if status.running else 'stopped'} uri={status.uri} pid={status.pid} "
                  f"({status.detail})")
    # A new process (started, or restarted to turn auth on) has a cold JIT.
    if args.action == "start" and status.running and status.pid != before.pid and not settings.neo4j.external:
        try:
            _warm_neo4j(settings, console, settings.neo4j.warm_s, settings.neo4j.warm_commit_s)
        except (KgServiceError, Neo4jError) as exc:  # the server is up; a cold JIT only costs latency
            console.print(f"[yellow]neo4j warm failed, the server runs cold: {exc}[/yellow]")
    return 0 if status.running or args.action == "stop" else 1


def _warm_neo4j(settings: Settings, console: Console, seconds: float, commit_s: float) -> int:
    from kgservice.graph.driver import Graph
    from kgservice.graph.write_warmup import warm_write_path

    if seconds <= 0:
        return 0
    with Graph.connect(settings) as graph:
        report = warm_write_path(graph, seconds, console, commit_s=commit_s)
    if not report.transactions and not report.committed:
        console.print("neo4j warm: no skills in the graph yet, nothing to warm (load the taxonomy first)")
    else:
        scratch = (f", then {report.committed} committed writes of scratch documents, deleted"
                   if report.committed else " (nothing committed)")
        console.print(f"neo4j warm: {report.transactions} rolled-back write transactions{scratch}, "
                      f"{report.seconds:.1f}s over {report.skills} skills")
    return 0


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("neo4j", help="fetch, start, stop or inspect the project's own Neo4j server")
    p.add_argument("action", choices=["fetch", "start", "stop", "status", "warm"],
                   help="warm: rehearse document writes (rolled back) so a restarted server's JIT is ready for "
                        "traffic; start does it too, for NEO4J_WARM_S seconds")
    p.add_argument("--seconds", type=float, help="how long warm runs (default NEO4J_WARM_S)")
    p.add_argument("--commit-seconds", type=float, help="the last seconds of it commit scratch documents "
                   "(kgservice-warmup-*, deleted after) to warm the commit too (default NEO4J_WARM_COMMIT_S on the "
                   "project-started server, 0 on an external one)")
    p.set_defaults(handler=_neo4j)
