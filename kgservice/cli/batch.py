"""Offline reprocessing with Spark: ``kgservice batch``."""

from __future__ import annotations

import argparse
from typing import Any

from rich.console import Console

from kgservice.cli.output import input_path
from kgservice.settings import Settings


def _batch(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from kgservice.batch.spark_job import run_batch, spark_session

    spark = spark_session(args.master)
    try:
        report = run_batch(spark, settings, args.input, fmt=args.format, out=args.out, partitions=args.partitions,
                           semantic=False if args.no_semantic else None,
                           expansion=False if args.no_expansion else None, with_expansion=args.with_expansion,
                           write_batch=args.write_batch, console=console, related=not args.no_related)
    finally:
        spark.stop()
    for error in report.errors:
        console.print(f"[yellow]skipped[/] {error}")
    target = f"Parquet {args.out}" if args.out else "Neo4j"
    console.print(f"{report.documents} documents -> {target}: {report.applied} applied, {report.ignored} older than "
                  f"stored (left alone), {report.failed} failed, {report.edges} skill edges; "
                  f"model {', '.join(sorted(report.model_versions))}; {report.seconds:.1f}s "
                  f"({report.docs_per_s:.1f} docs/s)")
    if report.related is not None:
        console.print(f"related skills, {report.related.line()}")
    if args.metrics_file:
        from kgservice.telemetry.prometheus_metrics import record_batch, write_textfile

        record_batch(report)
        write_textfile(args.metrics_file)
        console.print(f"metrics written to {args.metrics_file}")
    return 0 if report.failed == 0 else 1


def add_parsers(sub: Any) -> None:
    p = sub.add_parser("batch", help="reprocess documents (JSON Lines or Parquet) with Spark into the graph")
    p.add_argument("input", type=input_path, help="JSON Lines file or Parquet file/folder: id, kind, title, text, version")
    p.add_argument("--format", choices=["jsonl", "parquet"], help="the input's format (default: from the path)")
    p.add_argument("--master", default="local[*]", help="Spark master")
    p.add_argument("--partitions", type=int, help="Spark partitions (default 4 per core)")
    p.add_argument("--out", help="write the writer's rows as Parquet here instead of to Neo4j")
    p.add_argument("--write-batch", type=int, default=500, help="documents per Neo4j transaction")
    p.add_argument("--with-expansion", action="store_true", help="write expanded skills too")
    p.add_argument("--no-semantic", action="store_true", help="skip the semantic (vector index) tagger")
    p.add_argument("--no-expansion", action="store_true", help="skip graph expansion")
    p.add_argument("--no-related", action="store_true", help="do not recount the documents' co-occurrence "
                   "(RELATED_TO source documents) after the run")
    p.add_argument("--metrics-file", help="write the run's Prometheus metrics (documents by outcome, edges, "
                   "seconds, the driver's Neo4j query latencies) to this file, for node_exporter's textfile "
                   "collector (default: none)")
    p.set_defaults(handler=_batch)
