"""Reprocess every document with PySpark: extract per partition, write through the shared writer.

Input is JSON Lines or Parquet with the columns ``id, kind, title, text, version`` (and optionally
``updatedAt``, epoch ms; it defaults to ``version``, so a rerun writes identical values). Documents are
hash-partitioned by ``(kind, id)`` so every version of one document lands in the same partition.

Each partition runs :func:`extract_partition` on an executor: the pipeline (trie, catalog, ONNX
encoder and vector index when the semantic stage is on) and the Neo4j driver are built once per
Python worker process and cached there (Spark reuses its Python workers), then rows are extracted
with ``Pipeline.pipe`` and written with :func:`~kgservice.graph.document_writer.write_documents` in
batches of ``write_batch`` documents, one transaction each. Writes are idempotent: a rerun over the
same input rewrites the same values, and a document whose stored version is newer than the input's
is left alone (counted as ``ignored``).

After a run that wrote to Neo4j, the co-occurrence edges of the graph's documents (RELATED_TO
{source: 'documents'}) are recounted in Spark and replaced (kgservice/batch/related_job.py), so related
skills follow the documents as they arrive; ``related=False`` (``kgservice batch --no-related``) skips it.

A model-version switch needs nothing special: the writer replaces a document's extraction edges in the
same transaction that writes the new ones (edges of the old ``modelVersion`` that the new model no
longer finds are deleted, the others are updated in place), so a reader sees either the old or the
new skills, never none.

With ``out`` the job writes the writer's rows (``kgservice/cypher/write_documents.cypher``'s ``$rows``: one row per
document with its skills nested) as Parquet instead, for a bulk import; nothing is written to Neo4j.

Executors need kgservice installed and the artifacts under ``settings.home`` (as the service does).
"""

from __future__ import annotations

import os
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from kgservice.errors import InvalidInput, KgServiceError
from kgservice.retry import Backoff
from kgservice.settings import Settings

COLUMNS = ("id", "kind", "title", "text", "version", "updatedAt")
MAX_ERRORS = 20
# A task waits out a restarting Neo4j for three minutes (Graph.write's policy, kgservice/retry.py, with
# longer waits; five of its 30 s runs came to about as long), then fails and Spark retries the task.
TASK_WRITE_RETRY = Backoff(first_s=0.005, max_delay_s=10.0, max_time_s=180.0)


def _require_pyspark() -> Any:
    try:
        import pyspark
    except ImportError as exc:
        raise KgServiceError("the batch job needs PySpark: pip install -e '.[spark]' (and Java 17)") from exc
    return pyspark


@dataclass(frozen=True, slots=True)
class JobConf:
    """What each executor needs to rebuild the pipeline; pickled into the partition function."""

    settings: dict[str, Any]
    semantic: bool | None = None
    expansion: bool | None = None
    with_expansion: bool = False
    write_batch: int = 500
    bulk: bool = False  # True: return the writer's rows instead of writing them

    def cache_key(self) -> tuple[Any, ...]:
        return (repr(sorted(self.settings.items())), self.semantic, self.expansion)


@dataclass(slots=True)
class BatchReport:
    documents: int = 0
    applied: int = 0
    ignored: int = 0
    failed: int = 0
    edges: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    model_versions: set[str] = field(default_factory=set)
    related: Any = None  # the RelatedReport of the documents' co-occurrence edges, when recomputed

    @property
    def docs_per_s(self) -> float:
        return self.documents / self.seconds if self.seconds else 0.0


# -- executor side ---------------------------------------------------------------------------------
_STATE: dict[tuple[Any, ...], tuple[Any, Any]] = {}
_STATE_LOCK = threading.Lock()


def _executor_state(conf: JobConf) -> tuple[Any, Any]:
    """The (graph, pipeline) of this Python worker process, built on first use."""
    key = conf.cache_key()
    with _STATE_LOCK:
        if key not in _STATE:
            import atexit

            from kgservice.graph.driver import Graph
            from kgservice.pipeline.build import SERVING, build_pipeline

            settings = Settings(**conf.settings)
            graph = Graph.connect(settings)
            atexit.register(graph.close)
            pipeline = build_pipeline(settings, graph, SERVING, semantic=conf.semantic, expansion=conf.expansion)
            _STATE[key] = (graph, pipeline)
        return _STATE[key]


def extract_partition(rows: Iterable[Any], conf: JobConf) -> Iterator[dict[str, Any]]:
    """Extract and write one partition; yields one summary per write batch (or, bulk, the writer's rows)."""
    from kgservice.document_extraction import CheckedInput, extract_writes
    from kgservice.graph.document_writer import document_row, write_documents

    graph, pipeline = _executor_state(conf)
    max_chars = int(conf.settings.get("pipeline", {}).get("max_chars", 100_000))
    it = iter(rows)
    while chunk := list(islice(it, conf.write_batch)):
        inputs, errors = [], []
        for row in chunk:
            r = row.asDict() if hasattr(row, "asDict") else dict(row)
            try:
                if r.get("version") is None:
                    raise InvalidInput("no version")
                # The checks the API and the stream make, so a row fails here with its reason, not in the write.
                inputs.append(CheckedInput.check(r.get("kind"), r.get("id"), r.get("text"), r.get("title"),
                                                 r.get("version"), max_chars=max_chars,
                                                 updated_at=r.get("updatedAt") or r.get("version")))
            except InvalidInput as exc:
                errors.append(f"{r.get('kind')}:{r.get('id')}: {exc}")
        writes = extract_writes(pipeline, inputs, with_expansion=conf.with_expansion)
        if conf.bulk:
            now_ms = int(time.time() * 1000)
            for w in writes:
                yield {"row": document_row(w, now_ms)}
            yield {"summary": {"documents": len(chunk), "applied": 0, "ignored": 0, "failed": len(errors),
                               "edges": sum(len(w.skills) for w in writes), "errors": errors[:MAX_ERRORS],
                               "model_version": pipeline.model_version}}
            continue
        report = write_documents(graph, writes, retry=TASK_WRITE_RETRY) if writes else None
        results = report.results if report is not None else []
        yield {"summary": {"documents": len(chunk), "applied": sum(r.applied for r in results),
                           "ignored": sum(not r.applied for r in results), "failed": len(errors),
                           "edges": sum(r.written for r in results if r.applied), "errors": errors[:MAX_ERRORS],
                           "model_version": pipeline.model_version}}


# -- driver side -----------------------------------------------------------------------------------
def spark_session(master: str = "local[*]", app_name: str = "kgservice-batch",
                  conf: dict[str, str] | None = None) -> Any:
    """A SparkSession whose Python workers run this interpreter (so they import this kgservice)."""
    _require_pyspark()
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    builder = (SparkSession.builder.master(master).appName(app_name)
               .config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false")
               .config("spark.python.worker.reuse", "true")
               .config("spark.sql.shuffle.partitions", "8"))
    for key, value in (conf or {}).items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def read_documents(spark: Any, source: str | Path, fmt: str | None = None) -> Any:
    """A DataFrame of ``id, kind, title, text, version, updatedAt`` from JSON Lines or Parquet."""
    from pyspark.sql import functions as F
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    source = str(source)
    if fmt is None:
        p = Path(source)
        fmt = "parquet" if source.endswith(".parquet") or (p.is_dir() and any(p.glob("*.parquet"))) else "jsonl"
    if fmt == "parquet":
        df = spark.read.parquet(source)
        for name in COLUMNS:
            if name not in df.columns:
                df = df.withColumn(name, F.lit(None))
    elif fmt in ("jsonl", "json"):
        schema = StructType([StructField("id", StringType()), StructField("kind", StringType()),
                             StructField("title", StringType()), StructField("text", StringType()),
                             StructField("version", LongType()), StructField("updatedAt", LongType())])
        df = spark.read.schema(schema).json(source)
    else:
        raise KgServiceError(f"unknown input format {fmt!r}; use jsonl or parquet")
    return df.select(F.col("id").cast("string"), F.col("kind").cast("string"), F.col("title").cast("string"),
                     F.col("text").cast("string"), F.col("version").cast("long"), F.col("updatedAt").cast("long"))


def _job_conf(settings: Settings, task_cpus: int = 1, **options: Any) -> JobConf:
    data = settings.model_dump()
    if data["pipeline"].get("threads") is None:
        # Spark runs one task per `spark.task.cpus` cores; an ONNX Runtime session per Python worker
        # that also spreads over every core oversubscribes them (local[2]: 2 workers x 2 threads).
        data["pipeline"]["threads"] = task_cpus
    return JobConf(settings=data, **options)


def run_batch(spark: Any, settings: Settings, source: str | Path, *, fmt: str | None = None,
              out: str | Path | None = None, partitions: int | None = None, semantic: bool | None = None,
              expansion: bool | None = None, with_expansion: bool = False, write_batch: int = 500,
              console: Console | None = None, related: bool = True) -> BatchReport:
    """Reprocess the documents in ``source``; write to Neo4j (or, with ``out``, the writer's rows as Parquet)."""
    console = console or Console(stderr=True)
    started = time.perf_counter()
    sc = spark.sparkContext
    df = read_documents(spark, source, fmt)
    total = df.count()
    report = BatchReport()
    if total == 0:
        return report
    n = partitions or max(1, min(total, sc.defaultParallelism * 4))
    df = df.repartition(n, "kind", "id")
    conf = _job_conf(settings, int(sc.getConf().get("spark.task.cpus", "1")), semantic=semantic, expansion=expansion,
                     with_expansion=with_expansion, write_batch=max(1, min(write_batch, 1000)), bulk=out is not None)
    done = sc.accumulator(0)

    def partition(rows: Iterable[Any]) -> Iterator[dict[str, Any]]:
        for item in extract_partition(rows, conf):
            if "summary" in item:
                done.add(item["summary"]["documents"])
            yield item

    rdd = df.rdd.mapPartitions(partition)
    summaries: list[dict[str, Any]] = []
    with Progress(TextColumn("batch"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=False) as progress:
        task = progress.add_task("batch", total=total)
        stop = threading.Event()

        def poll() -> None:
            while not stop.wait(1.0):
                progress.update(task, completed=done.value)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        try:
            if out is None:
                summaries = [item["summary"] for item in rdd.collect()]
            else:
                summaries = _write_parquet(spark, rdd.cache(), str(out))
        finally:
            stop.set()
            poller.join()
        progress.update(task, completed=sum(s["documents"] for s in summaries))
    for s in summaries:
        report.documents += s["documents"]
        report.applied += s["applied"]
        report.ignored += s["ignored"]
        report.failed += s["failed"]
        report.edges += s["edges"]
        report.model_versions.add(s["model_version"])
        report.errors.extend(s["errors"][: MAX_ERRORS - len(report.errors)])
    if related and out is None:
        from kgservice.batch.related_job import recompute_document_related
        from kgservice.graph.driver import Graph

        with Graph.connect(settings) as graph:
            report.related = recompute_document_related(spark, settings, graph, console)
    report.seconds = time.perf_counter() - started
    return report


def _write_parquet(spark: Any, rdd: Any, out: str) -> list[dict[str, Any]]:
    from pyspark.sql.types import (ArrayType, DoubleType, LongType, StringType, StructField, StructType)

    skill = StructType([StructField("skillId", StringType()), StructField("score", DoubleType()),
                        StructField("relation", StringType()), StructField("method", StringType()),
                        StructField("section", StringType())])
    schema = StructType([StructField("key", StringType()), StructField("kind", StringType()),
                         StructField("label", StringType()), StructField("id", StringType()),
                         StructField("title", StringType()), StructField("version", LongType()),
                         StructField("modelVersion", StringType()), StructField("updatedAt", LongType()),
                         StructField("language", StringType()), StructField("skills", ArrayType(skill))])
    rows = rdd.filter(lambda item: "row" in item).map(lambda item: item["row"])
    spark.createDataFrame(rows, schema).write.mode("overwrite").parquet(out)
    summaries = rdd.filter(lambda item: "summary" in item).map(lambda item: item["summary"]).collect()
    rdd.unpersist()
    return summaries
