"""The nearline edit stream: ``kgservice redis``, ``kgservice worker``, ``kgservice enqueue``."""

from __future__ import annotations

import argparse
import json
from typing import Any

from rich.console import Console

from kgservice.cli.output import input_file, read_text_input
from kgservice.errors import KgServiceError
from kgservice.settings import Settings


def _nearline_settings(args: argparse.Namespace, settings: Settings) -> Any:
    cfg = settings.nearline
    updates = {k: getattr(args, k) for k in ("stream", "group", "batch_size", "block_ms", "claim_idle_ms",
                                             "max_deliveries", "extractors") if getattr(args, k, None) is not None}
    if getattr(args, "with_expansion", False):
        updates["with_expansion"] = True
    return cfg.model_copy(update=updates) if updates else cfg


def _redis(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from kgservice.nearline.redis_server import RedisServer

    cfg = _nearline_settings(args, settings)
    server = RedisServer(settings, cfg)
    if cfg.external and args.action in ("start", "stop"):
        console.print(f"REDIS_URL is set ({cfg.url}): using that server, nothing to {args.action}")
    status = {"start": server.start, "stop": server.stop, "status": server.status}[args.action]()
    console.print(f"redis: {'running' if status.running else 'stopped'} url={status.url} pid={status.pid} "
                  f"({status.detail})")
    return 0 if status.running or args.action == "stop" else 1


def _worker(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    import signal
    import threading

    from kgservice.graph.driver import Graph
    from kgservice.nearline.edit_stream import connect
    from kgservice.nearline.extraction import ExtractionProcess, InlineExtraction
    from kgservice.nearline.worker import Worker
    from kgservice.pipeline.build import build_pipeline

    from kgservice.telemetry import prometheus_metrics
    from kgservice.telemetry.json_logs import configure_logging

    cfg = _nearline_settings(args, settings)
    # JSON lines; the driver stays at INFO or above: its DEBUG records every Bolt message (10 MB in 15 s
    # at 100 edits/s), which slows the worker enough to distort the per-batch timings debug is for.
    configure_logging(args.log_level)
    if args.metrics_port is not None:
        prometheus_metrics.serve_metrics(args.metrics_port, args.metrics_host)
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    semantic = False if args.no_semantic else None
    expansion = False if args.no_expansion else None
    client = connect(cfg)
    try:
        with Graph.connect(settings) as graph:
            if args.in_process:
                pipeline = build_pipeline(settings, graph, semantic=semantic, expansion=expansion,
                                          expanded=cfg.with_expansion)
                extraction = InlineExtraction(pipeline, with_expansion=cfg.with_expansion,
                                              max_chars=settings.pipeline.max_chars)
            else:
                extraction = ExtractionProcess(settings, semantic=semantic, expansion=expansion,
                                               with_expansion=cfg.with_expansion, processes=cfg.extractors)
            try:
                worker = Worker(graph, client, extraction, cfg, consumer=args.consumer,
                                record_commits=args.record_commits)
                prometheus_metrics.MODEL.info({"model_version": str(extraction.model_version)})
                # The caches live in the extraction processes; each progress report refreshes the copy
                # a scrape reads, rather than a scrape queueing a question behind their extraction.
                cache_counts: dict[str, tuple[int, int]] = {}
                prometheus_metrics.CACHES.watch_counts(lambda: cache_counts)
                if args.in_process:
                    prometheus_metrics.watch_pipeline(extraction.pipeline)
                console.print(f"worker {worker.consumer}: {cfg.url} stream={cfg.stream} group={cfg.group} "
                              f"batch={cfg.batch_size} model={extraction.model_version} "
                              f"extraction={'in process' if args.in_process else f'{cfg.extractors} child process(es)'}")

                def progress(s: Any) -> None:
                    counts = extraction.cache_counts()
                    if not args.in_process:
                        cache_counts.clear()
                        cache_counts.update(counts)
                    hits = ", ".join(f"{name} {h / (h + m) if h + m else 0.0:.2f}" for name, (h, m) in counts.items())
                    console.print(f"committed {s.committed} (applied {s.applied}, older ignored {s.ignored}) in "
                                  f"{s.batches} batches; claimed {s.claimed}, failed {s.failed}, dead {s.dead}, "
                                  f"retries {s.retries}; cache hit rates: {hits or 'no caches'}")

                stats = worker.run(stop, idle_exit_s=args.idle_exit, on_progress=progress)
                progress(stats)
            finally:
                extraction.close()
    finally:
        client.close()
    return 0


def _enqueue(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from kgservice.nearline.edit_stream import connect, enqueue, make_edit

    cfg = _nearline_settings(args, settings)
    if args.jsonl:
        edits = []
        with open(args.jsonl, encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    r = json.loads(line)
                    edits.append(make_edit(r.get("kind") or r.get("domain") or args.kind, str(r["id"]), r["text"],
                                           title=r.get("title"), version=r.get("version")))
                except (json.JSONDecodeError, KeyError, TypeError, KgServiceError) as exc:
                    raise KgServiceError(f"{args.jsonl}:{lineno}: {type(exc).__name__}: {exc}") from None
    else:
        if args.id is None or args.file is None:
            raise KgServiceError("give --id ID and a FILE (or - for stdin), or --jsonl FILE")
        edits = [make_edit(args.kind, args.id, read_text_input(args.file), title=args.title, version=args.version)]
    client = connect(cfg)
    try:
        ids = enqueue(client, cfg, edits)
    finally:
        client.close()
    console.print(f"enqueued {len(ids)} edits on {cfg.stream}" + (f" (last id {ids[-1]})" if ids else ""))
    return 0


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("redis", help="start, stop or inspect the project's own Redis (the nearline edit stream)")
    p.add_argument("action", choices=["start", "stop", "status"], help="what to do with the server")
    p.set_defaults(handler=_redis)

    p = sub.add_parser("worker", help="apply profile/job edits from the Redis stream to the graph")
    p.add_argument("--consumer", help="consumer name in the group (default host-pid)")
    p.add_argument("--stream", help="the edit stream (default KG_NEARLINE__STREAM, kg:edits)")
    p.add_argument("--group", help="the consumer group (default KG_NEARLINE__GROUP, kg-workers)")
    p.add_argument("--batch-size", type=int, help="messages per read and per Neo4j transaction (default 64)")
    p.add_argument("--block-ms", type=int, help="how long a read waits on an empty stream (default 50)")
    p.add_argument("--claim-idle-ms", type=int, help="claim other consumers' messages pending this long")
    p.add_argument("--max-deliveries", type=int, help="deliveries before a failing message is dead-lettered")
    p.add_argument("--with-expansion", action="store_true", help="write expanded skills too")
    p.add_argument("--no-semantic", action="store_true", help="skip the semantic (vector index) tagger")
    p.add_argument("--no-expansion", action="store_true", help="skip graph expansion")
    p.add_argument("--record-commits", action="store_true", help="record commit times in <stream>:committed")
    p.add_argument("--extractors", type=int, help="extraction processes (default 1, KG_NEARLINE__EXTRACTORS); "
                   "each loads the pipeline and keeps one core busy while it extracts")
    p.add_argument("--in-process", action="store_true", help="run the pipeline in the worker's own process "
                   "instead of a child (for profiling; its I/O then waits behind the encoder)")
    p.add_argument("--idle-exit", type=float, help="exit after this many idle seconds with nothing pending")
    p.add_argument("--log-level", default="warning", choices=["debug", "info", "warning", "error"],
                   help="level of the JSON log lines on stderr")
    p.add_argument("--metrics-port", type=int, help="serve Prometheus metrics at /metrics on this port (default: none)")
    p.add_argument("--metrics-host", default="127.0.0.1", help="address of --metrics-port")
    p.set_defaults(handler=_worker)

    p = sub.add_parser("enqueue", help="put a document edit (or a JSON Lines file of them) on the edit stream")
    p.add_argument("file", nargs="?", type=input_file, help="text file, or - for stdin")
    p.add_argument("--kind", default="profile", choices=["job", "profile", "course", "post"],
                   help="what the document is")
    p.add_argument("--id", help="the document's id (with FILE)")
    p.add_argument("--title", help="the document's title (a job title, a course name)")
    p.add_argument("--version", type=int, help="monotonic per document (default: now in ms)")
    p.add_argument("--jsonl", type=input_file, help='lines {"kind", "id", "text", "title", "version"}')
    p.add_argument("--stream", help="the edit stream (default KG_NEARLINE__STREAM, kg:edits)")
    p.set_defaults(handler=_enqueue)
