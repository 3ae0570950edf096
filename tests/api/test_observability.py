"""Request ids and Prometheus metrics of the API served by uvicorn against the real Neo4j."""

from __future__ import annotations

import json
import logging
import re
import time

from tests.conftest import POSTING

EXTRACT = """query Extract($text: String!) { extractSkills(text: $text, domain: JOB) { modelVersion skills { skill { id } } } }"""


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition text (labels matched as a subset)."""
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', line.split(" ")[0]))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no sample {name} {labels} in /metrics")


def test_api_request_id_is_echoed_or_generated(api):
    given = api.client.get("/health", headers={"X-Request-ID": "req-42.abc"})
    assert given.headers["x-request-id"] == "req-42.abc"
    fresh = api.client.get("/health")
    assert re.fullmatch(r"[0-9a-f]{32}", fresh.headers["x-request-id"])
    assert api.client.get("/health").headers["x-request-id"] != fresh.headers["x-request-id"]
    # Nothing that could forge a log line or a header is taken from the caller.
    forged = api.client.get("/health", headers={"X-Request-ID": "a b\" {}"})
    assert re.fullmatch(r"[0-9a-f]{32}", forged.headers["x-request-id"])


def test_api_log_lines_carry_the_request_id(api):
    from kgservice.telemetry.json_logs import JsonFormatter

    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("kgservice.api.access")
    logger.addHandler(handler)
    try:
        response = api.client.post("/graphql", json={"query": "query Tagged { __typename }"},
                                   headers={"X-Request-ID": "trace-me-1"})
        assert response.status_code == 200 and response.headers["x-request-id"] == "trace-me-1"
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any(getattr(r, "request_id", None) == "trace-me-1" for r in records):
            time.sleep(0.01)
    finally:
        logger.removeHandler(handler)
    [line] = [json.loads(JsonFormatter().format(r)) for r in records if getattr(r, "request_id", None) == "trace-me-1"]
    assert line["request_id"] == "trace-me-1" and line["path"] == "/graphql" and line["status"] == 200


def test_api_metrics_cover_process_stages_caches_neo4j_and_model(api):
    result = api.gql(EXTRACT, {"text": POSTING})
    assert "errors" not in result, result
    model_version = result["data"]["extractSkills"]["modelVersion"]
    api.gql(EXTRACT, {"text": POSTING})  # the same text again: the caches see repeats
    response = api.client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert metric(text, "process_cpu_seconds_total") > 0 and metric(text, "process_resident_memory_bytes") > 0
    for stage in ("sectioner", "trie_tagger", "scorer"):
        assert metric(text, "kgservice_pipeline_stage_duration_seconds_count", stage=stage) >= 2, stage
    caches = dict(re.findall(r'^kgservice_cache_lookups_total\{cache="([^"]+)"\} (\S+)$', text, re.M))
    assert caches and all(float(v) > 0 for v in caches.values()), caches
    ratios = [metric(text, "kgservice_cache_hit_ratio", cache=name) for name in caches]
    assert all(0 <= r <= 1 for r in ratios) and max(ratios) > 0, ratios
    assert metric(text, "kgservice_neo4j_query_duration_seconds_count", access="read") > 0
    assert metric(text, "kgservice_model_info", model_version=model_version) == 1
    assert metric(text, "kgservice_http_requests_total", method="POST", path="/graphql", status="200") >= 2
