"""Prometheus metrics, in prometheus_client's default registry (which also holds its process and GC
collectors: CPU seconds, resident memory, open files, start time).

- ``kgservice_pipeline_stage_duration_seconds{stage}``: each Pipeline stage's own time per call (one
  document through ``Pipeline.__call__``, or a whole ``Pipeline.pipe`` run), upstream stages excluded.
- ``kgservice_cache_hits_total`` / ``kgservice_cache_lookups_total`` / ``kgservice_cache_hit_ratio``
  ``{cache}``: the pipelines' memos (``Pipeline.caches``), read when scraped.
- ``kgservice_neo4j_query_duration_seconds{query, access}``: each query through ``Graph``, by its
  name (ad-hoc text is ``adhoc``), read or write, retries included.
- ``kgservice_model_info{model_version}``: the pipeline serving in this process.
- ``kgservice_http_*`` and ``kgservice_graphql_operations_total``: the API's requests.
- The nearline worker's and the batch job's counters (``kgservice_nearline_*``, ``kgservice_batch_*``).

The API serves them at ``/metrics``, the worker on ``--metrics-port``, and the batch job writes them to
a text file (``--metrics-file``) for node_exporter's textfile collector.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from prometheus_client import REGISTRY, Counter, Gauge, Histogram, Info, generate_latest, start_http_server
from prometheus_client import write_to_textfile as _write_to_textfile
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

# From 1 ms (a cached trie lookup, a point read) to 10 s (a long posting on a busy core).
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Counter("kgservice_http_requests", "HTTP requests by method, path and status.",
                        ["method", "path", "status"])
HTTP_LATENCY = Histogram("kgservice_http_request_duration_seconds", "HTTP request latency.", ["path"],
                         buckets=LATENCY_BUCKETS)
GRAPHQL_OPERATIONS = Counter("kgservice_graphql_operations",
                             "GraphQL operations by type and whether they had errors.", ["type", "errors"])
STAGE_LATENCY = Histogram("kgservice_pipeline_stage_duration_seconds",
                          "A pipeline stage's own time per call (one document, or one pipe() run).", ["stage"],
                          buckets=LATENCY_BUCKETS)
NEO4J_LATENCY = Histogram("kgservice_neo4j_query_duration_seconds", "Neo4j query latency by named query.",
                          ["query", "access"], buckets=LATENCY_BUCKETS)
MODEL = Info("kgservice_model", "The extraction pipeline serving in this process.")
NEARLINE_EDITS = Counter("kgservice_nearline_edits", "Edits the nearline worker handled, by outcome.", ["outcome"])
NEARLINE_BATCH_LATENCY = Histogram("kgservice_nearline_batch_duration_seconds",
                                   "Nearline batches: read to commit.", buckets=LATENCY_BUCKETS)
BATCH_DOCUMENTS = Gauge("kgservice_batch_documents", "Documents of the last batch run, by outcome.", ["outcome"])
BATCH_SECONDS = Gauge("kgservice_batch_duration_seconds", "Wall time of the last batch run.")
BATCH_EDGES = Gauge("kgservice_batch_skill_edges", "Skill edges the last batch run wrote.")
BATCH_FINISHED = Gauge("kgservice_batch_last_finished_timestamp_seconds", "When the last batch run finished.")

CacheCounts = Callable[[], Mapping[str, tuple[int, int]]]


class CacheCollector(Collector):
    """Hits and lookups of every watched source of caches (summed by cache name), read at scrape time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._pipelines: weakref.WeakSet[Any] = weakref.WeakSet()
        self._sources: list[CacheCounts] = []

    def watch(self, pipeline: Any) -> None:
        with self._lock:
            self._pipelines.add(pipeline)

    def watch_counts(self, source: CacheCounts) -> None:
        """A callable giving ``{cache: (hits, misses)}``, e.g. caches that live in child processes."""
        with self._lock:
            self._sources.append(source)

    def counts(self) -> dict[str, tuple[int, int]]:
        totals: dict[str, tuple[int, int]] = {}
        with self._lock:
            pipelines, sources = list(self._pipelines), list(self._sources)
        found = [{name: (c.hits, c.misses) for name, c in p.caches.items()} for p in pipelines]
        for source in sources:
            try:
                found.append(dict(source()))
            except Exception:  # noqa: BLE001 - a scrape must not fail because one source did
                continue
        for counts in found:
            for name, (hits, misses) in counts.items():
                h, m = totals.get(name, (0, 0))
                totals[name] = (h + hits, m + misses)
        return totals

    def collect(self) -> Iterator[Any]:
        hits = CounterMetricFamily("kgservice_cache_hits", "Pipeline cache hits.", labels=["cache"])
        lookups = CounterMetricFamily("kgservice_cache_lookups", "Pipeline cache lookups.", labels=["cache"])
        ratio = GaugeMetricFamily("kgservice_cache_hit_ratio", "Pipeline cache hits per lookup since start.",
                                  labels=["cache"])
        for name, (h, m) in sorted(self.counts().items()):
            hits.add_metric([name], h)
            lookups.add_metric([name], h + m)
            ratio.add_metric([name], h / (h + m) if h + m else 0.0)
        yield hits
        yield lookups
        yield ratio

    def describe(self) -> Iterator[Any]:
        return iter(())


CACHES = CacheCollector()
REGISTRY.register(CACHES)


def watch_pipeline(pipeline: Any) -> None:
    """Report this pipeline's caches and model version."""
    CACHES.watch(pipeline)
    MODEL.info({"model_version": str(pipeline.model_version)})


def observe_stage(stage: str, seconds: float) -> None:
    STAGE_LATENCY.labels(stage).observe(seconds)


def observe_query(query: str, access: str, started: float) -> None:
    NEO4J_LATENCY.labels(query, access).observe(time.perf_counter() - started)


def record_batch(report: Any) -> None:
    """A finished batch run (kgservice.batch.spark_job.BatchReport) as gauges."""
    for outcome in ("applied", "ignored", "failed"):
        BATCH_DOCUMENTS.labels(outcome).set(getattr(report, outcome))
    BATCH_DOCUMENTS.labels("total").set(report.documents)
    BATCH_EDGES.set(report.edges)
    BATCH_SECONDS.set(report.seconds)
    BATCH_FINISHED.set_to_current_time()
    for version in report.model_versions:
        MODEL.info({"model_version": str(version)})


def render() -> bytes:
    """The default registry in the Prometheus text format."""
    return generate_latest(REGISTRY)


def serve_metrics(port: int, host: str = "127.0.0.1") -> None:
    """``/metrics`` on its own port, from a daemon thread (the nearline worker's)."""
    start_http_server(port, addr=host)


def write_textfile(path: str) -> None:
    """The registry as a text file, written atomically (node_exporter's textfile collector reads it)."""
    _write_to_textfile(path, REGISTRY)
