"""Stage timing, cache counts, JSON log lines with request ids, and the batch job's metrics file."""

from __future__ import annotations

import contextvars

import dataclasses
import io
import json
import logging
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from kgservice.bounded_cache import BoundedCache
from kgservice.document import Document
from kgservice.pipeline.build import Pipeline, make_document
from kgservice.telemetry import prometheus_metrics
from kgservice.telemetry.json_logs import REQUEST_ID, JsonFormatter, configure_logging, request_id_from


class Sleeper:
    """A stage that takes ``seconds`` per document and memoizes texts it has seen."""

    requires: frozenset[str] = frozenset()
    assigns: frozenset[str] = frozenset()

    def __init__(self, name: str, seconds: float) -> None:
        self.name, self.seconds = name, seconds
        self.cache: BoundedCache[str, bool] = BoundedCache(100)

    def __call__(self, doc: Document) -> Document:
        self.cache.get_or_compute([doc.text], lambda keys: {k: True for k in keys})
        time.sleep(self.seconds)
        return doc

    def pipe(self, docs: Iterable[Document], batch_size: int = 32) -> Iterator[Document]:
        for doc in docs:
            yield self(doc)


def stage_sum(stage: str) -> float:
    return REGISTRY.get_sample_value("kgservice_pipeline_stage_duration_seconds_sum", {"stage": stage}) or 0.0


def stage_count(stage: str) -> float:
    return REGISTRY.get_sample_value("kgservice_pipeline_stage_duration_seconds_count", {"stage": stage}) or 0.0


def test_pipeline_pipe_times_each_stage_without_its_upstream():
    pipeline = Pipeline([Sleeper("telemetry_slow", 0.05), Sleeper("telemetry_fast", 0.0)], "test-model")
    docs = [make_document(f"text {i}") for i in range(4)]
    before = stage_sum("telemetry_slow"), stage_sum("telemetry_fast"), stage_count("telemetry_fast")
    assert len(list(pipeline.pipe(docs))) == 4
    slow, fast = stage_sum("telemetry_slow") - before[0], stage_sum("telemetry_fast") - before[1]
    assert slow >= 0.2  # four sleeps of 50 ms
    assert fast < slow / 2, "the downstream stage was charged its upstream's time"
    assert stage_count("telemetry_fast") == before[2] + 1  # one observation per pipe() run
    pipeline(docs[0])
    assert stage_count("telemetry_fast") == before[2] + 2  # and one per document through __call__


def test_cache_collector_reports_hits_lookups_and_ratio_of_watched_pipelines():
    pipeline = Pipeline([Sleeper("telemetry_cached", 0.0)], "telemetry-model-7")
    prometheus_metrics.watch_pipeline(pipeline)
    for text in ("a", "a", "a", "b"):
        pipeline(make_document(text))
    labels = {"cache": "telemetry_cached"}
    assert REGISTRY.get_sample_value("kgservice_cache_lookups_total", labels) == 4
    assert REGISTRY.get_sample_value("kgservice_cache_hits_total", labels) == 2
    assert REGISTRY.get_sample_value("kgservice_cache_hit_ratio", labels) == 0.5
    assert REGISTRY.get_sample_value("kgservice_model_info", {"model_version": "telemetry-model-7"}) == 1
    prometheus_metrics.CACHES.watch_counts(lambda: {"telemetry_child": (3, 1)})
    assert REGISTRY.get_sample_value("kgservice_cache_hit_ratio", {"cache": "telemetry_child"}) == 0.75


def test_json_log_lines_carry_the_request_id_of_their_context(monkeypatch):
    configure_logging("INFO")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("kgservice.test_telemetry")
    logger.addHandler(handler)
    def log_both() -> None:
        token = REQUEST_ID.set("req-7")
        logger.warning("inside", extra={"fields": {"event": "probe"}})
        REQUEST_ID.reset(token)
        logger.warning("outside")

    try:
        # A context of its own: a test before this one may have left a request id in the main thread's.
        contextvars.Context().run(log_both)
    finally:
        logger.removeHandler(handler)
    inside, outside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert inside["request_id"] == "req-7" and inside["msg"] == "inside" and inside["event"] == "probe"
    assert "request_id" not in outside and outside["level"] == "WARNING"


def test_request_id_from_header_accepts_tokens_only():
    assert request_id_from("abc-123_x.y:z") == "abc-123_x.y:z"
    for bad in (None, "", "a b", "x" * 129, 'a"b', "line\nbreak"):
        made = request_id_from(bad)
        assert made != bad and len(made) == 32


@dataclasses.dataclass
class Report:
    documents: int = 10
    applied: int = 7
    ignored: int = 2
    failed: int = 1
    edges: int = 55
    seconds: float = 3.5
    model_versions: frozenset[str] = frozenset({"batch-model-1"})


def test_batch_metrics_textfile_is_valid_exposition(tmp_path: Path):
    prometheus_metrics.record_batch(Report())
    out = tmp_path / "kgservice_batch.prom"
    prometheus_metrics.write_textfile(str(out))
    families = {f.name: f for f in text_string_to_metric_families(out.read_text())}
    docs = {s.labels["outcome"]: s.value for s in families["kgservice_batch_documents"].samples}
    assert docs == {"applied": 7, "ignored": 2, "failed": 1, "total": 10}
    assert families["kgservice_batch_skill_edges"].samples[0].value == 55
    assert families["kgservice_batch_duration_seconds"].samples[0].value == 3.5
    assert "process_cpu_seconds" in families
