"""`kgservice worker --metrics-port`: Prometheus metrics over HTTP while it applies edits, JSON log lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx

from kgservice.graph.cypher import Query
from kgservice.nearline.edit_stream import enqueue, make_edit
from kgservice.settings import PROJECT_ROOT
from tests.nearline.conftest import DOC_PREFIX, free_port

TEXT = "We need a Python developer with SQL and project management skills."


def sample(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if line.startswith(name) and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_worker_serves_metrics_while_it_applies_edits(clean_documents, stream_cfg, redis_client):
    edits = [make_edit("profile", f"{DOC_PREFIX}m{i}", TEXT, version=1) for i in range(3)]
    enqueue(redis_client, stream_cfg, edits)
    port = free_port()
    env = {**os.environ, "KG_NEARLINE__PORT": str(stream_cfg.port),
           "KG_NEARLINE__PASSWORD_FILE": str(stream_cfg.password_file)}
    worker = subprocess.Popen([sys.executable, "-m", "kgservice.cli", "worker", "--stream", stream_cfg.stream,
                               "--group", stream_cfg.group, "--in-process", "--no-semantic", "--idle-exit", "30",
                               "--metrics-port", str(port), "--log-level", "info"],
                              cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 240
        text = ""
        while time.monotonic() < deadline:
            assert worker.poll() is None, worker.communicate()[1][-3000:]
            try:
                text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            except httpx.TransportError:
                text = ""
            if (sample(text, "kgservice_nearline_edits_total", outcome="committed") or 0) >= 3:
                break
            time.sleep(0.5)
        assert sample(text, "kgservice_nearline_edits_total", outcome="committed") == 3, text[-2000:]
        assert (sample(text, "kgservice_nearline_batch_duration_seconds_count") or 0) >= 1
        assert (sample(text, "kgservice_neo4j_query_duration_seconds_count", query="write_documents") or 0) >= 1
        assert (sample(text, "kgservice_pipeline_stage_duration_seconds_count", stage="trie_tagger") or 0) >= 1
        assert sample(text, "process_resident_memory_bytes")
        assert "kgservice_model_info{" in text
    finally:
        worker.terminate()
        _, stderr = worker.communicate(timeout=60)
    assert len(clean_documents.read(Query.GET_DOCUMENTS_BY_KEYS, ids=[f"profile:{e.id}" for e in edits])) == 3
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert all(json.loads(line)["level"] for line in lines), stderr[-2000:]
